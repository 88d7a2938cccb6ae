//! Helpers shared by the integration tests: where the pinned spec snapshot is.

use std::path::PathBuf;

use openlineage_codegen::spec::Pin;

/// The spec snapshot the crate was built from (honours `OPENLINEAGE_SPEC_DIR`).
pub fn spec_dir() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let pin = Pin::read(&root).expect("spec/pin.json is readable");
    pin.resolve_dir(&root)
}
