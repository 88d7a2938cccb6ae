//! Loading a snapshot folder of any layout, and resolving references against it.
//!
//! Layouts differ across releases: `registry/` appears in 1.17.0 and the batch endpoint in
//! 1.40.0, so only `OpenLineage.json` and `OpenLineage.yml` are required.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{Error, Result};

/// The core schema's path inside a snapshot.
pub const CORE: &str = "OpenLineage.json";
/// The OpenAPI document's path inside a snapshot.
pub const OPENAPI: &str = "OpenLineage.yml";

/// Every schema file of one snapshot, parsed.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The folder it was read from.
    pub dir: PathBuf,
    /// Files by path relative to the folder, with `/` separators: the core schema, the OpenAPI
    /// document (as JSON) and every facet schema.
    pub files: BTreeMap<String, Value>,
}

impl Snapshot {
    /// Reads a snapshot folder; a missing or unparsable file is an error naming it.
    pub fn load(dir: &Path) -> Result<Self> {
        if !dir.is_dir() {
            return Err(Error::NotASnapshot {
                path: dir.to_path_buf(),
                message: "no such folder".into(),
            });
        }
        let mut files = BTreeMap::new();
        files.insert(CORE.to_string(), read_json(&dir.join(CORE))?);
        let yml = dir.join(OPENAPI);
        let text = read_text(&yml)?;
        let openapi: Value = serde_yaml_ng::from_str(&text).map_err(|e| Error::Parse {
            path: yml.clone(),
            message: e.to_string(),
        })?;
        files.insert(OPENAPI.to_string(), openapi);
        for rel in facet_files(dir)? {
            let value = read_json(&dir.join(&rel))?;
            files.insert(rel, value);
        }
        Ok(Snapshot {
            dir: dir.to_path_buf(),
            files,
        })
    }

    /// Paths of the facet schemas, core facets first, then registry facets.
    pub fn facets(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.files.iter().filter(|(k, _)| is_facet(k))
    }

    /// Resolves `reference`, written in `base`, to a file of this snapshot and a JSON pointer.
    ///
    /// Core URLs of any version (`https://openlineage.io/spec/1-0-2/OpenLineage.json`) name this
    /// snapshot's core; facet URLs name the facet file with the same file name.
    pub fn locate(&self, base: &str, reference: &str) -> Result<(String, String)> {
        let unresolved = || Error::Reference {
            file: base.to_string(),
            reference: reference.to_string(),
        };
        let (url, fragment) = reference.split_once('#').unwrap_or((reference, ""));
        let file = if url.is_empty() {
            base.to_string()
        } else if url.contains("://") {
            let name = url.rsplit('/').next().unwrap_or(url);
            if name == CORE {
                CORE.to_string()
            } else {
                let mut by_id = self.files.iter().filter(|(_, v)| id_of(v) == url);
                let mut by_name = self
                    .files
                    .keys()
                    .filter(|k| is_facet(k) && k.rsplit('/').next() == Some(name));
                match (by_id.next(), by_name.next(), by_name.next()) {
                    (Some((k, _)), _, _) => k.clone(),
                    (None, Some(k), None) => k.clone(),
                    _ => return Err(unresolved()),
                }
            }
        } else {
            join(base, url)
        };
        let doc = self.files.get(&file).ok_or_else(unresolved)?;
        if doc.pointer(fragment).is_none() {
            return Err(unresolved());
        }
        Ok((file, fragment.to_string()))
    }
}

fn is_facet(rel: &str) -> bool {
    rel.starts_with("facets/") || rel.starts_with("registry/")
}

/// The `$id` of a schema, or "".
pub fn id_of(v: &Value) -> &str {
    v.get("$id").and_then(Value::as_str).unwrap_or_default()
}

/// `$id` without its version segment: the same facet across releases.
pub fn id_path(id: &str) -> String {
    let mut parts: Vec<&str> = id.split('/').collect();
    if parts.len() >= 2 {
        parts.remove(parts.len() - 2);
    }
    parts.join("/")
}

/// Joins a relative reference to the folder of `base`, resolving `.` and `..`.
fn join(base: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = base.split('/').collect();
    parts.pop();
    for p in rel.split('/') {
        match p {
            "." | "" => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn read_json(path: &Path) -> Result<Value> {
    serde_json::from_str(&read_text(path)?).map_err(|e| Error::Parse {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// `facets/*.json`, then `registry/**/facets/*.json`, relative to `dir`; absent folders are
/// simply empty.
fn facet_files(dir: &Path) -> Result<Vec<String>> {
    let mut core = list(dir, "facets", false)?;
    core.sort();
    let mut registry = list(dir, "registry", true)?;
    registry.sort();
    core.extend(registry);
    Ok(core)
}

fn list(dir: &Path, sub: &str, registry: bool) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.join(sub)];
    while let Some(folder) = stack.pop() {
        if !folder.is_dir() {
            continue;
        }
        let io = |source| Error::Io {
            path: folder.clone(),
            source,
        };
        for entry in std::fs::read_dir(&folder).map_err(io)? {
            let path = entry.map_err(io)?.path();
            let in_facets = path.parent().and_then(Path::file_name) == Some("facets".as_ref());
            if path.is_dir() {
                stack.push(path);
            } else if path.extension() == Some("json".as_ref()) && (!registry || in_facets) {
                let rel = path.strip_prefix(dir).unwrap_or(&path);
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_references_join_the_base_folder() {
        assert_eq!(join("OpenLineage.json", "facets/A.json"), "facets/A.json");
        assert_eq!(
            join("OpenLineage.yml", "OpenLineage.json"),
            "OpenLineage.json"
        );
        assert_eq!(
            join("registry/x/facets/A.json", "../B.json"),
            "registry/x/B.json"
        );
    }

    #[test]
    fn id_paths_drop_the_version() {
        assert_eq!(
            id_path("https://openlineage.io/spec/facets/1-0-1/A.json"),
            "https://openlineage.io/spec/facets/A.json"
        );
    }
}
