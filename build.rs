//! Build script: generates the OpenLineage types from the pinned spec snapshot, or (in a package
//! built without the `codegen` feature) checks and uses the code the package carries.
//!
//! The generation lives in the `openlineage-codegen` crate, where it is unit-tested; this file only
//! wires it to Cargo: where the spec is, what to watch, where to write. A package carries the code
//! `cargo xtask package` generated from the same pinned snapshot with the same generator
//! (`openlineage_codegen::shipped`), so its users do not build the generator and its dependencies.

use std::path::{Path, PathBuf};

/// The variables `openlineage_codegen::spec` reads (`SPEC_DIR_ENV`, `PIN_DIR_ENV`), named here
/// too because the generator is not built when the package's code is used.
const SPEC_DIR_ENV: &str = "OPENLINEAGE_SPEC_DIR";
const PIN_DIR_ENV: &str = "OPENLINEAGE_SPEC_PIN_DIR";

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
    // The hand-written batch helpers need the batch types, which older snapshots lack.
    println!("cargo::rustc-check-cfg=cfg(openlineage_batch)");
    let batch = write_code(&root, &pin_dir, &out)?;
    if batch {
        println!("cargo:rustc-cfg=openlineage_batch");
    }
    Ok(())
}

/// Generates the code into `out`; returns whether the batch types were generated.
#[cfg(feature = "codegen")]
fn write_code(root: &Path, pin_dir: &Path, out: &Path) -> Result<bool, Box<dyn std::error::Error>> {
    use openlineage_codegen::spec::Pin;
    if (SPEC_DIR_ENV, PIN_DIR_ENV)
        != (
            openlineage_codegen::spec::SPEC_DIR_ENV,
            openlineage_codegen::spec::PIN_DIR_ENV,
        )
    {
        return Err("build.rs names other variables than openlineage-codegen reads".into());
    }
    // OPENLINEAGE_SPEC_DIR, then the snapshot staged in a package, then the pin's folder; the
    // checksums are verified whichever is used.
    let pin = Pin::read_from(&pin_dir.join("pin.json"))?;
    let env_dir = std::env::var_os(SPEC_DIR_ENV);
    let (spec_dir, _) =
        pin.locate_verified(root, env_dir.as_deref(), &pin_dir.join("SHA256SUMS"))?;
    let generated = openlineage_codegen::generate::generate(&spec_dir, &pin.tag)?;
    for input in &generated.inputs {
        println!("cargo:rerun-if-changed={}", spec_dir.join(input).display());
    }
    std::fs::write(out.join("openlineage.rs"), generated.code)?;
    std::fs::write(
        out.join("facet_kind.rs"),
        openlineage_codegen::facet_kind_include(),
    )?;
    Ok(generated.batch)
}

/// The package's generated code (`spec/staged/generated/`), checked against its checksums and
/// against the pin it was generated from, together with the staged snapshot it embeds, then
/// copied into `out`; returns whether the batch types were generated.
#[cfg(not(feature = "codegen"))]
fn write_code(root: &Path, pin_dir: &Path, out: &Path) -> Result<bool, Box<dyn std::error::Error>> {
    for var in [SPEC_DIR_ENV, PIN_DIR_ENV] {
        if std::env::var_os(var).is_some_and(|v| !v.is_empty()) {
            return Err(format!(
                "{var} is set, but this build uses the generated code the package carries: enable the `codegen` feature to generate from another snapshot, or unset {var}"
            )
            .into());
        }
    }
    let dir = root.join("spec/staged/generated");
    let read = |path: &Path| {
        std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
    };
    let hex = |bytes: &[u8]| -> String {
        hmac_sha256::Hash::hash(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    // Every file listed in a `sha256sum`-format file under `base` must have its checksum.
    let check_sums = |sums: &Path, base: &Path| -> Result<Vec<String>, String> {
        let text = String::from_utf8(read(sums)?)
            .map_err(|_| format!("{} is not UTF-8", sums.display()))?;
        let mut files = Vec::new();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let (sum, file) = line
                .split_once("  ")
                .ok_or_else(|| format!("{}: `{line}` is not `<sha256>  <file>`", sums.display()))?;
            let path = base.join(file);
            if hex(&read(&path)?) != sum.to_ascii_lowercase() {
                return Err(format!(
                    "{} does not match its checksum in {}",
                    path.display(),
                    sums.display()
                ));
            }
            files.push(file.to_string());
        }
        Ok(files)
    };
    if !dir.join("SHA256SUMS").is_file() {
        return Err(format!(
            "{} is missing: a checkout generates the types at build time (the `codegen` feature, on by default in this repository), and a package made by `cargo xtask package` carries them",
            dir.join("SHA256SUMS").display()
        )
        .into());
    }
    let generated = check_sums(&dir.join("SHA256SUMS"), &dir)?;
    for needed in ["ORIGIN", "openlineage.rs", "facet_kind.rs"] {
        if !generated.iter().any(|f| f == needed) {
            return Err(format!(
                "{} does not list {needed}",
                dir.join("SHA256SUMS").display()
            )
            .into());
        }
    }
    let origin = String::from_utf8(read(&dir.join("ORIGIN"))?)?;
    let field = |key: &str| {
        origin
            .lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix(' '))
            .ok_or_else(|| format!("{} has no `{key}` line", dir.join("ORIGIN").display()))
    };
    let pin_sums = pin_dir.join("SHA256SUMS");
    if field("spec-sums")? != hex(&read(&pin_sums)?) {
        return Err(format!(
            "the generated code in {} was made from another spec than {} pins",
            dir.display(),
            pin_sums.display()
        )
        .into());
    }
    let tag = field("tag")?;
    // The code embeds the staged snapshot's schemas (`include_str!`), checked as `build.rs`
    // checks any snapshot.
    check_sums(&pin_sums, &root.join("spec/staged").join(tag))?;
    for file in ["openlineage.rs", "facet_kind.rs"] {
        std::fs::copy(dir.join(file), out.join(file)).map_err(|e| {
            format!(
                "cannot copy {} into {}: {e}",
                dir.join(file).display(),
                out.display()
            )
        })?;
    }
    Ok(field("batch")? == "true")
}
