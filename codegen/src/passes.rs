//! Schema-level passes that make typify's output lossless and typed.
//!
//! typify 0.8 drops what it does not model: `additionalProperties: true` loses unknown fields,
//! `number` becomes `f64` (`10` comes back as `10.0`), `integer` becomes `i64` (refusing `1e3` and
//! integers past 2^63, which JSON Schema allows), `format` makes chrono/uuid types that
//! normalise timestamps and UUIDs, optional arrays are skipped when empty, and a facet map is typed
//! as the base facet. Each pass below rewrites the bundled definitions so that the generated
//! types keep every byte of meaning; [`run_all`] applies them in order.

use serde_json::{json, Map, Value};

use crate::bundle::{local_ref, ref_target};
use crate::catalogue::FacetKind;
use crate::{Error, Result};

/// Definition that stands for a JSON number; the generator replaces it with `serde_json::Number`.
pub const JSON_NUMBER_DEF: &str = "JsonNumber";

/// Definition that stands for a JSON integer in a facet; the generator replaces it with the types
/// crate's `Integer`, which keeps the digits as written and has checked machine-integer accessors.
pub const JSON_INTEGER_DEF: &str = "JsonInteger";

/// Definitions whose integers stay machine integers: the batch answer a server builds itself.
/// Name of the definition generated from the OpenAPI batch response.
pub const BATCH_RESPONSE_DEF: &str = "BatchResponse";

const MACHINE_INTEGER_DEFS: &[&str] = &[BATCH_RESPONSE_DEF];

/// Runs every pass in the order they depend on each other.
pub fn run_all(defs: &mut Map<String, Value>) -> Result<()> {
    use_facet_containers(defs);
    flatten_all_of(defs)?;
    untyped_constructs(defs);
    strip_keyword(defs, "format");
    strip_keyword(defs, "default");
    lossless_numbers(defs);
    lossless_integers(defs);
    nullable_optional_collections(defs);
    open_objects(defs);
    constants_as_enums(defs);
    docs_from_schema(defs);
    Ok(())
}

/// Calls `f` on `schema` and then on every subschema below it, walking only schema positions
/// (so a property *named* `format` is never mistaken for the keyword).
pub fn for_each_schema(schema: &mut Value, f: &mut impl FnMut(&mut Value)) {
    f(schema);
    let Value::Object(map) = schema else { return };
    for key in ["properties", "patternProperties", "$defs"] {
        if let Some(Value::Object(children)) = map.get_mut(key) {
            children.values_mut().for_each(|c| for_each_schema(c, f));
        }
    }
    for key in [
        "items",
        "additionalProperties",
        "not",
        "if",
        "then",
        "else",
        "contains",
        "propertyNames",
    ] {
        match map.get_mut(key) {
            Some(child @ Value::Object(_)) => for_each_schema(child, f),
            Some(Value::Array(children)) if key == "items" => {
                children.iter_mut().for_each(|c| for_each_schema(c, f));
            }
            _ => {}
        }
    }
    for key in ["allOf", "anyOf", "oneOf", "prefixItems"] {
        if let Some(Value::Array(children)) = map.get_mut(key) {
            children.iter_mut().for_each(|c| for_each_schema(c, f));
        }
    }
}

fn for_each_def(defs: &mut Map<String, Value>, mut f: impl FnMut(&mut Value)) {
    defs.values_mut().for_each(|d| for_each_schema(d, &mut f));
}

/// Replaces every facet map (`additionalProperties: {$ref: RunFacet}`, possibly wrapped in a
/// one-element `anyOf`) with a reference to the typed container for that kind, and adds a
/// placeholder definition per container for the generator to replace.
pub fn use_facet_containers(defs: &mut Map<String, Value>) {
    for_each_def(defs, |schema| {
        if let Some(kind) = FacetKind::of_facet_map(schema) {
            let description = schema.get("description").cloned();
            let mut replacement = json!({ "$ref": local_ref(kind.container()) });
            if let Some(d) = description {
                replacement["description"] = d;
            }
            *schema = replacement;
        }
    });
    for kind in FacetKind::ALL {
        defs.insert(kind.container().to_string(), json!({ "type": "object" }));
    }
}

