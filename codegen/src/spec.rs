//! Locating, pinning and loading an OpenLineage spec snapshot.
//!
//! The repository never holds a copy of the upstream spec: `spec/pin.json` names the snapshot
//! folder (relative to the workspace root) and `spec/SHA256SUMS` records a sha256 for every file
//! the build and the tests read, so a changed or missing file stops the build with a message
//! naming it. A published package carries the pinned files in [`STAGED_DIR`], copied there by
//! `cargo xtask package`, because a package has no snapshot folder beside it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// Environment variable that points the build at another copy of the pinned spec.
pub const SPEC_DIR_ENV: &str = "OPENLINEAGE_SPEC_DIR";

/// Environment variable naming another folder holding `pin.json` and `SHA256SUMS`.
pub const PIN_DIR_ENV: &str = "OPENLINEAGE_SPEC_PIN_DIR";

/// Folder, relative to the types crate's root, holding staged snapshots as `<tag>/`: git-ignored
/// in the repository, present in packages.
pub const STAGED_DIR: &str = "spec/staged";

/// Where a resolved snapshot folder came from, in the order they are tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecSource {
    /// The `OPENLINEAGE_SPEC_DIR` environment variable.
    Env,
    /// The snapshot staged inside the crate (a package).
    Staged,
    /// The folder `pin.json` names (a checkout with the snapshots beside it).
    Pin,
}

impl std::fmt::Display for SpecSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SpecSource::Env => SPEC_DIR_ENV,
            SpecSource::Staged => "the staged snapshot",
            SpecSource::Pin => "spec/pin.json",
        })
    }
}

