//! The naming rule for types typify invents for inline schemas, applied as typify patches.
//!
//! typify names an inline schema after its parent and property, plus `Item` for array items and
//! `Value` for map values: `ColumnLineageDatasetFacetFieldsValue`, `OwnershipJobFacetOwnersItem`,
//! `LifecycleStateChangeDatasetFacetLifecycleStateChange`. The rule here renames them:
//!
//! 1. The parent contributes its *stem*: a facet drops its `{Kind}Facet` suffix
//!    (`ColumnLineageDatasetFacet` is `ColumnLineage`), or only `Facet` when facets of two kinds
//!    share the stem (`OwnershipJob`, `OwnershipDataset`); any other parent keeps its name.
//! 2. The property contributes its name, in the singular for array items and map values
//!    (`owners` gives `Owner`, `fields` gives `Field`).
//! 3. Words the stem ends with and the property starts with are written once
//!    (`LifecycleStateChange` + `LifecycleStateChange`, `RunEvent` + `EventType` is
//!    `RunEventType`, `DataQualityAssertions` + `Assertion` is `DataQualityAssertion`).
//!
//! So the parent facet's `run` and `job` become `ParentRun` and `ParentJob`, beside the spec's
//! own `RootRun` and `RootJob`. Definition names from the spec are never changed.

use std::collections::{BTreeMap, BTreeSet};

use heck::{ToSnakeCase, ToUpperCamelCase};
use serde_json::{Map, Value};

use crate::catalogue::FacetEntry;
use crate::{Error, Result};

/// The Rust type name typify gives a definition (`SQLJobFacet` becomes `SqlJobFacet`).
pub fn rust_type_name(def: &str) -> String {
    heck::ToUpperCamelCase::to_upper_camel_case(def)
}

/// Where a type typify invented comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct Invented {
    /// typify's name for the parent type.
    pub parent: String,
    /// The property of the parent the type describes.
    pub property: String,
    /// True for an array item or a map value.
    pub element: bool,
    /// The schema of the type.
    pub schema: Value,
}

/// Every type in `names` typify made up from an inline schema of `defs`, with its origin.
pub fn invented(names: &BTreeSet<String>, defs: &Map<String, Value>) -> BTreeMap<String, Invented> {
    let mut known: BTreeMap<String, Value> = defs
        .iter()
        .map(|(name, schema)| (rust_type_name(name), schema.clone()))
        .collect();
    let mut found = BTreeMap::new();
    // Inline types nest, so each round resolves the types whose parent is known by now.
    loop {
        let mut progress = false;
        for name in names {
            if known.contains_key(name) {
                continue;
            }
            let Some(origin) = origin_of(name, &known) else {
                continue;
            };
            known.insert(name.clone(), origin.schema.clone());
            found.insert(name.clone(), origin);
            progress = true;
        }
        if !progress {
            return found;
        }
    }
}

fn origin_of(name: &str, known: &BTreeMap<String, Value>) -> Option<Invented> {
    let mut parents: Vec<&String> = known.keys().filter(|k| name.starts_with(*k)).collect();
    parents.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for parent in parents {
        let suffix = &name[parent.len()..];
        let properties = known[parent].get("properties").and_then(Value::as_object);
        for (property, schema) in properties.into_iter().flatten() {
            let camel = property.to_upper_camel_case();
            let (element, schema) = if suffix == camel {
                (false, Some(schema))
            } else if suffix == format!("{camel}Item") {
                (true, schema.get("items"))
            } else if suffix == format!("{camel}Value") {
                (true, schema.get("additionalProperties"))
            } else {
                continue;
            };
            if let Some(schema) = schema {
                return Some(Invented {
                    parent: parent.clone(),
                    property: property.clone(),
                    element,
                    schema: schema.clone(),
                });
            }
        }
    }
    None
}

/// typify's name to the rule's name, for every invented type whose name changes.
pub fn renames(
    invented: &BTreeMap<String, Invented>,
    all_names: &BTreeSet<String>,
    catalogue: &[FacetEntry],
) -> Result<BTreeMap<String, String>> {
    let stems = facet_stems(catalogue);
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    // Parents are renamed before their children (a child's name starts with its parent's).
    let mut order: Vec<&String> = invented.keys().collect();
    order.sort_by_key(|n| n.len());
    for name in order {
        let origin = &invented[name];
        let stem = out
            .get(&origin.parent)
            .cloned()
            .or_else(|| stems.get(&origin.parent).cloned())
            .unwrap_or_else(|| origin.parent.clone());
        let mut property = origin.property.to_upper_camel_case();
        if origin.element {
            property = singular(&property);
        }
        let new = join_words(&stem, &property);
        if &new != name {
            out.insert(name.clone(), new);
        }
    }
    let kept: BTreeSet<&String> = all_names.iter().filter(|n| !out.contains_key(*n)).collect();
    let mut seen: BTreeMap<&String, &String> = BTreeMap::new();
    for (old, new) in &out {
        if kept.contains(new) {
            return Err(Error::Schema {
                location: old.clone(),
                message: format!("the naming rule renames it to `{new}`, which already exists"),
            });
        }
        if let Some(other) = seen.insert(new, old) {
            return Err(Error::Schema {
                location: format!("{other} and {old}"),
                message: format!("the naming rule gives both the name `{new}`"),
            });
        }
    }
    Ok(out)
}

