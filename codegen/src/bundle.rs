//! Merges the core schema, the core facets and the registry facets into one schema.
//!
//! typify resolves `$ref` by the last path segment and cannot follow references into other
//! files, so every definition goes into one `$defs` map, every reference is rewritten to a local
//! `#/$defs/Name`, and a definition name used by two files for different schemas is an error.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::{Error, Result};

/// One schema file to bundle: its path relative to the snapshot and its parsed content.
#[derive(Debug, Clone)]
pub struct SchemaFile {
    /// Path relative to the snapshot folder, e.g. `facets/SchemaDatasetFacet.json`.
    pub path: String,
    /// Parsed JSON Schema.
    pub schema: Value,
}

/// The result of bundling: every definition under one roof.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// `$id` of the core schema, e.g. `https://openlineage.io/spec/2-0-2/OpenLineage.json`.
    pub core_id: String,
    /// All definitions, keyed by name, with local references only.
    pub defs: Map<String, Value>,
    /// Which file each definition came from.
    pub origin: BTreeMap<String, String>,
}

pub use crate::facet_kind::{local_ref, ref_target, LOCAL_PREFIX};

/// Bundles `core` and `facets` into one set of definitions.
pub fn bundle(core: &SchemaFile, facets: &[SchemaFile]) -> Result<Bundle> {
    let core_id = core
        .schema
        .get("$id")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::Schema {
            location: core.path.clone(),
            message: "the core schema has no `$id`".into(),
        })?
        .to_string();
    let mut out = Bundle {
        core_id,
        defs: Map::new(),
        origin: BTreeMap::new(),
    };
    for file in std::iter::once(core).chain(facets) {
        let Some(defs) = file.schema.get("$defs").and_then(Value::as_object) else {
            continue;
        };
        for (name, schema) in defs {
            let mut schema = schema.clone();
            localise_refs(
                &mut schema,
                &out.core_id,
                &format!("{}#/$defs/{name}", file.path),
            )?;
            if let Some(existing) = out.defs.get(name) {
                if existing != &schema {
                    return Err(Error::Schema {
                        location: format!("{}#/$defs/{name}", file.path),
                        message: format!(
                            "definition name `{name}` is also defined differently in {}",
                            out.origin[name]
                        ),
                    });
                }
                continue;
            }
            out.defs.insert(name.clone(), schema);
            out.origin.insert(name.clone(), file.path.clone());
        }
    }
    check_refs_resolve(&out)?;
    Ok(out)
}

/// Rewrites references into the core schema to local ones; any other external reference is an
/// error, because typify would panic on it.
fn localise_refs(schema: &mut Value, core_id: &str, location: &str) -> Result<()> {
    match schema {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get_mut("$ref") {
                if let Some(rest) = reference.strip_prefix(core_id) {
                    *reference = rest.to_string();
                }
                if !reference.starts_with(LOCAL_PREFIX) {
                    return Err(Error::Schema {
                        location: location.to_string(),
                        message: format!("external reference `{reference}` cannot be bundled"),
                    });
                }
            }
            for value in map.values_mut() {
                localise_refs(value, core_id, location)?;
            }
        }
        Value::Array(items) => {
            for item in items {
                localise_refs(item, core_id, location)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn check_refs_resolve(bundle: &Bundle) -> Result<()> {
    fn walk(value: &Value, bundle: &Bundle, def: &str) -> Result<()> {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(reference)) = map.get("$ref") {
                    let target = ref_target(reference).unwrap_or(reference);
                    if !bundle.defs.contains_key(target) {
                        return Err(Error::Schema {
                            location: format!("{}#/$defs/{def}", bundle.origin[def]),
                            message: format!("reference `{reference}` does not resolve"),
                        });
                    }
                }
                map.values().try_for_each(|v| walk(v, bundle, def))
            }
            Value::Array(items) => items.iter().try_for_each(|v| walk(v, bundle, def)),
            _ => Ok(()),
        }
    }
    bundle
        .defs
        .iter()
        .try_for_each(|(name, schema)| walk(schema, bundle, name))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn core() -> SchemaFile {
        SchemaFile {
            path: "OpenLineage.json".into(),
            schema: json!({"$id": "https://x/core.json", "$defs": {"Base": {"type": "object"}}}),
        }
    }

    #[test]
    fn core_references_become_local() {
        let facet = SchemaFile {
            path: "facets/A.json".into(),
            schema: json!({"$defs": {"A": {"allOf": [{"$ref": "https://x/core.json#/$defs/Base"}]}}}),
        };
        let b = bundle(&core(), &[facet]).unwrap();
        assert_eq!(b.defs["A"], json!({"allOf": [{"$ref": "#/$defs/Base"}]}));
        assert_eq!(b.origin["A"], "facets/A.json");
    }

    #[test]
    fn conflicting_names_are_reported_with_both_files() {
        let a = SchemaFile {
            path: "facets/A.json".into(),
            schema: json!({"$defs": {"Base": {"type": "string"}}}),
        };
        let err = bundle(&core(), &[a]).unwrap_err();
        assert!(
            matches!(&err, Error::Schema { location, message }
                if location == "facets/A.json#/$defs/Base"
                    && message == "definition name `Base` is also defined differently in OpenLineage.json"),
            "{err:?}"
        );
    }

    #[test]
    fn foreign_and_dangling_references_are_errors() {
        let foreign = SchemaFile {
            path: "facets/F.json".into(),
            schema: json!({"$defs": {"F": {"$ref": "https://elsewhere/x.json#/$defs/Y"}}}),
        };
        let err = bundle(&core(), &[foreign]).unwrap_err();
        assert!(
            matches!(&err, Error::Schema { location, message }
                if location == "facets/F.json#/$defs/F"
                    && message == "external reference `https://elsewhere/x.json#/$defs/Y` cannot be bundled"),
            "{err:?}"
        );
        let dangling = SchemaFile {
            path: "facets/D.json".into(),
            schema: json!({"$defs": {"D": {"$ref": "#/$defs/Missing"}}}),
        };
        let err = bundle(&core(), &[dangling]).unwrap_err();
        assert!(
            matches!(&err, Error::Schema { location, message }
                if location == "facets/D.json#/$defs/D"
                    && message == "reference `#/$defs/Missing` does not resolve"),
            "{err:?}"
        );
    }
}