/// Keywords that only narrow which values are valid: the type is built without them (it then
/// accepts a little more than the schema, which the validator checks as written).
const CONSTRAINT_KEYWORDS: &[&str] = &[
    "if",
    "then",
    "else",
    "not",
    "dependentRequired",
    "dependentSchemas",
];

/// Keywords that give a value a shape typify cannot express: a schema using one is typed as raw
/// JSON (`serde_json::Value`), kept as it came.
const RAW_KEYWORDS: &[&str] = &[
    "allOf",
    "prefixItems",
    "patternProperties",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
    "contains",
];

/// The build-time note for what typify cannot type: constraint-only keywords are dropped from
/// the type, and schemas of shapes it cannot express become raw JSON. Each says so in its doc
/// comment (the schema's description), so a spec upgrade that brings such a construct builds,
/// and the generated documentation shows where the types are looser than the schema.
pub fn untyped_constructs(defs: &mut Map<String, Value>) {
    for_each_def(defs, |schema| {
        let Value::Object(map) = schema else { return };
        let raw: Vec<&str> = RAW_KEYWORDS
            .iter()
            .copied()
            .filter(|k| map.contains_key(*k))
            .collect();
        if !raw.is_empty() {
            let mut replacement = Map::new();
            let note = format!(
                "Raw JSON: the schema's `{}` has no Rust type; the validator checks it.",
                raw.join("`, `")
            );
            replacement.insert("description".into(), Value::String(note_after(map, &note)));
            *map = replacement;
            return;
        }
        let dropped: Vec<&str> = CONSTRAINT_KEYWORDS
            .iter()
            .copied()
            .filter(|k| map.remove(*k).is_some())
            .collect();
        if !dropped.is_empty() {
            let note = format!(
                "Not enforced by this type: `{}` (the validator checks it).",
                dropped.join("`, `")
            );
            let text = note_after(map, &note);
            map.insert("description".into(), Value::String(text));
        }
    });
}

fn note_after(map: &Map<String, Value>, note: &str) -> String {
    match map.get("description").and_then(Value::as_str) {
        Some(d) => format!("{d}\n\n{note}"),
        None => note.to_string(),
    }
}

/// Merges `allOf` lists of object schemas (references included) into one flat object schema, so
/// each event and facet becomes one struct with all its fields instead of nested flattened parts.
/// `not` clauses are dropped here: typify cannot express them, and the validator and the `Event`
/// dispatch enforce them instead.
///
/// An `allOf` that cannot be merged (members that conflict, or choose with `oneOf`/`anyOf`)
/// stays as written: [`untyped_constructs`] then types it as raw JSON with a note, and the
/// generators and the validator read it literally. A spec that uses one still builds.
pub fn flatten_all_of(defs: &mut Map<String, Value>) -> Result<()> {
    let snapshot = defs.clone();
    for (name, def) in defs.iter_mut() {
        for_each_schema(def, &mut |schema| {
            if schema.get("allOf").is_some() {
                let written = schema.clone();
                if flatten_node(schema, &snapshot, name, 0).is_err() {
                    *schema = written;
                }
            }
        });
    }
    Ok(())
}

fn flatten_node(
    schema: &mut Value,
    defs: &Map<String, Value>,
    def_name: &str,
    depth: usize,
) -> Result<()> {
    let err = |message: String| Error::Schema {
        location: local_ref(def_name),
        message,
    };
    if depth > 16 {
        return Err(err("allOf references nest too deeply".into()));
    }
    let Some(Value::Array(members)) = schema.as_object_mut().and_then(|m| m.remove("allOf")) else {
        return Ok(());
    };
    let mut merged = schema.as_object().cloned().unwrap_or_default();
    merged.remove("not");
    for member in members {
        let mut member = match member.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let target = ref_target(r).ok_or_else(|| err(format!("bad reference {r}")))?;
                let mut base = defs
                    .get(target)
                    .cloned()
                    .ok_or_else(|| err(format!("reference {r} does not resolve")))?;
                // A base's description ("A Run Facet") says nothing about the schema extending it.
                if let Value::Object(map) = &mut base {
                    map.remove("description");
                    map.remove("title");
                }
                base
            }
            None => member,
        };
        flatten_node(&mut member, defs, def_name, depth + 1)?;
        let Value::Object(member) = member else {
            return Err(err("allOf member is not a schema object".into()));
        };
        for key in ["oneOf", "anyOf", "$ref"] {
            if member.contains_key(key) {
                return Err(err(format!(
                    "allOf member with `{key}` cannot be flattened"
                )));
            }
        }
        merge_object(&mut merged, member).map_err(err)?;
    }
    merged.insert("type".into(), json!("object"));
    *schema = Value::Object(merged);
    Ok(())
}

