//! Semantic diff of two OpenLineage spec snapshots, light enough for any repository's CI.
//!
//! Each snapshot's schemas are turned into effective schemas (references resolved against the
//! snapshot being compared, `allOf` merged), so refactors such as a definition moved into
//! `$defs` or a facet re-pointed at another core version compare equal. Every difference is a
//! [`Change`] whose impact on producers and consumers comes from one rules table
//! ([`ChangeKind::impact`]); each schema's `$id` bump is judged against SchemaVer
//! ([`ChangeKind::min_bump`]), and the OpenAPI document's paths, operations, bodies and
//! `info.version` are diffed too.
//!
//! ```no_run
//! let diff = openlineage_spec_diff::diff_dirs("spec/1.40.0".as_ref(), "spec/1.52.0".as_ref())?;
//! print!("{}", diff.human());
//! std::process::exit(diff.exit_code());
//! # Ok::<(), openlineage_spec_diff::Error>(())
//! ```
#![deny(missing_docs)]

pub mod compare;
pub mod effective;
mod report;
pub mod rules;
pub mod snapshot;

use std::path::{Path, PathBuf};

use serde::Serialize;

pub use rules::{bump, rules_markdown, version_of, Bump, ChangeKind, Impact};
pub use snapshot::Snapshot;

/// Everything that makes a snapshot unusable for a diff.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or folder could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path that failed.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A file is not valid JSON or YAML.
    #[error("cannot parse {path}: {message}")]
    Parse {
        /// The file that failed to parse.
        path: PathBuf,
        /// What the parser said.
        message: String,
    },
    /// The folder is not a snapshot.
    #[error("{path} is not a spec snapshot: {message}")]
    NotASnapshot {
        /// The folder.
        path: PathBuf,
        /// What is missing.
        message: String,
    },
    /// A `$ref` names nothing in the snapshot.
    #[error("unresolvable reference `{reference}` in {file}")]
    Reference {
        /// The file holding the reference (relative to the snapshot).
        file: String,
        /// The reference as written.
        reference: String,
    },
}

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// File (relative to the snapshot) and JSON pointer into its effective schema.
    pub location: String,
    /// What changed.
    pub kind: ChangeKind,
    /// A readable account.
    pub detail: String,
    /// Impact on event producers (clients, for the OpenAPI document).
    pub producers: Impact,
    /// Impact on event consumers (servers, for the OpenAPI document).
    pub consumers: Impact,
}

impl Change {
    /// A change with the impact the rules table gives its kind.
    pub fn new(location: &str, kind: ChangeKind, detail: impl Into<String>) -> Self {
        let (producers, consumers) = kind.impact();
        Change {
            location: location.to_string(),
            kind,
            detail: detail.into(),
            producers,
            consumers,
        }
    }

    /// The file part of the location.
    pub fn file(&self) -> &str {
        self.location.split('#').next().unwrap_or(&self.location)
    }
}

/// The whole diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpecDiff {
    /// Old snapshot folder name.
    pub old: String,
    /// New snapshot folder name.
    pub new: String,
    /// True when a change breaks producers or consumers, or a version does not fit.
    pub breaking: bool,
    /// Every change: core, OpenAPI, then facets by file.
    pub changes: Vec<Change>,
}

impl SpecDiff {
    /// True when any change breaks producers or consumers, or a version bump is wrong.
    pub fn is_breaking(&self) -> bool {
        self.breaking
    }

    /// 0 when compatible, 1 when breaking (2 is for unusable input, an [`Error`]).
    pub fn exit_code(&self) -> i32 {
        i32::from(self.breaking)
    }

    /// Files with a change that breaks producers.
    pub fn breaks_producers(&self) -> Vec<&str> {
        self.files_where(|c| c.producers == Impact::Breaking)
    }

    /// Files with a change that breaks consumers.
    pub fn breaks_consumers(&self) -> Vec<&str> {
        self.files_where(|c| c.consumers == Impact::Breaking)
    }

    /// The version flags: changes of kind [`ChangeKind::VersionBumpMismatch`].
    pub fn version_flags(&self) -> Vec<&Change> {
        self.changes
            .iter()
            .filter(|c| c.kind == ChangeKind::VersionBumpMismatch)
            .collect()
    }

    fn files_where(&self, keep: impl Fn(&Change) -> bool) -> Vec<&str> {
        let mut files: Vec<&str> = self
            .changes
            .iter()
            .filter(|c| keep(c))
            .map(Change::file)
            .collect();
        files.sort_unstable();
        files.dedup();
        files
    }
}

/// The semantic diff of two snapshot folders.
pub fn diff_dirs(old: &Path, new: &Path) -> Result<SpecDiff> {
    let (so, sn) = (Snapshot::load(old)?, Snapshot::load(new)?);
    diff(&so, &sn, &folder_name(old), &folder_name(new))
}

