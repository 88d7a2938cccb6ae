//! Build script: generates the OpenLineage types from the pinned spec snapshot.
//!
//! The work lives in the `openlineage-codegen` crate, where it is unit-tested; this file only
//! wires it to Cargo: where the spec is, what to watch, where to write.

use std::path::PathBuf;

use openlineage_codegen::spec::{verify, Pin, SPEC_DIR_ENV};

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
    println!("cargo:rerun-if-changed=spec/pin.json");
    println!("cargo:rerun-if-changed=spec/SHA256SUMS");

    let pin = Pin::read(&root)?;
    let spec_dir = pin.resolve_dir(&root);
    verify(&spec_dir, &root.join("spec/SHA256SUMS"))?;
    let generated = openlineage_codegen::generate::generate(&spec_dir, &pin.tag)?;
    for input in &generated.inputs {
        println!("cargo:rerun-if-changed={}", spec_dir.join(input).display());
    }
    std::fs::write(out.join("openlineage.rs"), generated.code)?;
    Ok(())
}