fn merge_object(into: &mut Map<String, Value>, from: Map<String, Value>) -> Result<(), String> {
    for (key, value) in from {
        match key.as_str() {
            "properties" => {
                let props = into
                    .entry("properties")
                    .or_insert_with(|| json!({}))
                    .as_object_mut()
                    .ok_or("`properties` is not an object")?;
                for (name, schema) in value.as_object().into_iter().flatten() {
                    match props.get(name) {
                        Some(existing) if existing != schema => {
                            return Err(format!("property `{name}` is defined twice differently"))
                        }
                        _ => {
                            props.insert(name.clone(), schema.clone());
                        }
                    }
                }
            }
            "required" => {
                let required = into
                    .entry("required")
                    .or_insert_with(|| json!([]))
                    .as_array_mut()
                    .ok_or("`required` is not an array")?;
                for name in value.as_array().into_iter().flatten() {
                    if !required.contains(name) {
                        required.push(name.clone());
                    }
                }
            }
            "additionalProperties" => {
                // The most restrictive wins: `false` anywhere closes the merged object.
                if into.get("additionalProperties") != Some(&Value::Bool(false)) {
                    into.insert(key, value);
                }
            }
            // The outer schema's own description and metadata win over the members'.
            "description" | "title" | "example" | "examples" => {
                into.entry(key).or_insert(value);
            }
            "type" | "not" => {}
            other => {
                if into.get(other).is_some_and(|v| v != &value) {
                    return Err(format!("keyword `{other}` conflicts between allOf members"));
                }
                into.insert(key, value);
            }
        }
    }
    Ok(())
}

/// Removes a keyword from every schema. `format` must go because typify maps `date-time` and
/// `uuid` to types that normalise the text; `default` must go because a defaulted field is
/// written back even when the input did not have it.
pub fn strip_keyword(defs: &mut Map<String, Value>, keyword: &str) {
    for_each_def(defs, |schema| {
        if let Value::Object(map) = schema {
            map.remove(keyword);
        }
    });
}

/// Replaces `{"type": "number"}` with a reference to [`JSON_NUMBER_DEF`], which the generator maps
/// to `serde_json::Number`, so `10` stays `10` and every number keeps its digits (with the
/// `arbitrary_precision` feature the types crate turns on).
pub fn lossless_numbers(defs: &mut Map<String, Value>) {
    for_each_def(defs, |schema| {
        if schema.get("type") == Some(&json!("number")) {
            let mut replacement = json!({ "$ref": local_ref(JSON_NUMBER_DEF) });
            if let Some(d) = schema.get("description") {
                replacement["description"] = d.clone();
            }
            *schema = replacement;
        }
    });
    defs.insert(JSON_NUMBER_DEF.into(), json!({ "type": "number" }));
}

/// Replaces `{"type": "integer"}` in what producers send with a reference to
/// [`JSON_INTEGER_DEF`]: typify would make it an `i64`, which refuses `1e3`, `1000.0` and integers
/// past 2^63 (all integers to JSON Schema, and the spec sets no maximum) and would drop the facet to
/// raw JSON. Range keywords are left to the validator.
pub fn lossless_integers(defs: &mut Map<String, Value>) {
    for (name, def) in defs.iter_mut() {
        if MACHINE_INTEGER_DEFS.contains(&name.as_str()) {
            continue;
        }
        for_each_schema(def, &mut |schema| {
            if schema.get("type") == Some(&json!("integer")) {
                let mut replacement = json!({ "$ref": local_ref(JSON_INTEGER_DEF) });
                if let Some(d) = schema.get("description") {
                    replacement["description"] = d.clone();
                }
                *schema = replacement;
            }
        });
    }
    defs.insert(JSON_INTEGER_DEF.into(), json!({ "type": "integer" }));
}

