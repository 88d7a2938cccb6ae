//! Effective schemas: what an event must satisfy, independent of how the schema is spelled.
//!
//! References are resolved against the snapshot being compared and `allOf` branches are merged
//! into one schema. A reference into another file (a facet's base in the core, a core facet map
//! naming a facet file, the OpenAPI body naming a core event) becomes a canonical marker
//! `{"$ref": "FILE#POINTER"}` that is the same whatever core version or spelling was used: the
//! target is compared once, in its own file. Inside the core, references to other named
//! definitions stay markers for the same reason; elsewhere local references are inlined, so a
//! definition moved into `$defs` compares equal to the inline original. A reference that loops
//! back stays a marker.

use serde_json::{Map, Value};

use crate::snapshot::{Snapshot, CORE};
use crate::Result;

/// Keywords that describe but do not constrain.
pub const ANNOTATIONS: [&str; 8] = [
    "description",
    "title",
    "example",
    "examples",
    "$comment",
    "default",
    "deprecated",
    "readOnly",
];

/// Builds effective schemas for one snapshot.
pub struct Effective<'a> {
    snap: &'a Snapshot,
}

impl<'a> Effective<'a> {
    /// Effective schemas of `snap`.
    pub fn new(snap: &'a Snapshot) -> Self {
        Effective { snap }
    }

    /// The effective schema at `pointer` in `file`.
    pub fn at(&self, file: &str, pointer: &str) -> Result<Value> {
        let node = self
            .snap
            .files
            .get(file)
            .and_then(|d| d.pointer(pointer))
            .cloned()
            .unwrap_or(Value::Null);
        let mut stack = vec![(file.to_string(), pointer.to_string())];
        self.norm(file, &node, &mut stack)
    }

    /// The effective schema of a node that lives in `file`.
    pub fn of(&self, file: &str, node: &Value) -> Result<Value> {
        self.norm(file, node, &mut Vec::new())
    }

    fn norm(&self, file: &str, node: &Value, stack: &mut Vec<(String, String)>) -> Result<Value> {
        let Value::Object(map) = node else {
            // `true`/`false` schemas and malformed nodes are compared as they are.
            return Ok(node.clone());
        };
        let mut out = Map::new();
        for (key, value) in map {
            match key.as_str() {
                "$schema" | "$id" | "$defs" | "definitions" | "allOf" | "$ref" => {}
                "properties" | "patternProperties" => {
                    let mut props = Map::new();
                    for (name, schema) in value.as_object().into_iter().flatten() {
                        props.insert(name.clone(), self.norm(file, schema, stack)?);
                    }
                    out.insert(key.clone(), Value::Object(props));
                }
                "items" | "additionalProperties" | "not" | "contains" | "propertyNames" => {
                    let inner = self.norm(file, value, stack)?;
                    // `additionalProperties: true` says what leaving it out says.
                    if !(key == "additionalProperties" && inner == Value::Bool(true)) {
                        out.insert(key.clone(), inner);
                    }
                }
                "anyOf" | "oneOf" => {
                    let alts = value
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|a| self.norm(file, a, stack))
                        .collect::<Result<Vec<_>>>()?;
                    out.insert(key.clone(), Value::Array(alts));
                }
                "required" => {
                    let mut names: Vec<String> = value
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect();
                    names.sort();
                    names.dedup();
                    out.insert(key.clone(), names.into());
                }
                "type" => {
                    out.insert(key.clone(), type_set(value));
                }
                _ => {
                    out.insert(key.clone(), value.clone());
                }
            }
        }
        let mut schema = Value::Object(out);
        if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
            let target = self.reference(file, reference, stack)?;
            schema = merge(schema, target);
        }
        for branch in map
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let branch = match branch.get("$ref").and_then(Value::as_str) {
                // A base reference is inlined so its properties merge with the rest.
                Some(reference) if branch.as_object().is_some_and(|m| m.len() == 1) => {
                    self.inline(file, reference, stack)?
                }
                _ => self.norm(file, branch, stack)?,
            };
            schema = merge(schema, branch);
        }
        Ok(unwrap_single_alternative(schema))
    }

    /// A `$ref` outside `allOf`: a marker for other files and core definitions, inlined
    /// otherwise.
    fn reference(
        &self,
        file: &str,
        reference: &str,
        stack: &mut Vec<(String, String)>,
    ) -> Result<Value> {
        let (target, pointer) = self.snap.locate(file, reference)?;
        if target != file || file == CORE {
            return Ok(marker(&target, &pointer));
        }
        self.inline(file, reference, stack)
    }

    /// Resolves a reference and returns the target's effective schema, or a marker for a loop
    /// or a definition in another file.
    fn inline(
        &self,
        file: &str,
        reference: &str,
        stack: &mut Vec<(String, String)>,
    ) -> Result<Value> {
        let (target, pointer) = self.snap.locate(file, reference)?;
        if target != file && target == CORE && file != CORE {
            // Facets extend core definitions; those are compared once, in the core.
            return Ok(marker(&target, &pointer));
        }
        let key = (target.clone(), pointer.clone());
        if stack.contains(&key) {
            return Ok(marker(&target, &pointer));
        }
        let node = self
            .snap
            .files
            .get(&target)
            .and_then(|d| d.pointer(&pointer))
            .cloned()
            .unwrap_or(Value::Null);
        stack.push(key);
        let out = self.norm(&target, &node, stack);
        stack.pop();
        out
    }
}

