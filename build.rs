//! Build script: generates the OpenLineage types from the pinned spec snapshot.
//!
//! The work lives in the `openlineage-codegen` crate, where it is unit-tested; this file only
//! wires it to Cargo: where the spec is, what to watch, where to write.

use std::path::PathBuf;

use openlineage_codegen::spec::{Pin, PIN_DIR_ENV, SPEC_DIR_ENV};

fn main() {
    if let Err(e) = run() {
        // A build script reports errors by failing; the message names the file at fault.
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    println!("cargo:rerun-if-env-changed={SPEC_DIR_ENV}");
    println!("cargo:rerun-if-env-changed={PIN_DIR_ENV}");
    // Another pin (pin.json and SHA256SUMS) builds against another snapshot without touching
    // spec/: `cargo xtask spec compat` uses it to build the previous release side by side.
    let pin_dir = match std::env::var_os(PIN_DIR_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => root.join("spec"),
    };
    // The whole folder is watched so that staging or removing a snapshot in spec/staged/
    // reruns the lookup; a watched file that does not exist would rerun it on every build.
    println!("cargo:rerun-if-changed={}", root.join("spec").display());
    println!(
        "cargo:rerun-if-changed={}",
        pin_dir.join("pin.json").display()
    );
    println!(
        "cargo:rerun-if-changed={}",
        pin_dir.join("SHA256SUMS").display()
    );

    // OPENLINEAGE_SPEC_DIR, then the snapshot staged in a package, then the pin's folder; the
    // checksums are verified whichever is used.
    let pin = Pin::read_from(&pin_dir.join("pin.json"))?;
    let env_dir = std::env::var_os(SPEC_DIR_ENV);
    let (spec_dir, _) =
        pin.locate_verified(&root, env_dir.as_deref(), &pin_dir.join("SHA256SUMS"))?;
    let generated = openlineage_codegen::generate::generate(&spec_dir, &pin.tag)?;
    for input in &generated.inputs {
        println!("cargo:rerun-if-changed={}", spec_dir.join(input).display());
    }
    std::fs::write(out.join("openlineage.rs"), generated.code)?;
    // The hand-written batch helpers need the batch types, which older snapshots lack.
    println!("cargo::rustc-check-cfg=cfg(openlineage_batch)");
    if generated.batch {
        println!("cargo:rustc-cfg=openlineage_batch");
    }
    // Module docs are inner attributes, which `include!` does not accept.
    let facet_kind: String = openlineage_codegen::FACET_KIND_SOURCE
        .lines()
        .filter(|l| !l.starts_with("//!"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(out.join("facet_kind.rs"), facet_kind)?;
    Ok(())
}