/// Makes optional array and map properties nullable, which typify turns into `Option<Vec<_>>`
/// instead of a `Vec` that is skipped when empty, so `"fields": []` survives a round trip.
pub fn nullable_optional_collections(defs: &mut Map<String, Value>) {
    for_each_def(defs, |schema| {
        let Some(obj) = schema.as_object_mut() else {
            return;
        };
        let required: Vec<Value> = obj
            .get("required")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let Some(Value::Object(props)) = obj.get_mut("properties") else {
            return;
        };
        for (name, prop) in props.iter_mut() {
            if required.contains(&Value::String(name.clone())) {
                continue;
            }
            let is_collection = match prop.get("type").and_then(Value::as_str) {
                Some("array") => true,
                Some("object") => {
                    prop.get("properties").is_none() && prop.get("additionalProperties").is_some()
                }
                _ => false,
            };
            if is_collection {
                let ty = prop["type"].clone();
                prop["type"] = json!([ty, "null"]);
            }
        }
    });
}

/// Gives every object schema with named properties an explicit `additionalProperties: {}` (unless
/// it is closed or already typed), so typify emits a flattened `extra` map and unknown fields
/// survive a round trip.
pub fn open_objects(defs: &mut Map<String, Value>) {
    for_each_def(defs, |schema| {
        let Some(obj) = schema.as_object_mut() else {
            return;
        };
        if !obj.contains_key("properties") {
            return;
        }
        match obj.get("additionalProperties") {
            None | Some(Value::Bool(true)) => {
                obj.insert("additionalProperties".into(), json!({}));
            }
            _ => {}
        }
    });
}

/// Turns `const` into a one-value `enum`, which typify makes a unit enum instead of a
/// `serde_json::Value` (the subset conditions' `type` discriminators).
pub fn constants_as_enums(defs: &mut Map<String, Value>) {
    for_each_def(defs, |schema| {
        let Value::Object(map) = schema else { return };
        if matches!(map.get("const"), Some(Value::String(_))) {
            if let Some(value) = map.remove("const") {
                map.insert("enum".into(), json!([value]));
                map.insert("type".into(), json!("string"));
            }
        }
    });
}

