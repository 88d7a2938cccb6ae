//! The facet catalogue: which facet key lives in which container, with which schema.
//!
//! Each facet file declares its keys in top-level `properties` (e.g. `"schema": {"$ref":
//! "#/$defs/SchemaDatasetFacet"}`); the kind of a facet (run, job, dataset, input, output) is the
//! core base facet its definition extends. A `oneOf` of facets of different kinds (as
//! `BaseSubsetDatasetFacet` is) puts the key into each kind's container with the matching variant.

use serde_json::Value;

use crate::bundle::{ref_target, Bundle, SchemaFile};
use crate::{Error, Result};

pub use crate::facet_kind::FacetKind;

/// One facet key in one container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacetEntry {
    /// Key in the facets map, e.g. `columnLineage`.
    pub key: String,
    /// Container kind.
    pub kind: FacetKind,
    /// Definition (and generated Rust type) name.
    pub def: String,
    /// `$id` of the facet file.
    pub schema_id: String,
    /// SchemaVer of the facet file, taken from its `$id` (e.g. `1-2-0`).
    pub version: String,
    /// File the facet comes from, relative to the snapshot.
    pub file: String,
}

/// Builds the catalogue from the facet files and the bundle their definitions went into.
pub fn catalogue(bundle: &Bundle, facet_files: &[SchemaFile]) -> Result<Vec<FacetEntry>> {
    let mut entries = Vec::new();
    for file in facet_files {
        let err = |message: String| Error::Schema {
            location: file.path.clone(),
            message,
        };
        let schema_id = file
            .schema
            .get("$id")
            .and_then(Value::as_str)
            .ok_or_else(|| err("facet file has no `$id`".into()))?;
        let version = schema_id
            .rsplit('/')
            .nth(1)
            .filter(|v| v.split('-').all(|p| p.parse::<u32>().is_ok()))
            .ok_or_else(|| err(format!("`$id` {schema_id} has no SchemaVer segment")))?;
        let properties = file
            .schema
            .get("properties")
            .and_then(Value::as_object)
            .filter(|p| !p.is_empty())
            .ok_or_else(|| err("facet file declares no facet key in `properties`".into()))?;
        for (key, prop) in properties {
            let defs = key_defs(prop);
            if defs.is_empty() {
                return Err(err(format!(
                    "facet key `{key}` is neither a local `$ref` nor an `anyOf`/`oneOf` of them"
                )));
            }
            let mut kinds = Vec::new();
            for def in &defs {
                kinds.extend(kinds_of(bundle, def, 0)?);
            }
            if kinds.is_empty() {
                return Err(err(format!(
                    "facet `{key}` ({}) extends none of the core facet definitions",
                    defs.join(", ")
                )));
            }
            for (kind, def) in kinds {
                entries.push(FacetEntry {
                    key: key.clone(),
                    kind,
                    def,
                    schema_id: schema_id.to_string(),
                    version: version.to_string(),
                    file: file.path.clone(),
                });
            }
        }
    }
    entries.sort_by(|a, b| (a.kind, &a.key).cmp(&(b.kind, &b.key)));
    if let Some(pair) = entries
        .windows(2)
        .find(|w| w[0].kind == w[1].kind && w[0].key == w[1].key)
    {
        return Err(Error::Schema {
            location: format!("{} and {}", pair[0].file, pair[1].file),
            message: format!("facet key `{}` is declared twice for one kind", pair[0].key),
        });
    }
    Ok(entries)
}

/// The definitions a facet key's schema names: one local `$ref`, or the `$ref`s of an
/// `anyOf`/`oneOf` (or a one-element `allOf`) of them, nested to any depth. Variants for different
/// containers (as `LineageFacet`'s dataset and job variants are) each go to their own container.
fn key_defs(schema: &Value) -> Vec<String> {
    if let Some(def) = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(ref_target)
    {
        return vec![def.to_string()];
    }
    let mut defs = Vec::new();
    for keyword in ["anyOf", "oneOf", "allOf"] {
        let Some(branches) = schema.get(keyword).and_then(Value::as_array) else {
            continue;
        };
        // An `allOf` of several schemas is one facet, not a choice; only a single member names it.
        if keyword == "allOf" && branches.len() != 1 {
            continue;
        }
        for branch in branches {
            for def in key_defs(branch) {
                if !defs.contains(&def) {
                    defs.push(def);
                }
            }
        }
    }
    defs
}

