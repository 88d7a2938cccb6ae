//! Locating, pinning and loading an OpenLineage spec snapshot.
//!
//! The project never copies the upstream spec: `spec/pin.json` names the snapshot folder (relative
//! to the workspace root) and `spec/SHA256SUMS` records a sha256 for every file the build and the
//! tests read, so a changed or missing file stops the build with a message naming it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// Environment variable that points the build at another copy of the pinned spec.
pub const SPEC_DIR_ENV: &str = "OPENLINEAGE_SPEC_DIR";

/// Environment variable naming another folder holding `pin.json` and `SHA256SUMS`.
pub const PIN_DIR_ENV: &str = "OPENLINEAGE_SPEC_PIN_DIR";

/// The content of `spec/pin.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pin {
    /// Upstream release tag of the snapshot, e.g. `1.52.0`.
    pub tag: String,
    /// Snapshot folder, relative to the workspace root.
    pub path: String,
}

impl Pin {
    /// Reads `spec/pin.json` under `workspace_root`.
    pub fn read(workspace_root: &Path) -> Result<Self> {
        Self::read_from(&workspace_root.join("spec/pin.json"))
    }

    /// Reads a pin file.
    pub fn read_from(path: &Path) -> Result<Self> {
        let path = path.to_path_buf();
        let text = read_text(&path)?;
        serde_json::from_str(&text).map_err(|e| Error::Pin {
            path,
            message: e.to_string(),
        })
    }

    /// Writes this pin to `pin.json` in `dir`.
    pub fn write(&self, dir: &Path) -> Result<()> {
        let path = dir.join("pin.json");
        let mut text = serde_json::to_string_pretty(self).map_err(|e| Error::Pin {
            path: path.clone(),
            message: e.to_string(),
        })?;
        text.push('\n');
        std::fs::write(&path, text).map_err(|source| Error::Io { path, source })
    }

    /// The snapshot folder this pin names, unless the environment overrides it.
    pub fn resolve_dir(&self, workspace_root: &Path) -> PathBuf {
        match std::env::var_os(SPEC_DIR_ENV) {
            Some(dir) if !dir.is_empty() => PathBuf::from(dir),
            _ => workspace_root.join(&self.path),
        }
    }
}