/// Rust name of each facet definition to its stem (rule 1).
fn facet_stems(catalogue: &[FacetEntry]) -> BTreeMap<String, String> {
    let mut short: BTreeMap<String, String> = BTreeMap::new();
    let mut count: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for entry in catalogue {
        let name = rust_type_name(&entry.def);
        // A facet may extend a kind its name does not say (`DataQualityAssertionsDatasetFacet`
        // is an input facet), so any kind's suffix counts, the facet's own kind first.
        let suffixes = std::iter::once(entry.kind.base_def())
            .chain(crate::catalogue::FacetKind::ALL.map(|k| k.base_def()))
            .chain(["Facet"]);
        let stem = suffixes
            .filter_map(|suffix| name.strip_suffix(suffix))
            .find(|s| !s.is_empty())
            .unwrap_or(&name)
            .to_string();
        count.entry(stem.clone()).or_default().insert(name.clone());
        short.insert(name, stem);
    }
    short
        .into_iter()
        .map(|(name, stem)| {
            if count[&stem].len() > 1 {
                let long = name.strip_suffix("Facet").unwrap_or(&name).to_string();
                (name, long)
            } else {
                (name, stem)
            }
        })
        .collect()
}

fn words(name: &str) -> Vec<String> {
    name.to_snake_case()
        .split('_')
        .map(|w| w.to_upper_camel_case())
        .collect()
}

fn same_word(a: &str, b: &str) -> bool {
    a == b || singular(a) == singular(b)
}

fn singular(word: &str) -> String {
    match word.strip_suffix('s') {
        Some(stem) if !stem.is_empty() && !stem.ends_with('s') => stem.to_string(),
        _ => word.to_string(),
    }
}

/// `stem` followed by `property`, with the words the first ends with and the second starts
/// with written once (rule 3).
fn join_words(stem: &str, property: &str) -> String {
    let a = words(stem);
    let b = words(property);
    let overlap = (0..=a.len().min(b.len()))
        .rev()
        .find(|&k| (0..k).all(|i| same_word(&a[a.len() - k + i], &b[i])))
        .unwrap_or(0);
    let mut out: String = a[..a.len() - overlap].concat();
    out.push_str(&b.concat());
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::catalogue::FacetKind;

    fn entry(key: &str, kind: FacetKind, def: &str) -> FacetEntry {
        FacetEntry {
            key: key.into(),
            kind,
            def: def.into(),
            schema_id: String::new(),
            version: "1-0-0".into(),
            file: format!("facets/{def}.json"),
        }
    }

    #[test]
    fn words_are_joined_once() {
        assert_eq!(
            join_words("LifecycleStateChange", "LifecycleStateChange"),
            "LifecycleStateChange"
        );
        assert_eq!(join_words("RunEvent", "EventType"), "RunEventType");
        assert_eq!(
            join_words("DataQualityAssertions", "Assertion"),
            "DataQualityAssertion"
        );
        assert_eq!(join_words("Parent", "Run"), "ParentRun");
        assert_eq!(join_words("BatchResponse", "Status"), "BatchResponseStatus");
    }

    #[test]
    fn invented_types_follow_the_rule() {
        let defs = json!({
            "ParentRunFacet": {"properties": {"run": {"type": "object", "properties": {}},
                "job": {"type": "object"}}},
            "OwnershipJobFacet": {"properties": {"owners": {"type": "array",
                "items": {"type": "object"}}}},
            "OwnershipDatasetFacet": {"properties": {"owners": {"type": "array",
                "items": {"type": "object"}}}},
            "ColumnLineageDatasetFacet": {"properties": {"fields": {"type": "object",
                "additionalProperties": {"type": "object"}}}},
        });
        let defs = defs.as_object().unwrap();
        let names: BTreeSet<String> = [
            "ParentRunFacet",
            "ParentRunFacetRun",
            "ParentRunFacetJob",
            "OwnershipJobFacet",
            "OwnershipJobFacetOwnersItem",
            "OwnershipDatasetFacet",
            "OwnershipDatasetFacetOwnersItem",
            "ColumnLineageDatasetFacet",
            "ColumnLineageDatasetFacetFieldsValue",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        let catalogue = vec![
            entry("parent", FacetKind::Run, "ParentRunFacet"),
            entry("ownership", FacetKind::Job, "OwnershipJobFacet"),
            entry("ownership", FacetKind::Dataset, "OwnershipDatasetFacet"),
            entry(
                "columnLineage",
                FacetKind::Dataset,
                "ColumnLineageDatasetFacet",
            ),
        ];
        let found = invented(&names, defs);
        assert_eq!(found.len(), 5);
        let got = renames(&found, &names, &catalogue).unwrap();
        let want: BTreeMap<String, String> = [
            ("ParentRunFacetRun", "ParentRun"),
            ("ParentRunFacetJob", "ParentJob"),
            ("OwnershipJobFacetOwnersItem", "OwnershipJobOwner"),
            ("OwnershipDatasetFacetOwnersItem", "OwnershipDatasetOwner"),
            ("ColumnLineageDatasetFacetFieldsValue", "ColumnLineageField"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn a_rename_onto_an_existing_name_is_an_error() {
        let defs = json!({
            "ParentRunFacet": {"properties": {"run": {"type": "object"}}},
            "ParentRun": {"type": "object"},
        });
        let names: BTreeSet<String> = ["ParentRunFacet", "ParentRunFacetRun", "ParentRun"]
            .into_iter()
            .map(String::from)
            .collect();
        let catalogue = vec![entry("parent", FacetKind::Run, "ParentRunFacet")];
        let found = invented(&names, defs.as_object().unwrap());
        let err = renames(&found, &names, &catalogue).unwrap_err().to_string();
        assert!(err.contains("`ParentRun`"), "{err}");
    }
}