/// The canonical marker for a reference target.
pub fn marker(file: &str, pointer: &str) -> Value {
    let mut m = Map::new();
    m.insert("$ref".into(), format!("{file}#{pointer}").into());
    Value::Object(m)
}

/// `type` as a sorted array of names.
fn type_set(v: &Value) -> Value {
    let mut names: Vec<String> = match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    names.sort();
    names.dedup();
    names.into()
}

/// A one-alternative `anyOf`/`oneOf` says what its alternative says.
fn unwrap_single_alternative(schema: Value) -> Value {
    let Value::Object(mut map) = schema else {
        return schema;
    };
    for key in ["anyOf", "oneOf"] {
        let single = matches!(map.get(key), Some(Value::Array(a)) if a.len() == 1);
        if single {
            if let Some(Value::Array(mut alts)) = map.remove(key) {
                let alt = alts.pop().unwrap_or(Value::Null);
                return unwrap_single_alternative(merge(Value::Object(map), alt));
            }
        }
    }
    Value::Object(map)
}

/// Merges two effective schemas into one an instance must satisfy both of (`allOf`).
pub fn merge(a: Value, b: Value) -> Value {
    let (Value::Object(mut a), Value::Object(b)) = (a.clone(), b.clone()) else {
        // A boolean schema: `true` adds nothing, `false` rejects everything.
        return match (a, b) {
            (Value::Bool(true), other) | (other, Value::Bool(true)) => other,
            (x, _) => x,
        };
    };
    for (key, vb) in b {
        let Some(va) = a.remove(&key) else {
            a.insert(key, vb);
            continue;
        };
        let merged = match key.as_str() {
            _ if va == vb => va,
            "properties" => {
                let (Value::Object(mut pa), Value::Object(pb)) = (va, vb) else {
                    continue;
                };
                for (name, sb) in pb {
                    let merged = match pa.remove(&name) {
                        Some(sa) => merge(sa, sb),
                        None => sb,
                    };
                    pa.insert(name, merged);
                }
                Value::Object(pa)
            }
            "required" => {
                let mut names: Vec<Value> = va
                    .as_array()
                    .into_iter()
                    .chain(vb.as_array())
                    .flatten()
                    .cloned()
                    .collect();
                names.sort_by_key(|v| v.to_string());
                names.dedup();
                Value::Array(names)
            }
            "type" => {
                let tb: Vec<&Value> = vb.as_array().into_iter().flatten().collect();
                let both: Vec<Value> = va
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|t| tb.contains(t))
                    .cloned()
                    .collect();
                Value::Array(both)
            }
            "enum" => {
                let eb: Vec<&Value> = vb.as_array().into_iter().flatten().collect();
                Value::Array(
                    va.as_array()
                        .into_iter()
                        .flatten()
                        .filter(|e| eb.contains(e))
                        .cloned()
                        .collect(),
                )
            }
            "items" | "additionalProperties" => merge(va, vb),
            "allOf" => {
                let mut all: Vec<Value> = va
                    .as_array()
                    .into_iter()
                    .chain(vb.as_array())
                    .flatten()
                    .cloned()
                    .collect();
                all.sort_by_key(|v| v.to_string());
                all.dedup();
                Value::Array(all)
            }
            "minimum" | "minLength" | "minItems" | "minProperties" | "exclusiveMinimum" => {
                stricter(va, vb, true)
            }
            "maximum" | "maxLength" | "maxItems" | "maxProperties" | "exclusiveMaximum" => {
                stricter(va, vb, false)
            }
            // Annotations: the outer schema's wording wins.
            k if ANNOTATIONS.contains(&k) => va,
            _ => {
                // Two different constraints of one keyword both apply; keep them side by side.
                let mut rest = a
                    .remove("allOf")
                    .and_then(|v| v.as_array().cloned())
                    .unwrap_or_default();
                let mut extra = Map::new();
                extra.insert(key.clone(), vb);
                rest.push(Value::Object(extra));
                rest.sort_by_key(|v| v.to_string());
                a.insert("allOf".into(), Value::Array(rest));
                va
            }
        };
        a.insert(key, merged);
    }
    Value::Object(a)
}

fn stricter(a: Value, b: Value, larger: bool) -> Value {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) if (y > x) == larger => b,
        _ => a,
    }
}

/// The schema without annotations, for telling whether two schemas mean the same.
pub fn strip_annotations(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !ANNOTATIONS.contains(&k.as_str()))
                .map(|(k, v)| {
                    let inner = if k == "properties" || k == "patternProperties" {
                        Value::Object(
                            v.as_object()
                                .into_iter()
                                .flatten()
                                .map(|(n, s)| (n.clone(), strip_annotations(s)))
                                .collect(),
                        )
                    } else if k == "enum" || k == "const" || k == "required" {
                        v.clone()
                    } else {
                        strip_annotations(v)
                    };
                    (k.clone(), inner)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(strip_annotations).collect()),
        other => other.clone(),
    }
}