/// Makes descriptions good rustdoc: bare URLs become autolinks (`<https://...>`), and the
/// schema's `example` and `examples` values are appended, since typify drops them.
pub fn docs_from_schema(defs: &mut Map<String, Value>) {
    for_each_def(defs, |schema| {
        let Value::Object(map) = schema else { return };
        let mut text = map
            .get("description")
            .and_then(Value::as_str)
            .map(autolink)
            .unwrap_or_default();
        let mut examples: Vec<Value> = map.get("example").cloned().into_iter().collect();
        if let Some(Value::Array(more)) = map.get("examples") {
            examples.extend(more.iter().cloned());
        }
        for example in &examples {
            let shown = match example {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            if !text.is_empty() {
                text.push_str("\n\n");
            }
            if shown.contains('\n') || shown.len() > 80 {
                text.push_str(&format!(
                    "Example:\n\n```json\n{}\n```",
                    json_pretty(example)
                ));
            } else {
                text.push_str(&format!("Example: `{}`", shown.replace('`', "'")));
            }
        }
        if !text.is_empty() {
            map.insert("description".into(), Value::String(text));
        }
    });
}

fn json_pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

/// Wraps every bare `http://` or `https://` URL of `text` in `<...>`; URLs already in angle
/// brackets, backticks or a Markdown link target are left alone.
pub fn autolink(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut rest = text;
    while let Some(at) = rest
        .find("http://")
        .into_iter()
        .chain(rest.find("https://"))
        .min()
    {
        let (before, from) = rest.split_at(at);
        out.push_str(before);
        let end = from
            .find(|c: char| c.is_whitespace() || matches!(c, ')' | '>' | '`' | '"' | '\'' | ']'))
            .unwrap_or(from.len());
        // A sentence's full stop or comma after the URL is not part of it.
        let url = from[..end].trim_end_matches(['.', ',', ';', ':']);
        // A Markdown link target follows `](`; a parenthesis alone is prose.
        let quoted =
            matches!(before.chars().last(), Some('<' | '`' | '"' | '\'')) || before.ends_with("](");
        if quoted {
            out.push_str(url);
        } else {
            out.push('<');
            out.push_str(url);
            out.push('>');
        }
        rest = &from[url.len()..];
    }
    out.push_str(rest);
    out
}

/// Removes the definitions no root reaches through `$ref`: the bases that `allOf` flattening
/// has copied into their children, and a `oneOf` of facets the catalogue split by kind.
pub fn prune_unreachable(defs: &mut Map<String, Value>, roots: &[String]) {
    let mut reached: Vec<String> = roots
        .iter()
        .filter(|r| defs.contains_key(*r))
        .cloned()
        .collect();
    let mut next = 0;
    while let Some(name) = reached.get(next).cloned() {
        next += 1;
        let mut found = Vec::new();
        collect_refs(&defs[&name], &mut found);
        for target in found {
            if defs.contains_key(&target) && !reached.contains(&target) {
                reached.push(target);
            }
        }
    }
    defs.retain(|name, _| reached.contains(name));
}

fn collect_refs(schema: &Value, out: &mut Vec<String>) {
    match schema {
        Value::Object(map) => {
            if let Some(target) = map.get("$ref").and_then(Value::as_str).and_then(ref_target) {
                out.push(target.to_string());
            }
            map.values().for_each(|v| collect_refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defs(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn facet_maps_become_container_refs() {
        let mut d = defs(json!({
            "RunFacet": {"type": "object"},
            "Run": {"properties": {"facets": {"description": "d", "type": "object",
                "anyOf": [{"type": "object", "additionalProperties": {"$ref": "#/$defs/RunFacet"}}]}}}
        }));
        use_facet_containers(&mut d);
        assert_eq!(
            d["Run"]["properties"]["facets"],
            json!({"$ref": "#/$defs/RunFacets", "description": "d"})
        );
        assert!(d.contains_key("JobFacets"));
    }

    #[test]
    fn all_of_is_merged_with_referenced_members() {
        let mut d = defs(json!({
            "Base": {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"],
                     "additionalProperties": true},
            "Child": {"description": "child", "allOf": [
                {"$ref": "#/$defs/Base"},
                {"type": "object", "properties": {"b": {"type": "integer"}}, "required": ["b"],
                 "not": {"required": ["c"]}}
            ]}
        }));
        flatten_all_of(&mut d).unwrap();
        assert_eq!(
            d["Child"],
            json!({"description": "child", "type": "object",
                   "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
                   "required": ["a", "b"], "additionalProperties": true})
        );
    }

    #[test]
    fn an_all_of_that_cannot_be_merged_stays_and_becomes_raw_json() {
        let written = json!({"X": {"properties": {"b": {"allOf": [
            {"properties": {"a": {"type": "string"}}},
            {"properties": {"a": {"type": "integer"}}}
        ]}}}});
        let mut d = defs(written.clone());
        flatten_all_of(&mut d).expect("never an error");
        assert_eq!(Value::Object(d.clone()), written);
        untyped_constructs(&mut d);
        assert_eq!(
            d["X"],
            json!({"properties": {"b": {"description":
                "Raw JSON: the schema's `allOf` has no Rust type; the validator checks it."}}})
        );
    }

    #[test]
    fn format_keyword_goes_but_a_property_named_format_stays() {
        let mut d = defs(json!({"X": {"properties": {
            "format": {"type": "string", "format": "uri"},
            "t": {"type": "string", "format": "date-time", "default": "now"}
        }}}));
        strip_keyword(&mut d, "format");
        strip_keyword(&mut d, "default");
        assert_eq!(
            d["X"],
            json!({"properties": {"format": {"type": "string"}, "t": {"type": "string"}}})
        );
    }

    #[test]
    fn integers_become_json_integers_except_in_the_batch_answer() {
        let mut d = Map::new();
        d.insert(
            "X".into(),
            json!({"properties": {"n": {"type": "integer", "minimum": 1, "description": "d"}}}),
        );
        d.insert(
            "BatchResponse".into(),
            json!({"properties": {"received": {"type": "integer"}}}),
        );
        lossless_integers(&mut d);
        assert_eq!(
            d["X"]["properties"]["n"],
            json!({"$ref": "#/$defs/JsonInteger", "description": "d"})
        );
        assert_eq!(
            d["BatchResponse"]["properties"]["received"],
            json!({"type": "integer"})
        );
        assert_eq!(d[JSON_INTEGER_DEF], json!({"type": "integer"}));
    }

    #[test]
    fn numbers_become_json_numbers() {
        let mut d = defs(
            json!({"X": {"properties": {"n": {"type": "number", "description": "d"},
                                                     "i": {"type": "integer"}}}}),
        );
        lossless_numbers(&mut d);
        assert_eq!(
            d["X"]["properties"]["n"],
            json!({"$ref": "#/$defs/JsonNumber", "description": "d"})
        );
        assert_eq!(d["X"]["properties"]["i"], json!({"type": "integer"}));
        assert_eq!(d[JSON_NUMBER_DEF], json!({"type": "number"}));
    }

    #[test]
    fn only_optional_collections_become_nullable() {
        let mut d = defs(json!({"X": {"required": ["r"], "properties": {
            "r": {"type": "array"}, "o": {"type": "array"}, "s": {"type": "string"},
            "m": {"type": "object", "additionalProperties": {"type": "string"}}
        }}}));
        nullable_optional_collections(&mut d);
        let p = &d["X"]["properties"];
        assert_eq!(p["r"]["type"], json!("array"));
        assert_eq!(p["o"]["type"], json!(["array", "null"]));
        assert_eq!(p["s"]["type"], json!("string"));
        assert_eq!(p["m"]["type"], json!(["object", "null"]));
    }

    #[test]
    fn constants_become_one_value_enums() {
        let mut d = defs(json!({"X": {"properties": {"type": {"const": "location"}}}}));
        constants_as_enums(&mut d);
        assert_eq!(
            d["X"]["properties"]["type"],
            json!({"enum": ["location"], "type": "string"})
        );
    }

    #[test]
    fn docs_get_autolinks_and_examples() {
        assert_eq!(
            autolink("see https://a.b/c. Or <https://x.y>, `http://q` (https://r) [s](https://s)"),
            "see <https://a.b/c>. Or <https://x.y>, `http://q` (<https://r>) [s](https://s)"
        );
        let mut d = defs(json!({"X": {"properties": {
            "q": {"type": "string", "description": "The query", "example": "SELECT 1"},
            "n": {"type": "object", "examples": [{"a": 1}]}
        }}}));
        docs_from_schema(&mut d);
        assert_eq!(
            d["X"]["properties"]["q"]["description"],
            json!("The query\n\nExample: `SELECT 1`")
        );
        assert_eq!(
            d["X"]["properties"]["n"]["description"],
            json!("Example: `{\"a\":1}`")
        );
    }

    #[test]
    fn unreachable_definitions_are_pruned() {
        let mut d = defs(json!({
            "Root": {"properties": {"a": {"$ref": "#/$defs/A"}}},
            "A": {"items": {"$ref": "#/$defs/B"}},
            "B": {},
            "Orphan": {"$ref": "#/$defs/B"}
        }));
        prune_unreachable(&mut d, &["Root".to_string()]);
        let names: Vec<&String> = d.keys().collect();
        assert_eq!(names, ["A", "B", "Root"]);
    }

    #[test]
    fn untypeable_constructs_are_dropped_or_raw_with_a_note() {
        let mut d = defs(json!({"T": {"type": "object", "description": "T.",
            "properties": {
                "pair": {"type": "array", "prefixItems": [{"type": "string"}]},
                "n": {"type": "string", "not": {"const": ""}}},
            "if": {"required": ["a"]}, "then": {"required": ["b"]},
            "dependentRequired": {"a": ["b"]}}}));
        untyped_constructs(&mut d);
        assert_eq!(
            d["T"],
            json!({"type": "object",
                "description": "T.\n\nNot enforced by this type: `if`, `then`, `dependentRequired` (the validator checks it).",
                "properties": {
                    "pair": {"description": "Raw JSON: the schema's `prefixItems` has no Rust type; the validator checks it."},
                    "n": {"type": "string", "description": "Not enforced by this type: `not` (the validator checks it)."}}})
        );
    }

    #[test]
    fn objects_with_properties_are_opened() {
        let mut d = defs(json!({
            "Open": {"properties": {"a": {}}},
            "True": {"properties": {"a": {}}, "additionalProperties": true},
            "Closed": {"properties": {"a": {}}, "additionalProperties": false},
            "Map": {"additionalProperties": {"type": "string"}}
        }));
        open_objects(&mut d);
        assert_eq!(d["Open"]["additionalProperties"], json!({}));
        assert_eq!(d["True"]["additionalProperties"], json!({}));
        assert_eq!(d["Closed"]["additionalProperties"], json!(false));
        assert_eq!(d["Map"]["additionalProperties"], json!({"type": "string"}));
    }
}
