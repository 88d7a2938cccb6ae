//! Semantic diff of two spec snapshots, with each change classified for producers and consumers.
//!
//! Producers write events, so a change breaks them when an event that was valid may no longer
//! be (a field became required, a format or enum got stricter). Consumers read events, so a
//! change breaks them when they may meet something they did not expect (a field may now be
//! absent, an enum grew, a field was removed). Each facet's `$id` version bump is checked
//! against the SchemaVer rules in `Versioning.md` (MODEL-REVISION-ADDITION).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use crate::spec::{facet_files, read_json, read_text};
use crate::Result;

/// How a change affects one side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Impact {
    /// Documentation or metadata only.
    Informational,
    /// Old behaviour keeps working.
    Compatible,
    /// Old behaviour may stop working.
    Breaking,
}

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A facet schema file appeared.
    FacetAdded,
    /// A facet schema file disappeared.
    FacetRemoved,
    /// A definition appeared.
    DefinitionAdded,
    /// A definition disappeared.
    DefinitionRemoved,
    /// A property appeared.
    PropertyAdded,
    /// A property disappeared.
    PropertyRemoved,
    /// A field became required.
    RequiredAdded,
    /// A field is no longer required.
    RequiredRemoved,
    /// The type (or referenced definition, or const) changed.
    TypeChanged,
    /// An enum gained values.
    EnumValuesAdded,
    /// An enum lost values.
    EnumValuesRemoved,
    /// A format was added, removed or changed.
    FormatChanged,
    /// A constraint (minimum, pattern, additionalProperties, ...) changed.
    ConstraintChanged,
    /// A description changed.
    DescriptionChanged,
    /// A schema `$id` version changed.
    VersionChanged,
    /// The OpenAPI document changed.
    OpenApiChanged,
    /// A `$id` version bump does not match the kind of change made.
    VersionBumpMismatch,
}

/// One change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// File (relative to the snapshot) and JSON pointer into it.
    pub location: String,
    /// What changed.
    pub kind: Kind,
    /// A readable account.
    pub detail: String,
    /// Impact on event producers.
    pub producers: Impact,
    /// Impact on event consumers.
    pub consumers: Impact,
}

/// The whole diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpecDiff {
    /// Old snapshot folder name.
    pub old: String,
    /// New snapshot folder name.
    pub new: String,
    /// Every change, by file then location.
    pub changes: Vec<Change>,
}

impl SpecDiff {
    /// True when any change breaks producers or consumers, or a version bump is wrong.
    pub fn is_breaking(&self) -> bool {
        self.changes.iter().any(|c| {
            c.producers == Impact::Breaking
                || c.consumers == Impact::Breaking
                || c.kind == Kind::VersionBumpMismatch
        })
    }

    /// Plain text, one change per line.
    pub fn human(&self) -> String {
        let mut out = format!(
            "spec diff {} -> {}: {} changes\n",
            self.old,
            self.new,
            self.changes.len()
        );
        for c in &self.changes {
            let _ = writeln!(
                out,
                "  [producers {:?}, consumers {:?}] {:?} at {}: {}",
                c.producers, c.consumers, c.kind, c.location, c.detail
            );
        }
        let _ = writeln!(
            out,
            "{}",
            if self.is_breaking() {
                "breaking changes found"
            } else {
                "no breaking changes"
            }
        );
        out
    }

    /// A Markdown table.
    pub fn markdown(&self) -> String {
        let mut out = format!("## Spec diff {} → {}\n\n| where | change | producers | consumers | detail |\n|---|---|---|---|---|\n", self.old, self.new);
        for c in &self.changes {
            let _ = writeln!(
                out,
                "| `{}` | {:?} | {:?} | {:?} | {} |",
                c.location,
                c.kind,
                c.producers,
                c.consumers,
                c.detail.replace('|', "\\|")
            );
        }
        let _ = writeln!(
            out,
            "\n**{}**",
            if self.is_breaking() {
                "Breaking changes found."
            } else {
                "No breaking changes."
            }
        );
        out
    }
}

fn change(
    location: &str,
    kind: Kind,
    detail: impl Into<String>,
    producers: Impact,
    consumers: Impact,
) -> Change {
    Change {
        location: location.to_string(),
        kind,
        detail: detail.into(),
        producers,
        consumers,
    }
}

use Impact::{Breaking, Compatible, Informational};