/// The semantic diff of two loaded snapshots.
pub fn diff(old: &Snapshot, new: &Snapshot, old_name: &str, new_name: &str) -> Result<SpecDiff> {
    let mut changes = compare::core(old, new)?;
    changes.extend(compare::openapi(old, new)?);
    let (pairs, added, removed) = compare::pair_facets(old, new);
    let mut per_file = std::collections::BTreeMap::new();
    for (a, b) in &pairs {
        per_file.insert(b.clone(), compare::facet(old, new, a, b)?);
    }
    for file in added {
        // Resolving it checks its references, so a broken new facet is an error, not a pass.
        effective::Effective::new(new).at(&file, "")?;
        let v = &new.files[&file];
        let mut detail = format!(
            "facet {} (key {}) added at {}",
            stem(&file),
            key_places(v),
            version_of(snapshot::id_of(v))
        );
        let listed = registry_listings(&new.dir, &file);
        if !listed.is_empty() {
            detail.push_str(&format!("; listed in {}", listed.join(", ")));
        }
        per_file.insert(
            file.clone(),
            vec![Change::new(&file, ChangeKind::FacetAdded, detail)],
        );
    }
    for file in removed {
        effective::Effective::new(old).at(&file, "")?;
        let detail = format!(
            "facet {} (key {}) removed",
            stem(&file),
            keys(&old.files[&file])
        );
        per_file.insert(
            file.clone(),
            vec![Change::new(&file, ChangeKind::FacetRemoved, detail)],
        );
    }
    changes.extend(per_file.into_values().flatten());
    let breaking = changes.iter().any(|c| {
        c.producers == Impact::Breaking
            || c.consumers == Impact::Breaking
            || c.kind == ChangeKind::VersionBumpMismatch
    });
    Ok(SpecDiff {
        old: old_name.to_string(),
        new: new_name.to_string(),
        breaking,
        changes,
    })
}

fn folder_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

fn stem(file: &str) -> &str {
    file.rsplit('/')
        .next()
        .unwrap_or(file)
        .trim_end_matches(".json")
}

/// The facet keys with the containers each lives in, from the base facet its definitions
/// extend: `lineage in the dataset and job containers` for a key that is an `anyOf` of a dataset
/// and a job variant.
fn key_places(v: &serde_json::Value) -> String {
    use serde_json::Value;
    fn defs(prop: &Value) -> Vec<String> {
        if let Some(r) = prop.get("$ref").and_then(Value::as_str) {
            return r
                .strip_prefix("#/$defs/")
                .map(String::from)
                .into_iter()
                .collect();
        }
        ["anyOf", "oneOf"]
            .iter()
            .filter_map(|k| prop.get(*k).and_then(Value::as_array))
            .flatten()
            .flat_map(defs)
            .collect()
    }
    fn containers(file: &Value, def: &str, depth: usize, out: &mut Vec<&'static str>) {
        let Some(schema) = file.pointer(&format!("/$defs/{def}")) else {
            return;
        };
        for base in schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|m| m.get("$ref").and_then(Value::as_str))
        {
            let name = match base.rsplit('/').next() {
                Some("RunFacet") => "run",
                Some("JobFacet") => "job",
                Some("DatasetFacet") => "dataset",
                Some("InputDatasetFacet") => "input dataset",
                Some("OutputDatasetFacet") => "output dataset",
                _ => continue,
            };
            if !out.contains(&name) {
                out.push(name);
            }
        }
        if depth < 8 {
            for variant in ["anyOf", "oneOf"]
                .iter()
                .filter_map(|k| schema.get(*k).and_then(Value::as_array))
                .flatten()
                .flat_map(defs)
            {
                containers(file, &variant, depth + 1, out);
            }
        }
    }
    let Some(props) = v.get("properties").and_then(Value::as_object) else {
        return String::new();
    };
    props
        .iter()
        .map(|(key, prop)| {
            let mut out = Vec::new();
            for def in defs(prop) {
                containers(v, &def, 0, &mut out);
            }
            match out.as_slice() {
                [] => key.clone(),
                [one] => format!("{key}, in the {one} container"),
                [rest @ .., last] => {
                    format!("{key}, in the {} and {last} containers", rest.join(", "))
                }
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The registry files (`registry/*/registry.json`) of the snapshot in `dir` that list `file`.
fn registry_listings(dir: &Path, file: &str) -> Vec<String> {
    let name = file.rsplit('/').next().unwrap_or(file);
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir.join("registry")) else {
        return out;
    };
    let mut folders: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    folders.sort();
    for folder in folders {
        let registry = folder.join("registry.json");
        let Ok(text) = std::fs::read_to_string(&registry) else {
            continue;
        };
        // Entries name facets as `ol:<producer>:<File>.json`.
        if text.contains(&format!(":{name}\"")) {
            if let Ok(rel) = registry.strip_prefix(dir) {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out
}

fn keys(v: &serde_json::Value) -> String {
    v.get("properties")
        .and_then(serde_json::Value::as_object)
        .map(|p| p.keys().cloned().collect::<Vec<_>>().join(", "))
        .unwrap_or_default()
}