/// The content of `spec/pin.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pin {
    /// Upstream release tag of the snapshot, e.g. `1.52.0`.
    pub tag: String,
    /// Snapshot folder, relative to the workspace root.
    pub path: String,
    /// Folder holding older releases as `<tag>/` (tests and README examples read them), relative
    /// to the workspace root; when absent, the pinned folder's parent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<String>,
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

    /// The snapshot folder to read: `OPENLINEAGE_SPEC_DIR` when set, else the snapshot staged
    /// in the crate for this tag when there is one, else the folder the pin names.
    pub fn resolve_dir(&self, workspace_root: &Path) -> PathBuf {
        self.locate(workspace_root, std::env::var_os(SPEC_DIR_ENV).as_deref())
            .0
    }

    /// [`Pin::resolve_dir`] with the environment variable's value passed in, and where the
    /// folder came from. The caller still verifies the folder against the checksums.
    pub fn locate(
        &self,
        workspace_root: &Path,
        env_dir: Option<&std::ffi::OsStr>,
    ) -> (PathBuf, SpecSource) {
        if let Some(dir) = env_dir.filter(|d| !d.is_empty()) {
            return (PathBuf::from(dir), SpecSource::Env);
        }
        let staged = self.staged_dir(workspace_root);
        if staged.join("OpenLineage.json").is_file() {
            return (staged, SpecSource::Staged);
        }
        (workspace_root.join(&self.path), SpecSource::Pin)
    }

    /// [`Pin::locate`] followed by [`verify`] against `sums`, as the build script does: the
    /// checksums hold whichever folder is used.
    pub fn locate_verified(
        &self,
        workspace_root: &Path,
        env_dir: Option<&std::ffi::OsStr>,
        sums: &Path,
    ) -> Result<(PathBuf, SpecSource)> {
        let (dir, source) = self.locate(workspace_root, env_dir);
        verify(&dir, sums)?;
        Ok((dir, source))
    }

    /// The folder holding older releases as `<tag>/`: the pin's `history`, else the parent of
    /// the snapshot folder [`Pin::resolve_dir`] finds.
    pub fn history_dir(&self, workspace_root: &Path) -> PathBuf {
        match &self.history {
            Some(dir) => workspace_root.join(dir),
            None => {
                let pinned = self.resolve_dir(workspace_root);
                pinned.parent().map_or(pinned.clone(), Path::to_path_buf)
            }
        }
    }

    /// Where `cargo xtask package` stages this pin's snapshot inside the crate.
    pub fn staged_dir(&self, crate_root: &Path) -> PathBuf {
        crate_root.join(STAGED_DIR).join(&self.tag)
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

/// Writes a snapshot to `out`: the files of `base` the project reads ([`pinned_files`]), then
/// every file of `overlay` on top (added or replacing). Tests derive snapshots with new schema
/// constructs this way; the caller pins the result with checksums of its own.
pub fn overlay_snapshot(base: &Path, overlay: &Path, out: &Path) -> Result<()> {
    let copy = |from: &Path, to: &Path| -> Result<()> {
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(|source| Error::Io {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        std::fs::copy(from, to)
            .map(drop)
            .map_err(|source| Error::Io {
                path: from.to_path_buf(),
                source,
            })
    };
    for rel in pinned_files(base)? {
        copy(&base.join(&rel), &out.join(&rel))?;
    }
    for rel in list_files(overlay, "", |_| true)? {
        copy(&overlay.join(&rel), &out.join(&rel))?;
    }
    Ok(())
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
                    "no OpenLineage spec snapshot here; set {SPEC_DIR_ENV} to a copy of the pinned snapshot (`cargo xtask spec fetch TAG` downloads one) or check spec/pin.json"
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

    /// A scratch folder removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Self {
            let dir = std::env::temp_dir().join(format!("ol-spec-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Scratch(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// A two-file snapshot at `dir` whose core schema has `content`.
    fn snapshot(dir: &Path, content: &str) {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("OpenLineage.json"), content).unwrap();
        std::fs::write(dir.join("OpenLineage.yml"), "openapi: 3.0.2\n").unwrap();
    }

    /// A crate root with a pin naming `../snapshots/1.0.0`, checksums of `content`, and that
    /// snapshot beside it.
    fn checkout(scratch: &Path, content: &str) -> (PathBuf, Pin, PathBuf) {
        let root = scratch.join("crate");
        let pinned = scratch.join("snapshots/1.0.0");
        snapshot(&pinned, content);
        let pin = Pin {
            tag: "1.0.0".into(),
            path: "../snapshots/1.0.0".into(),
            history: None,
        };
        std::fs::create_dir_all(root.join("spec")).unwrap();
        pin.write(&root.join("spec")).unwrap();
        let sums = root.join("spec/SHA256SUMS");
        let files = pinned_files(&pinned).unwrap();
        std::fs::write(&sums, format_sums(&checksums(&pinned, &files).unwrap())).unwrap();
        (root, pin, sums)
    }

    #[test]
    fn the_environment_wins_then_the_staged_snapshot_then_the_pin() {
        let scratch = Scratch::new("order");
        let (root, pin, _) = checkout(&scratch.0, "{}");
        let pinned = root.join("../snapshots/1.0.0");
        assert_eq!(pin.locate(&root, None), (pinned.clone(), SpecSource::Pin));
        // An empty variable counts as unset, as a shell's `VAR=` does.
        assert_eq!(pin.locate(&root, Some("".as_ref())).1, SpecSource::Pin);
        let staged = pin.staged_dir(&root);
        snapshot(&staged, "{}");
        assert_eq!(
            pin.locate(&root, None),
            (staged.clone(), SpecSource::Staged)
        );
        let elsewhere = scratch.0.join("elsewhere");
        assert_eq!(
            pin.locate(&root, Some(elsewhere.as_os_str())),
            (elsewhere, SpecSource::Env)
        );
        // A snapshot staged for another tag is not this pin's.
        let other = Pin {
            tag: "2.0.0".into(),
            ..pin
        };
        assert_eq!(other.locate(&root, None).1, SpecSource::Pin);
    }

    #[test]
    fn checksums_hold_whichever_folder_is_used() {
        let scratch = Scratch::new("verified");
        let (root, pin, sums) = checkout(&scratch.0, "{}");
        let (_, source) = pin.locate_verified(&root, None, &sums).unwrap();
        assert_eq!(source, SpecSource::Pin);
        // A staged copy that differs from the pin fails, though the pinned folder is intact.
        snapshot(&pin.staged_dir(&root), "{\"changed\": true}");
        let err = pin.locate_verified(&root, None, &sums).unwrap_err();
        assert!(
            matches!(&err, Error::Checksum { path, .. } if path.ends_with("spec/staged/1.0.0/OpenLineage.json")),
            "{err}"
        );
        // So does a folder named by the environment.
        let env = scratch.0.join("env");
        snapshot(&env, "[]");
        let err = pin
            .locate_verified(&root, Some(env.as_os_str()), &sums)
            .unwrap_err();
        assert!(err.to_string().contains("env/OpenLineage.json"), "{err}");
        // And a folder with no snapshot says how to get one.
        let err = pin
            .locate_verified(&root, Some(scratch.0.join("none").as_os_str()), &sums)
            .unwrap_err();
        assert!(err.to_string().contains("cargo xtask spec fetch"), "{err}");
    }

    #[test]
    fn malformed_sums_name_the_line() {
        let err = parse_sums(Path::new("SUMS"), "nothex  file\n").unwrap_err();
        assert!(err.to_string().contains("line 1"), "{err}");
    }
}