/// The kinds a facet definition belongs to, each with the definition that carries it.
fn kinds_of(bundle: &Bundle, def: &str, depth: usize) -> Result<Vec<(FacetKind, String)>> {
    let schema = &bundle.defs[def];
    if depth > 8 {
        return Err(Error::Schema {
            location: def.to_string(),
            message: "facet definitions nest too deeply".into(),
        });
    }
    let refs = |key: &str| -> Vec<String> {
        schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|s| s.get("$ref").and_then(Value::as_str).and_then(ref_target))
            .map(str::to_string)
            .collect()
    };
    let mut kinds = Vec::new();
    for base in refs("allOf") {
        if let Some(kind) = FacetKind::from_base_def(&base) {
            kinds.push((kind, def.to_string()));
        }
    }
    for variant in refs("oneOf").into_iter().chain(refs("anyOf")) {
        kinds.extend(kinds_of(bundle, &variant, depth + 1)?);
    }
    Ok(kinds)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::bundle::bundle;

    #[test]
    fn kinds_follow_the_base_facet_and_one_of() {
        let core = SchemaFile {
            path: "OpenLineage.json".into(),
            schema: json!({"$id": "c", "$defs": {
                "RunFacet": {}, "InputDatasetFacet": {}, "OutputDatasetFacet": {}}}),
        };
        let facets = vec![
            SchemaFile {
                path: "facets/T.json".into(),
                schema: json!({"$id": "https://x/facets/1-0-2/T.json",
                    "$defs": {"T": {"allOf": [{"$ref": "c#/$defs/RunFacet"}]}},
                    "properties": {"t": {"$ref": "#/$defs/T"}}}),
            },
            SchemaFile {
                path: "facets/S.json".into(),
                schema: json!({"$id": "https://x/facets/1-0-0/S.json",
                    "$defs": {
                        "S": {"oneOf": [{"$ref": "#/$defs/SIn"}, {"$ref": "#/$defs/SOut"}]},
                        "SIn": {"allOf": [{"$ref": "c#/$defs/InputDatasetFacet"}]},
                        "SOut": {"allOf": [{"$ref": "c#/$defs/OutputDatasetFacet"}]}},
                    "properties": {"s": {"$ref": "#/$defs/S"}}}),
            },
        ];
        let b = bundle(&core, &facets).unwrap();
        let cat = catalogue(&b, &facets).unwrap();
        let got: Vec<_> = cat
            .iter()
            .map(|e| (e.kind, e.key.as_str(), e.def.as_str(), e.version.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (FacetKind::Run, "t", "T", "1-0-2"),
                (FacetKind::InputDataset, "s", "SIn", "1-0-0"),
                (FacetKind::OutputDataset, "s", "SOut", "1-0-0"),
            ]
        );
    }

    #[test]
    fn a_facet_of_no_kind_is_an_error() {
        let core = SchemaFile {
            path: "OpenLineage.json".into(),
            schema: json!({"$id": "c", "$defs": {}}),
        };
        let facets = vec![SchemaFile {
            path: "facets/X.json".into(),
            schema: json!({"$id": "https://x/facets/1-0-0/X.json",
                "$defs": {"X": {"type": "object"}},
                "properties": {"x": {"$ref": "#/$defs/X"}}}),
        }];
        let b = bundle(&core, &facets).unwrap();
        let err = catalogue(&b, &facets).unwrap_err();
        assert!(
            matches!(&err, Error::Schema { location, message }
                if location == "facets/X.json"
                    && message == "facet `x` (X) extends none of the core facet definitions"),
            "{err:?}"
        );
    }

    #[test]
    fn a_key_that_names_no_definition_is_an_error() {
        let core = SchemaFile {
            path: "OpenLineage.json".into(),
            schema: json!({"$id": "c", "$defs": {}}),
        };
        let facets = vec![SchemaFile {
            path: "facets/X.json".into(),
            schema: json!({"$id": "https://x/facets/1-0-0/X.json",
                "properties": {"x": {"type": "object"}}}),
        }];
        let b = bundle(&core, &facets).unwrap();
        let err = catalogue(&b, &facets).unwrap_err();
        assert!(
            matches!(&err, Error::Schema { location, message }
                if location == "facets/X.json"
                    && message == "facet key `x` is neither a local `$ref` nor an `anyOf`/`oneOf` of them"),
            "{err:?}"
        );
    }

    #[test]
    fn a_key_that_is_any_of_variants_goes_to_each_container() {
        let core = SchemaFile {
            path: "OpenLineage.json".into(),
            schema: json!({"$id": "c", "$defs": {"JobFacet": {}, "DatasetFacet": {}}}),
        };
        let facets = vec![SchemaFile {
            path: "facets/L.json".into(),
            schema: json!({"$id": "https://x/facets/1-0-0/L.json",
                "$defs": {
                    "LD": {"allOf": [{"$ref": "c#/$defs/DatasetFacet"}]},
                    "LJ": {"allOf": [{"$ref": "c#/$defs/JobFacet"}]}},
                "properties": {"l": {"anyOf": [{"$ref": "#/$defs/LD"}, {"$ref": "#/$defs/LJ"}]}}}),
        }];
        let b = bundle(&core, &facets).unwrap();
        let got: Vec<_> = catalogue(&b, &facets)
            .unwrap()
            .into_iter()
            .map(|e| (e.kind, e.key, e.def))
            .collect();
        assert_eq!(
            got,
            vec![
                (FacetKind::Job, "l".to_string(), "LJ".to_string()),
                (FacetKind::Dataset, "l".to_string(), "LD".to_string()),
            ]
        );
    }
}