/// Reads a file into a string, naming the file on failure.
pub fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads and parses a JSON file, naming the file on failure.
pub fn read_json(path: &Path) -> Result<serde_json::Value> {
    let text = read_text(path)?;
    serde_json::from_str(&text).map_err(|e| Error::Parse {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// Relative paths of the files code generation reads, in a stable order: the core schema, the
/// OpenAPI document, the core facets and the registry facets.
pub fn build_inputs(spec_dir: &Path) -> Result<Vec<String>> {
    let mut files = vec![
        "OpenLineage.json".to_string(),
        "OpenLineage.yml".to_string(),
    ];
    files.extend(facet_files(spec_dir)?);
    Ok(files)
}

/// Relative paths of every facet schema: `facets/*.json`, then `registry/**/facets/*.json`.
pub fn facet_files(spec_dir: &Path) -> Result<Vec<String>> {
    let mut core = list_files(spec_dir, "facets", is_json)?;
    core.sort();
    let mut registry = list_files(spec_dir, "registry", |p| {
        is_json(p) && p.parent().and_then(Path::file_name) == Some("facets".as_ref())
    })?;
    registry.sort();
    core.extend(registry);
    Ok(core)
}

/// Relative paths of the upstream example payloads under `tests/`.
pub fn example_files(spec_dir: &Path) -> Result<Vec<String>> {
    let mut files = list_files(spec_dir, "tests", is_json)?;
    files.sort();
    Ok(files)
}

fn is_json(path: &Path) -> bool {
    path.extension() == Some("json".as_ref())
}

/// Lists files below `spec_dir/sub` (recursively) that satisfy `keep`, relative to `spec_dir`
/// and with `/` separators. A missing `sub` folder yields no files.
fn list_files(spec_dir: &Path, sub: &str, keep: impl Fn(&Path) -> bool) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![spec_dir.join(sub)];
    while let Some(dir) = stack.pop() {
        if !dir.is_dir() {
            continue;
        }
        let entries = std::fs::read_dir(&dir).map_err(|source| Error::Io {
            path: dir.clone(),
            source,
        })?;
        for entry in entries {
            let entry = entry.map_err(|source| Error::Io {
                path: dir.clone(),
                source,
            })?;
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if keep(&path) {
                let rel = path.strip_prefix(spec_dir).unwrap_or(&path);
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    Ok(out)
}

/// Computes the sha256 of each file (relative to `spec_dir`), as lowercase hex.
pub fn checksums(spec_dir: &Path, files: &[String]) -> Result<BTreeMap<String, String>> {
    files
        .iter()
        .map(|rel| {
            let path = spec_dir.join(rel);
            let bytes = std::fs::read(&path).map_err(|source| Error::Io { path, source })?;
            Ok((rel.clone(), hex(&Sha256::digest(&bytes))))
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Renders checksums in `sha256sum` format, so `sha256sum -c` can check them too.
pub fn format_sums(sums: &BTreeMap<String, String>) -> String {
    sums.iter()
        .map(|(file, sum)| format!("{sum}  {file}\n"))
        .collect()
}

/// Parses `sha256sum`-format text into a file -> checksum map.
pub fn parse_sums(path: &Path, text: &str) -> Result<BTreeMap<String, String>> {
    let mut sums = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = || Error::Pin {
            path: path.to_path_buf(),
            message: format!("line {} is not `<sha256>  <file>`", n + 1),
        };
        let (sum, file) = line.split_once("  ").ok_or_else(bad)?;
        if sum.len() != 64 || !sum.bytes().all(|b| b.is_ascii_hexdigit()) || file.is_empty() {
            return Err(bad());
        }
        sums.insert(file.to_string(), sum.to_ascii_lowercase());
    }
    Ok(sums)
}

/// Every file the project reads from a snapshot: build inputs and upstream examples.
pub fn pinned_files(spec_dir: &Path) -> Result<Vec<String>> {
    let mut files = build_inputs(spec_dir)?;
    files.extend(example_files(spec_dir)?);
    Ok(files)
}

/// Checks `spec_dir` against the checksum file: every pinned file must exist with the pinned
/// content, and every file the project would read must be pinned.
pub fn verify(spec_dir: &Path, sums_path: &Path) -> Result<()> {
    if !spec_dir.join("OpenLineage.json").is_file() {
        return Err(Error::Io {
            path: spec_dir.join("OpenLineage.json"),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!(
                    "no OpenLineage spec snapshot here; check spec/pin.json or set {SPEC_DIR_ENV}"
                ),
            ),
        });
    }
    let pinned = parse_sums(sums_path, &read_text(sums_path)?)?;
    for (file, expected) in &pinned {
        let path = spec_dir.join(file);
        let bytes = std::fs::read(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        let actual = hex(&Sha256::digest(&bytes));
        if &actual != expected {
            return Err(Error::Checksum {
                path,
                expected: expected.clone(),
                actual,
            });
        }
    }
    for file in pinned_files(spec_dir)? {
        if !pinned.contains_key(&file) {
            return Err(Error::Pin {
                path: sums_path.to_path_buf(),
                message: format!("{file} is in the snapshot but not pinned"),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_round_trip() {
        let mut sums = BTreeMap::new();
        sums.insert("a/b.json".to_string(), "ab".repeat(32));
        let text = format_sums(&sums);
        assert_eq!(parse_sums(Path::new("x"), &text).unwrap(), sums);
    }

    #[test]
    fn malformed_sums_name_the_line() {
        let err = parse_sums(Path::new("SUMS"), "nothex  file\n").unwrap_err();
        assert!(err.to_string().contains("line 1"), "{err}");
    }
}
