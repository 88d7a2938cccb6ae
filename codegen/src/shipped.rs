//! The generated code a package carries, so that its users build without the generator.
//!
//! `cargo xtask package` calls [`write_shipped`] after staging the pinned snapshot: the same
//! [`crate::generate`] run `build.rs` makes, from the staged files, naming them under the crate's
//! folder so the code stays valid wherever the package is unpacked. Beside the code, `ORIGIN`
//! says which pin it came from (tag, batch types, the sha256 of `spec/SHA256SUMS`) and
//! `SHA256SUMS` has a checksum for every file of the folder; `build.rs` checks both before it
//! uses the code, and a checkout (feature `codegen`) generates as before.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::generate::{generate_with, SchemaPaths};
use crate::spec::{checksums, format_sums, Pin, STAGED_DIR};
use crate::{Error, Result};

/// Folder, relative to the types crate's root, of the generated code a package carries
/// (git-ignored in the repository, like the staged snapshot beside it).
pub const GENERATED_DIR: &str = "spec/staged/generated";

/// The generated source, as `build.rs` would write it into `OUT_DIR`.
pub const CODE_FILE: &str = "openlineage.rs";
/// The facet kinds' source, as `build.rs` would write it into `OUT_DIR`.
pub const FACET_KIND_FILE: &str = "facet_kind.rs";
/// Which pin the code was generated from, one `key value` a line.
pub const ORIGIN_FILE: &str = "ORIGIN";
/// Checksums of the other files, in `sha256sum` format.
pub const SUMS_FILE: &str = "SHA256SUMS";

/// Generates the code for the snapshot staged in `crate_root` (for `pin`) into
/// [`GENERATED_DIR`], emptied first, and returns that folder.
pub fn write_shipped(crate_root: &Path, pin: &Pin) -> Result<PathBuf> {
    let staged = pin.staged_dir(crate_root);
    let in_crate = format!("{STAGED_DIR}/{}", pin.tag);
    let generated = generate_with(&staged, &pin.tag, SchemaPaths::InCrate(&in_crate))?;
    let dir = crate_root.join(GENERATED_DIR);
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(io(&dir))?;
    }
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let sums_path = crate_root.join("spec/SHA256SUMS");
    let pinned_sums = std::fs::read(&sums_path).map_err(io(&sums_path))?;
    let origin = origin_text(&pin.tag, generated.batch, &pinned_sums);
    let files = BTreeMap::from([
        (CODE_FILE, generated.code),
        (FACET_KIND_FILE, crate::facet_kind_include()),
        (ORIGIN_FILE, origin),
    ]);
    for (name, text) in &files {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(io(&path))?;
    }
    let names: Vec<String> = files.keys().map(|n| n.to_string()).collect();
    let sums = format_sums(&checksums(&dir, &names)?);
    let path = dir.join(SUMS_FILE);
    std::fs::write(&path, sums).map_err(io(&path))?;
    Ok(dir)
}

/// The `ORIGIN` file: the tag, whether batch types were generated, and the sha256 of the
/// `spec/SHA256SUMS` the snapshot was verified against.
pub fn origin_text(tag: &str, batch: bool, pinned_sums: &[u8]) -> String {
    let sums: String = Sha256::digest(pinned_sums)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("tag {tag}\nbatch {batch}\nspec-sums {sums}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_origin_names_the_tag_the_batch_types_and_the_pinned_checksums() {
        let text = origin_text("1.52.0", true, b"");
        assert_eq!(
            text,
            "tag 1.52.0\nbatch true\nspec-sums e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
        );
    }
}