/// Compares two schema nodes (and everything below them).
pub fn compare_schema(old: &Value, new: &Value, at: &str, out: &mut Vec<Change>) {
    let get = |v: &Value, k: &str| v.get(k).cloned();
    for key in ["type", "$ref", "const"] {
        let (a, b) = (get(old, key), get(new, key));
        if a != b {
            out.push(change(
                at,
                Kind::TypeChanged,
                format!("`{key}` {} -> {}", show(&a), show(&b)),
                Breaking,
                Breaking,
            ));
        }
    }
    match (get(old, "format"), get(new, "format")) {
        (None, Some(f)) => out.push(change(
            at,
            Kind::FormatChanged,
            format!("format {f} added"),
            Breaking,
            Compatible,
        )),
        (Some(f), None) => out.push(change(
            at,
            Kind::FormatChanged,
            format!("format {f} removed"),
            Compatible,
            Informational,
        )),
        (Some(a), Some(b)) if a != b => out.push(change(
            at,
            Kind::FormatChanged,
            format!("format {a} -> {b}"),
            Breaking,
            Breaking,
        )),
        _ => {}
    }
    let set = |v: &Value, k: &str| -> BTreeSet<String> {
        v.get(k)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|x| x.to_string())
            .collect()
    };
    if old.get("enum").is_some() || new.get("enum").is_some() {
        let (a, b) = (set(old, "enum"), set(new, "enum"));
        let added: Vec<_> = b.difference(&a).cloned().collect();
        let removed: Vec<_> = a.difference(&b).cloned().collect();
        if !added.is_empty() {
            out.push(change(
                at,
                Kind::EnumValuesAdded,
                format!("enum gained {}", added.join(", ")),
                Compatible,
                Breaking,
            ));
        }
        if !removed.is_empty() {
            out.push(change(
                at,
                Kind::EnumValuesRemoved,
                format!("enum lost {}", removed.join(", ")),
                Breaking,
                Compatible,
            ));
        }
    }
    let (req_old, req_new) = (set(old, "required"), set(new, "required"));
    let props = |v: &Value| {
        v.get("properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    let (p_old, p_new) = (props(old), props(new));
    for r in req_new.difference(&req_old) {
        let name = r.trim_matches('"');
        let detail = if p_old.contains_key(name) {
            format!("`{name}` became required")
        } else {
            format!("new property `{name}` is required")
        };
        out.push(change(
            at,
            Kind::RequiredAdded,
            detail,
            Breaking,
            Compatible,
        ));
    }
    for r in req_old.difference(&req_new) {
        let name = r.trim_matches('"');
        out.push(change(
            at,
            Kind::RequiredRemoved,
            format!("`{name}` is no longer required"),
            Compatible,
            Breaking,
        ));
    }
    let closed = |v: &Value| v.get("additionalProperties") == Some(&Value::Bool(false));
    for (name, schema) in &p_new {
        let here = format!("{at}/properties/{name}");
        match p_old.get(name) {
            None => {
                let required = req_new.contains(&format!("\"{name}\""));
                let producers = if required { Breaking } else { Compatible };
                let what = if required { "required" } else { "optional" };
                let ty = schema
                    .get("type")
                    .or_else(|| schema.get("$ref"))
                    .map(|t| t.to_string())
                    .unwrap_or_else(|| "any".into());
                out.push(change(
                    &here,
                    Kind::PropertyAdded,
                    format!("{what} property `{name}` ({ty}) added"),
                    producers,
                    Compatible,
                ));
            }
            Some(prev) => compare_schema(prev, schema, &here, out),
        }
    }
    for name in p_old.keys().filter(|k| !p_new.contains_key(*k)) {
        let producers = if closed(new) { Breaking } else { Informational };
        out.push(change(
            &format!("{at}/properties/{name}"),
            Kind::PropertyRemoved,
            format!("property `{name}` removed"),
            producers,
            Breaking,
        ));
    }
    let open = |v: &Option<Value>| matches!(v, None | Some(Value::Bool(true)));
    match (
        get(old, "additionalProperties"),
        get(new, "additionalProperties"),
    ) {
        (a, b) if a == b => {}
        (a, b) if open(&a) && open(&b) => out.push(change(
            at,
            Kind::ConstraintChanged,
            "additionalProperties made explicit (no change in meaning)",
            Informational,
            Informational,
        )),
        (a, Some(Value::Bool(false))) => out.push(change(
            at,
            Kind::ConstraintChanged,
            format!("additionalProperties {} -> false", show(&a)),
            Breaking,
            Compatible,
        )),
        (Some(Value::Bool(false)), b) => out.push(change(
            at,
            Kind::ConstraintChanged,
            format!("additionalProperties false -> {}", show(&b)),
            Compatible,
            Breaking,
        )),
        (Some(a), Some(b)) => compare_schema(&a, &b, &format!("{at}/additionalProperties"), out),
        (a, b) => out.push(change(
            at,
            Kind::ConstraintChanged,
            format!("additionalProperties {} -> {}", show(&a), show(&b)),
            Breaking,
            Breaking,
        )),
    }
    for key in [
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "pattern",
        "minItems",
        "maxItems",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "not",
    ] {
        match (get(old, key), get(new, key)) {
            (a, b) if a == b => {}
            (None, Some(b)) => out.push(change(
                at,
                Kind::ConstraintChanged,
                format!("`{key}` {b} added"),
                Breaking,
                Compatible,
            )),
            (Some(a), None) => out.push(change(
                at,
                Kind::ConstraintChanged,
                format!("`{key}` {a} removed"),
                Compatible,
                Breaking,
            )),
            (a, b) => out.push(change(
                at,
                Kind::ConstraintChanged,
                format!("`{key}` {} -> {}", show(&a), show(&b)),
                Breaking,
                Breaking,
            )),
        }
    }
    match (old.get("items"), new.get("items")) {
        (Some(a), Some(b)) => compare_schema(a, b, &format!("{at}/items"), out),
        (None, None) => {}
        (a, b) => out.push(change(
            at,
            Kind::TypeChanged,
            format!("items {} -> {}", show(&a.cloned()), show(&b.cloned())),
            Breaking,
            Breaking,
        )),
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        let list = |v: &Value| {
            v.get(key)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        };
        let (a, b) = (list(old), list(new));
        for i in 0..a.len().max(b.len()) {
            let here = format!("{at}/{key}/{i}");
            match (a.get(i), b.get(i)) {
                (Some(x), Some(y)) => compare_schema(x, y, &here, out),
                (None, Some(_)) => out.push(change(
                    &here,
                    Kind::TypeChanged,
                    format!("{key} alternative added"),
                    if key == "allOf" { Breaking } else { Compatible },
                    Breaking,
                )),
                (Some(_), None) => out.push(change(
                    &here,
                    Kind::TypeChanged,
                    format!("{key} alternative removed"),
                    if key == "allOf" { Compatible } else { Breaking },
                    Compatible,
                )),
                (None, None) => {}
            }
        }
    }
    if get(old, "description") != get(new, "description") {
        out.push(change(
            at,
            Kind::DescriptionChanged,
            "description changed",
            Informational,
            Informational,
        ));
    }
}

fn show(v: &Option<Value>) -> String {
    v.as_ref()
        .map_or_else(|| "(none)".to_string(), Value::to_string)
}

/// Compares two schema files: their `$defs`, top-level properties and `$id` version.
pub fn compare_file(file: &str, old: &Value, new: &Value) -> Vec<Change> {
    let mut out = Vec::new();
    let defs = |v: &Value| {
        v.get("$defs")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    let (d_old, d_new) = (defs(old), defs(new));
    for (name, schema) in &d_new {
        let at = format!("{file}#/$defs/{name}");
        match d_old.get(name) {
            None => out.push(change(
                &at,
                Kind::DefinitionAdded,
                format!("definition `{name}` added"),
                Compatible,
                Compatible,
            )),
            Some(prev) => compare_schema(prev, schema, &at, &mut out),
        }
    }
    for name in d_old.keys().filter(|k| !d_new.contains_key(*k)) {
        out.push(change(
            &format!("{file}#/$defs/{name}"),
            Kind::DefinitionRemoved,
            format!("definition `{name}` removed"),
            Informational,
            Breaking,
        ));
    }
    let root = |v: &Value| {
        let mut v = v.clone();
        if let Value::Object(m) = &mut v {
            m.remove("$defs");
            m.remove("$id");
            m.remove("$schema");
        }
        v
    };
    compare_schema(&root(old), &root(new), &format!("{file}#"), &mut out);
    let id = |v: &Value| {
        v.get("$id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let (id_old, id_new) = (id(old), id(new));
    let changed = !out.is_empty();
    let producer_breaking = out.iter().any(|c| c.producers == Breaking);
    if id_old != id_new {
        out.push(change(
            &format!("{file}#/$id"),
            Kind::VersionChanged,
            format!("{} -> {}", version_of(&id_old), version_of(&id_new)),
            Informational,
            Informational,
        ));
    }
    if let Some(problem) = bump_problem(
        &version_of(&id_old),
        &version_of(&id_new),
        changed,
        producer_breaking,
    ) {
        out.push(change(
            &format!("{file}#/$id"),
            Kind::VersionBumpMismatch,
            problem,
            Informational,
            Informational,
        ));
    }
    out
}

/// The SchemaVer segment of a `$id` (e.g. `1-2-0`), or the whole id when there is none.
pub fn version_of(id: &str) -> String {
    id.rsplit('/').nth(1).unwrap_or(id).to_string()
}

/// What kind of SchemaVer bump `old -> new` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Bump {
    /// Same version.
    None,
    /// The third number grew.
    Addition,
    /// The second number grew.
    Revision,
    /// The first number grew.
    Model,
    /// The version went down or is not SchemaVer.
    Invalid,
}

/// Classifies a SchemaVer change.
pub fn bump(old: &str, new: &str) -> Bump {
    let parse = |v: &str| -> Option<Vec<u64>> {
        v.split('-')
            .map(|p| p.parse().ok())
            .collect::<Option<Vec<_>>>()
            .filter(|p| p.len() == 3)
    };
    match (parse(old), parse(new)) {
        (Some(a), Some(b)) if a == b => Bump::None,
        (Some(a), Some(b)) if b[0] > a[0] => Bump::Model,
        (Some(a), Some(b)) if b[0] == a[0] && b[1] > a[1] => Bump::Revision,
        (Some(a), Some(b)) if b[0] == a[0] && b[1] == a[1] && b[2] > a[2] => Bump::Addition,
        _ if old == new => Bump::None,
        _ => Bump::Invalid,
    }
}

/// Why a version bump does not fit the changes, if it does not.
fn bump_problem(old: &str, new: &str, changed: bool, producer_breaking: bool) -> Option<String> {
    match bump(old, new) {
        Bump::Invalid => Some(format!("{old} -> {new} is not a SchemaVer increase")),
        Bump::None if changed => Some(format!("schema changed but its version stayed {old}")),
        Bump::None => None,
        _ if !changed => Some(format!("version bumped {old} -> {new} with no schema change")),
        Bump::Addition if producer_breaking => Some(format!(
            "{old} -> {new} is an ADDITION bump, but a change may invalidate historical events (needs REVISION or MODEL)"
        )),
        _ => None,
    }
}

/// Compares two OpenAPI documents: version, paths, operations, request and response schemas.
pub fn compare_openapi(old: &Value, new: &Value) -> Vec<Change> {
    let mut out = Vec::new();
    let file = "OpenLineage.yml";
    let version = |v: &Value| v.pointer("/info/version").cloned();
    if version(old) != version(new) {
        out.push(change(
            &format!("{file}#/info/version"),
            Kind::OpenApiChanged,
            format!(
                "API version {} -> {}",
                show(&version(old)),
                show(&version(new))
            ),
            Informational,
            Informational,
        ));
    }
    let paths = |v: &Value| {
        v.get("paths")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    let (a, b) = (paths(old), paths(new));
    for (path, item) in &b {
        let at = format!("{file}#/paths/{}", path.replace('/', "~1"));
        match a.get(path) {
            None => out.push(change(
                &at,
                Kind::OpenApiChanged,
                format!("path {path} added"),
                Compatible,
                Compatible,
            )),
            Some(prev) => {
                let responses = |v: &Value| {
                    v.pointer("/post/responses")
                        .and_then(Value::as_object)
                        .cloned()
                        .unwrap_or_default()
                };
                let (ra, rb) = (responses(prev), responses(item));
                for code in rb.keys().filter(|c| !ra.contains_key(*c)) {
                    out.push(change(
                        &at,
                        Kind::OpenApiChanged,
                        format!("POST {path} may now answer {code}"),
                        Breaking,
                        Compatible,
                    ));
                }
                for code in ra.keys().filter(|c| !rb.contains_key(*c)) {
                    out.push(change(
                        &at,
                        Kind::OpenApiChanged,
                        format!("POST {path} no longer answers {code}"),
                        Compatible,
                        Breaking,
                    ));
                }
                for (code, resp) in &rb {
                    if let (Some(x), Some(y)) = (
                        ra.get(code)
                            .and_then(|r| r.pointer("/content/application~1json/schema")),
                        resp.pointer("/content/application~1json/schema"),
                    ) {
                        compare_schema(x, y, &format!("{at}/post/responses/{code}"), &mut out);
                    }
                }
                if let (Some(x), Some(y)) = (
                    prev.pointer("/post/requestBody/content/application~1json/schema"),
                    item.pointer("/post/requestBody/content/application~1json/schema"),
                ) {
                    compare_schema(x, y, &format!("{at}/post/requestBody"), &mut out);
                }
            }
        }
    }
    for path in a.keys().filter(|p| !b.contains_key(*p)) {
        out.push(change(
            &format!("{file}#/paths/{}", path.replace('/', "~1")),
            Kind::OpenApiChanged,
            format!("path {path} removed"),
            Breaking,
            Informational,
        ));
    }
    out
}

/// The semantic diff of two snapshot folders.
pub fn diff_dirs(old: &Path, new: &Path) -> Result<SpecDiff> {
    let mut changes = compare_file(
        "OpenLineage.json",
        &read_json(&old.join("OpenLineage.json"))?,
        &read_json(&new.join("OpenLineage.json"))?,
    );
    let yaml = |dir: &Path| -> Result<Value> {
        let path = dir.join("OpenLineage.yml");
        serde_yaml_ng::from_str(&read_text(&path)?).map_err(|e| crate::Error::Parse {
            path,
            message: e.to_string(),
        })
    };
    changes.extend(compare_openapi(&yaml(old)?, &yaml(new)?));
    let (fa, fb): (BTreeSet<String>, BTreeSet<String>) = (
        facet_files(old)?.into_iter().collect(),
        facet_files(new)?.into_iter().collect(),
    );
    let keys = |v: &Value| {
        v.get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect::<Vec<_>>().join(", "))
            .unwrap_or_default()
    };
    let mut per_file: BTreeMap<String, Vec<Change>> = BTreeMap::new();
    for file in fb.union(&fa) {
        let entry = per_file.entry(file.clone()).or_default();
        match (fa.contains(file), fb.contains(file)) {
            (false, true) => {
                let v = read_json(&new.join(file))?;
                let id = v.get("$id").and_then(Value::as_str).unwrap_or_default();
                entry.push(change(
                    file,
                    Kind::FacetAdded,
                    format!(
                        "facet {} (key {}) added at {}",
                        stem(file),
                        keys(&v),
                        version_of(id)
                    ),
                    Compatible,
                    Compatible,
                ));
            }
            (true, false) => {
                let v = read_json(&old.join(file))?;
                entry.push(change(
                    file,
                    Kind::FacetRemoved,
                    format!("facet {} (key {}) removed", stem(file), keys(&v)),
                    Informational,
                    Breaking,
                ));
            }
            _ => entry.extend(compare_file(
                file,
                &read_json(&old.join(file))?,
                &read_json(&new.join(file))?,
            )),
        }
    }
    changes.extend(per_file.into_values().flatten());
    let name = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| p.display().to_string())
    };
    Ok(SpecDiff {
        old: name(old),
        new: name(new),
        changes,
    })
}

fn stem(file: &str) -> &str {
    file.rsplit('/')
        .next()
        .unwrap_or(file)
        .trim_end_matches(".json")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn kinds(old: Value, new: Value) -> Vec<(Kind, Impact, Impact)> {
        let mut out = Vec::new();
        compare_schema(&old, &new, "x", &mut out);
        out.into_iter()
            .map(|c| (c.kind, c.producers, c.consumers))
            .collect()
    }

    #[test]
    fn optional_property_added_is_compatible_both_ways() {
        assert_eq!(
            kinds(
                json!({"properties": {}}),
                json!({"properties": {"a": {"type": "string"}}})
            ),
            [(Kind::PropertyAdded, Compatible, Compatible)]
        );
    }

    #[test]
    fn required_property_added_breaks_producers() {
        assert_eq!(
            kinds(
                json!({"properties": {}}),
                json!({"properties": {"a": {"type": "string"}}, "required": ["a"]})
            ),
            [
                (Kind::RequiredAdded, Breaking, Compatible),
                (Kind::PropertyAdded, Breaking, Compatible)
            ]
        );
    }

    #[test]
    fn required_removed_and_property_removed_break_consumers() {
        assert_eq!(
            kinds(
                json!({"properties": {"a": {}}, "required": ["a"]}),
                json!({"properties": {"a": {}}})
            ),
            [(Kind::RequiredRemoved, Compatible, Breaking)]
        );
        assert_eq!(
            kinds(json!({"properties": {"a": {}}}), json!({"properties": {}})),
            [(Kind::PropertyRemoved, Informational, Breaking)]
        );
    }

    #[test]
    fn type_enum_format_and_constraint_changes() {
        assert_eq!(
            kinds(json!({"type": "string"}), json!({"type": "integer"})),
            [(Kind::TypeChanged, Breaking, Breaking)]
        );
        assert_eq!(
            kinds(json!({"enum": ["A"]}), json!({"enum": ["A", "B"]})),
            [(Kind::EnumValuesAdded, Compatible, Breaking)]
        );
        assert_eq!(
            kinds(json!({"enum": ["A", "B"]}), json!({"enum": ["A"]})),
            [(Kind::EnumValuesRemoved, Breaking, Compatible)]
        );
        assert_eq!(
            kinds(
                json!({"type": "string"}),
                json!({"type": "string", "format": "uri"})
            ),
            [(Kind::FormatChanged, Breaking, Compatible)]
        );
        assert_eq!(
            kinds(
                json!({"type": "integer"}),
                json!({"type": "integer", "minimum": 1})
            ),
            [(Kind::ConstraintChanged, Breaking, Compatible)]
        );
        assert_eq!(
            kinds(json!({}), json!({"additionalProperties": true})),
            [(Kind::ConstraintChanged, Informational, Informational)]
        );
        assert_eq!(
            kinds(json!({"description": "a"}), json!({"description": "b"})),
            [(Kind::DescriptionChanged, Informational, Informational)]
        );
    }

    #[test]
    fn nested_changes_are_located() {
        let mut out = Vec::new();
        compare_schema(
            &json!({"properties": {"run": {"properties": {"id": {"type": "string"}}}}}),
            &json!({"properties": {"run": {"properties": {"id": {"type": "string", "format": "uuid"}}}}}),
            "f.json#/$defs/P",
            &mut out,
        );
        assert_eq!(
            out[0].location,
            "f.json#/$defs/P/properties/run/properties/id"
        );
    }

    #[test]
    fn schemaver_bumps_are_checked_against_the_change() {
        assert_eq!(bump("1-0-1", "1-0-2"), Bump::Addition);
        assert_eq!(bump("1-0-1", "1-1-0"), Bump::Revision);
        assert_eq!(bump("1-0-1", "2-0-0"), Bump::Model);
        assert_eq!(bump("1-1-0", "1-0-9"), Bump::Invalid);
        let file = |v: &str, props: Value, required: Value| json!({"$id": format!("https://x/facets/{v}/F.json"), "$defs": {"F": {"properties": props, "required": required}}});
        // A required field under an ADDITION bump is flagged.
        let changes = compare_file(
            "F.json",
            &file("1-0-0", json!({}), json!([])),
            &file("1-0-1", json!({"a": {}}), json!(["a"])),
        );
        assert!(
            changes.iter().any(|c| c.kind == Kind::VersionBumpMismatch),
            "{changes:#?}"
        );
        // The same change under a REVISION bump is fine.
        let changes = compare_file(
            "F.json",
            &file("1-0-0", json!({}), json!([])),
            &file("1-1-0", json!({"a": {}}), json!(["a"])),
        );
        assert!(
            !changes.iter().any(|c| c.kind == Kind::VersionBumpMismatch),
            "{changes:#?}"
        );
        // A change with no bump is flagged; so is a bump with no change.
        let changes = compare_file(
            "F.json",
            &file("1-0-0", json!({}), json!([])),
            &file("1-0-0", json!({"a": {}}), json!([])),
        );
        assert!(changes.iter().any(|c| c.kind == Kind::VersionBumpMismatch));
        let changes = compare_file(
            "F.json",
            &file("1-0-0", json!({}), json!([])),
            &file("1-0-1", json!({}), json!([])),
        );
        assert!(changes.iter().any(|c| c.kind == Kind::VersionBumpMismatch));
    }

    #[test]
    fn openapi_version_paths_and_responses() {
        let doc = |v: &str, codes: Value| json!({"info": {"version": v}, "paths": {"/lineage/batch": {"post": {"responses": codes}}}});
        let out = compare_openapi(
            &doc("0.0.1", json!({"200": {}})),
            &doc("2.0.2", json!({"200": {}, "204": {}})),
        );
        let kinds: Vec<_> = out.iter().map(|c| c.detail.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "API version \"0.0.1\" -> \"2.0.2\"",
                "POST /lineage/batch may now answer 204"
            ]
        );
    }
}
