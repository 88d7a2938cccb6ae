//! A schema normaliser for the whole-tier validator: references inlined and `allOf` members
//! merged, so that jsonschema walks each object of an event as few times as it can.
//!
//! jsonschema evaluates every member of an `allOf` on its own, so an object that three schemas
//! describe (the event's definition, the overlay of facet sites, a facet's base and its own
//! fields) has its members iterated three times. The normaliser rewrites a schema into one of
//! the same meaning where such members are one object schema: `$ref`s are inlined (a reference
//! met again while it is being inlined stays a reference, to a `$defs` entry, so recursive
//! definitions stay finite), annotations are dropped (only `is_valid` is asked), a single-member
//! `anyOf`/`oneOf` is read as that member, and `allOf` members are merged wherever that provably
//! keeps the meaning ([`mergeable`]); a member that cannot be merged stays in the `allOf`.
//! Finally, the keywords beside an `if` are copied into its `then` and `else` ([`distribute`]),
//! or, for an `if` with no `then` (a facet's `_deleted` guard, the facet as the condition), into
//! the condition and `else`, so a facet's base fields and its own are checked in one walk; and
//! `required` lists longer than two are split ([`split_required`]) so that jsonschema checks two
//! of them in that walk.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::Error;

/// Keywords that say nothing about validity: dropped.
const ANNOTATIONS: [&str; 12] = [
    "description",
    "title",
    "$comment",
    "examples",
    "example",
    "default",
    "deprecated",
    "readOnly",
    "writeOnly",
    "$schema",
    "$defs",
    "definitions",
];

/// Keywords whose value maps names to schemas.
const SCHEMA_MAPS: [&str; 3] = ["properties", "patternProperties", "dependentSchemas"];

/// Keywords whose value is a list of schemas (`items` only in its older, tuple form).
const SCHEMA_LISTS: [&str; 5] = ["allOf", "anyOf", "oneOf", "prefixItems", "items"];

/// Keywords whose value is one schema.
const ONE_SCHEMA: [&str; 12] = [
    "additionalProperties",
    "items",
    "additionalItems",
    "contains",
    "not",
    "if",
    "then",
    "else",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "contentSchema",
];

/// Keywords whose meaning depends on other schemas' annotations or on dynamic scope: a schema
/// holding one is never merged with another.
const UNMERGEABLE: [&str; 2] = ["unevaluatedProperties", "unevaluatedItems"];

/// Keywords whose meanings depend on each other within one schema object: a member holding one
/// is merged only when the other side holds none of its group (items and properties groups
/// have their own rules in [`mergeable`]).
const GROUPS: [&[&str]; 2] = [
    &["if", "then", "else"],
    &["contains", "minContains", "maxContains"],
];

/// Keywords that change how references resolve; the normaliser does not follow them.
const SCOPE: [&str; 5] = [
    "$anchor",
    "$dynamicRef",
    "$dynamicAnchor",
    "$recursiveRef",
    "$recursiveAnchor",
];

/// `root` (whose own references resolve against `base`) normalised, with every reference it
/// makes resolved in `docs` (schema documents by `$id`). References left in the result point at
/// its own `$defs`.
pub(super) fn normalise(
    root: &Value,
    base: &str,
    docs: &BTreeMap<String, &Value>,
) -> Result<Value, Error> {
    let mut n = Normaliser {
        docs,
        names: BTreeMap::new(),
        pending: Vec::new(),
    };
    let mut out = n.schema(root, base, &mut Vec::new())?;
    let mut defs = Map::new();
    while let Some((absolute, name)) = n.pending.pop() {
        let (target, target_base) = n.resolve(&absolute)?;
        let def = n.schema(target, &target_base, &mut vec![absolute])?;
        defs.insert(name, def);
    }
    split_required(&mut out);
    for def in defs.values_mut() {
        split_required(def);
    }
    if !defs.is_empty() {
        let object = match out {
            Value::Object(ref mut object) => object,
            // A boolean root makes no reference.
            _ => return Ok(out),
        };
        object.insert("$defs".into(), Value::Object(defs));
    }
    Ok(out)
}

struct Normaliser<'a> {
    docs: &'a BTreeMap<String, &'a Value>,
    /// Each reference kept as a reference, with its `$defs` name in the result.
    names: BTreeMap<String, String>,
    /// References named but not yet normalised into `$defs`.
    pending: Vec<(String, String)>,
}

impl<'a> Normaliser<'a> {
    /// The schema a reference points at, and the base its own references resolve against.
    fn resolve(&self, absolute: &str) -> Result<(&'a Value, String), Error> {
        let (id, fragment) = absolute.split_once('#').unwrap_or((absolute, ""));
        let target = self
            .docs
            .get(id)
            .and_then(|doc| doc.pointer(fragment))
            .ok_or_else(|| {
                Error::Schema(format!("the reference `{absolute}` resolves to nothing"))
            })?;
        Ok((target, id.to_string()))
    }

    /// The local reference that stands for `absolute`, named on first use.
    fn local(&mut self, absolute: &str) -> Value {
        let next = self.names.len();
        let name = self.names.entry(absolute.to_string()).or_insert_with(|| {
            let name = format!("r{next}");
            self.pending.push((absolute.to_string(), name.clone()));
            name
        });
        Value::from(format!("#/$defs/{name}"))
    }

    /// `schema` normalised; `stack` holds the references being inlined around it.
    fn schema(
        &mut self,
        schema: &Value,
        base: &str,
        stack: &mut Vec<String>,
    ) -> Result<Value, Error> {
        let Value::Object(map) = schema else {
            return Ok(schema.clone());
        };
        if let Some(k) = SCOPE.iter().find(|k| map.contains_key(**k)) {
            return Err(Error::Schema(format!(
                "the normaliser does not follow `{k}`"
            )));
        }
        if map.get("$id").is_some_and(|id| id.as_str() != Some(base)) {
            return Err(Error::Schema(format!(
                "the normaliser does not follow a nested `$id` (in {base})"
            )));
        }
        let mut out = Map::new();
        let mut members = Vec::new();
        for (k, v) in map {
            let k = k.as_str();
            match (k, v) {
                _ if ANNOTATIONS.contains(&k) || k == "$id" => {}
                ("$ref", Value::String(reference)) => {
                    let absolute = absolute(base, reference);
                    if stack.contains(&absolute) {
                        out.insert(k.into(), self.local(&absolute));
                    } else {
                        let (target, target_base) = self.resolve(&absolute)?;
                        stack.push(absolute);
                        members.push(self.schema(target, &target_base, stack)?);
                        stack.pop();
                    }
                }
                (k, Value::Object(m)) if SCHEMA_MAPS.contains(&k) => {
                    let mut each = Map::new();
                    for (name, s) in m {
                        each.insert(name.clone(), self.schema(s, base, stack)?);
                    }
                    out.insert(k.into(), Value::Object(each));
                }
                ("allOf", Value::Array(items)) => {
                    for s in items {
                        members.push(self.schema(s, base, stack)?);
                    }
                }
                ("anyOf" | "oneOf", Value::Array(items)) if items.len() == 1 => {
                    members.push(self.schema(&items[0], base, stack)?);
                }
                (k, Value::Array(items)) if SCHEMA_LISTS.contains(&k) => {
                    let each = items
                        .iter()
                        .map(|s| self.schema(s, base, stack))
                        .collect::<Result<_, _>>()?;
                    out.insert(k.into(), Value::Array(each));
                }
                (k, _) if ONE_SCHEMA.contains(&k) => {
                    out.insert(k.into(), self.schema(v, base, stack)?);
                }
                _ => {
                    out.insert(k.into(), v.clone());
                }
            }
        }
        Ok(conjunction(Value::Object(out), members))
    }
}

/// jsonschema checks `required` in the same pass over an object's members as its `properties`
/// only when `required` names exactly two keys (and `additionalProperties` is no schema); a
/// longer list is a pass of its own. Merging unites the lists (a facet's base fields and its
/// own), so each schema with `properties` and more than two required names keeps two and asks
/// for the others in an `allOf` member, which looks each up instead: the two that sort last,
/// as looking up a name costs a comparison with each member that sorts before it.
///
/// A branch of a `oneOf` or `anyOf` keeps its list whole: a whole list is checked before the
/// members are walked, and branches mostly differ in what they require (the subset facet's
/// input and output conditions), so a branch that does not apply fails at once instead of after
/// a walk that checks every format in it.
fn split_required(schema: &mut Value) {
    split_required_at(schema, true);
}

fn split_required_at(schema: &mut Value, here: bool) {
    let Value::Object(map) = schema else {
        return;
    };
    let fusable = map.get("properties").is_some_and(Value::is_object)
        && !map.contains_key("patternProperties")
        && map
            .get("additionalProperties")
            .is_none_or(|v| *v == Value::Bool(true));
    if here && fusable {
        if let Some(Value::Array(required)) = map.get_mut("required") {
            if required.len() > 2 {
                // serde_json's maps keep members in byte order and a lookup compares the name
                // with each member before it, so the names that sort first are the cheapest to
                // look up; the two that sort last go in the pass.
                required.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
                let rest: Vec<Value> = required.drain(..required.len() - 2).collect();
                let member = serde_json::json!({ "required": rest });
                match map.get_mut("allOf") {
                    Some(Value::Array(all)) => all.push(member),
                    _ => {
                        map.insert("allOf".into(), Value::Array(vec![member]));
                    }
                }
            }
        }
    }
    for_each_subschema(map, |k, v| {
        split_required_at(v, !matches!(k, "oneOf" | "anyOf"));
    });
}

/// Writes every schema that is exactly `{"type": "string", "format": "uri"}` as `{keyword:
/// true}`, a keyword the validator registers to check both at once
/// ([`super::formats::URI_STRING`]). Only schemas are rewritten, not values (`const`, `enum`).
pub(super) fn fuse_uri_strings(schema: &mut Value, keyword: &str) {
    let Value::Object(map) = schema else {
        return;
    };
    let is_uri_string = map.len() == 2
        && map.get("type").is_some_and(|t| t == "string")
        && map.get("format").is_some_and(|f| f == "uri");
    if is_uri_string {
        *map = Map::from_iter([(keyword.to_string(), Value::Bool(true))]);
        return;
    }
    for_each_subschema(map, |_, v| fuse_uri_strings(v, keyword));
}

/// Calls `f` with each schema `map` holds directly, and the keyword it sits under: the values
/// of the name-to-schema maps (and of `$defs`, where the normalised schema keeps references'
/// targets), each member of the schema lists, and each single schema.
fn for_each_subschema(map: &mut Map<String, Value>, mut f: impl FnMut(&str, &mut Value)) {
    for (k, v) in map.iter_mut() {
        let k = k.as_str();
        match v {
            Value::Object(m) if SCHEMA_MAPS.contains(&k) || k == "$defs" => {
                m.values_mut().for_each(|v| f(k, v));
            }
            Value::Array(a) if SCHEMA_LISTS.contains(&k) => a.iter_mut().for_each(|v| f(k, v)),
            v if ONE_SCHEMA.contains(&k) => f(k, v),
            _ => {}
        }
    }
}

/// `reference` made absolute against `base` (an absolute URI without fragment).
fn absolute(base: &str, reference: &str) -> String {
    if reference.starts_with('#') {
        format!("{base}{reference}")
    } else if reference.contains("://") || reference.starts_with("urn:") {
        reference.to_string()
    } else {
        let dir = base.rfind('/').map_or(base, |at| &base[..=at]);
        format!("{dir}{reference}")
    }
}

/// `first` and every member of `members` (all normalised) as one schema: members merged into
/// `first` where [`mergeable`] can, the others kept in its `allOf`.
fn conjunction(first: Value, members: Vec<Value>) -> Value {
    let mut acc = match first {
        Value::Object(map) => map,
        Value::Bool(true) => Map::new(),
        other => return other,
    };
    let mut rest: Vec<Value> = Vec::new();
    for member in members {
        match member {
            Value::Bool(true) => {}
            Value::Object(m) if mergeable(&acc, &m) => merge_into(&mut acc, m),
            Value::Object(m) => {
                let m = Value::Object(m);
                if !rest.contains(&m) {
                    rest.push(m);
                }
            }
            // `false`, or something that is no schema (jsonschema then reports it).
            other => return other,
        }
    }
    if !rest.is_empty() {
        let mut all = match acc.remove("allOf") {
            Some(Value::Array(all)) => all,
            _ => Vec::new(),
        };
        all.extend(
            rest.into_iter()
                .filter(|m| !all.contains(m))
                .collect::<Vec<_>>(),
        );
        acc.insert("allOf".into(), Value::Array(all));
    }
    distribute(&mut acc);
    Value::Object(acc)
}

/// The conjunction of already normalised schemas.
fn all(parts: Vec<Value>) -> Value {
    let mut parts = parts.into_iter();
    match parts.next() {
        None => Value::Bool(true),
        Some(first) => conjunction(first, parts.collect()),
    }
}

const PROPERTIES: [&str; 3] = ["properties", "additionalProperties", "patternProperties"];
/// `items` beside `prefixItems` (or `additionalItems`) applies only past the prefix.
const ITEMS: [&str; 3] = ["items", "prefixItems", "additionalItems"];

fn has_any(s: &Map<String, Value>, keys: &[&str]) -> bool {
    keys.iter().any(|k| s.contains_key(*k))
}

fn is_schema(v: &Value) -> bool {
    v.is_object() || v.is_boolean()
}

/// Whether [`merge_into`] keeps the meaning of `p` and `m` together; when it does not, the
/// member stays in an `allOf`.
///
/// Keywords that act alone (`type`, `required`, `format`, `enum`, ...) are moved, `required`
/// lists united, and a keyword on both sides kept only when both say the same. `properties` and
/// `additionalProperties` merge as jsonschema reads them: a key either side names gets both
/// sides' schemas for it (the other side's `additionalProperties` where it does not name the
/// key), and the `additionalProperties` of both apply to the keys neither names; a side with
/// `patternProperties` or `unevaluated*` is not merged.
fn mergeable(p: &Map<String, Value>, m: &Map<String, Value>) -> bool {
    if has_any(p, &UNMERGEABLE) || has_any(m, &UNMERGEABLE) {
        return false;
    }
    if has_any(m, &PROPERTIES) && has_any(p, &PROPERTIES) {
        let objects = |s: &Map<String, Value>| s.get("properties").is_none_or(Value::is_object);
        if has_any(p, &["patternProperties"]) || has_any(m, &["patternProperties"]) {
            return false;
        }
        if !objects(p) || !objects(m) {
            return false;
        }
        let extra = |s: &Map<String, Value>| s.get("additionalProperties").is_none_or(is_schema);
        if !extra(p) || !extra(m) {
            return false;
        }
    }
    if GROUPS.iter().any(|g| has_any(m, g) && has_any(p, g)) {
        return false;
    }
    if has_any(m, &ITEMS) && has_any(p, &ITEMS) {
        let only_items = |s: &Map<String, Value>| {
            !s.contains_key("prefixItems")
                && !s.contains_key("additionalItems")
                && s.get("items").is_some_and(is_schema)
        };
        if !only_items(p) || !only_items(m) {
            return false;
        }
    }
    m.iter().all(|(k, v)| {
        let k = k.as_str();
        if PROPERTIES.contains(&k) || ITEMS.contains(&k) || GROUPS.iter().any(|g| g.contains(&k)) {
            return true;
        }
        match (k, p.get(k), v) {
            (_, None, _) => true,
            (_, Some(a), b) if a == b => true,
            ("required" | "allOf", Some(Value::Array(_)), Value::Array(_)) => true,
            _ => false,
        }
    })
}

/// Merges `m` into `p`; only when [`mergeable`] says so.
fn merge_into(p: &mut Map<String, Value>, mut m: Map<String, Value>) {
    if has_any(&m, &PROPERTIES) && has_any(p, &PROPERTIES) {
        let take = |s: &mut Map<String, Value>| {
            let properties = match s.remove("properties") {
                Some(Value::Object(o)) => o,
                _ => Map::new(),
            };
            // `additionalProperties: true` asserts nothing.
            let extra = s
                .remove("additionalProperties")
                .filter(|v| *v != Value::Bool(true));
            (properties, extra)
        };
        let ((mut pp, pa), (mut mp, ma)) = (take(p), take(&mut m));
        let mut merged = Map::new();
        let keys: Vec<String> = pp.keys().chain(mp.keys()).cloned().collect();
        for key in keys {
            if merged.contains_key(&key) {
                continue;
            }
            let parts = [
                pp.remove(&key).or_else(|| pa.clone()),
                mp.remove(&key).or_else(|| ma.clone()),
            ];
            merged.insert(key, all(parts.into_iter().flatten().collect()));
        }
        if !merged.is_empty() {
            p.insert("properties".into(), Value::Object(merged));
        }
        let extra: Vec<Value> = [pa, ma].into_iter().flatten().collect();
        if !extra.is_empty() {
            p.insert("additionalProperties".into(), all(extra));
        }
    }
    if has_any(&m, &ITEMS) && has_any(p, &ITEMS) {
        if let (Some(a), Some(b)) = (p.remove("items"), m.remove("items")) {
            p.insert("items".into(), all(vec![a, b]));
        }
    }
    for (k, v) in m {
        match (k.as_str(), p.get_mut(&k), v) {
            ("required" | "allOf", Some(Value::Array(a)), Value::Array(b)) => {
                for item in b {
                    if !a.contains(&item) {
                        a.push(item);
                    }
                }
            }
            // Equal on both sides.
            (_, Some(_), _) => {}
            (_, None, v) => {
                p.insert(k, v);
            }
        }
    }
}

/// Copies the keywords beside an `if` into its `then` and `else`, when both merge with them:
/// `X ∧ (if G then T else E)` is `if G then X ∧ T else X ∧ E`, and the branch taken is then
/// one object schema instead of two. An `if` with no `then` holds exactly when its condition or
/// its `else` does, so there `X` goes into the condition and the `else` instead: `X ∧ (if C
/// else D)` is `if X ∧ C else X ∧ D`, with the same annotations. A facet's `_deleted` guard has
/// that shape, the facet as the condition (see `facets_tier_schema`), so the facet's base fields
/// and its own are one walk, and the marker is looked for only when that walk fails.
fn distribute(acc: &mut Map<String, Value>) {
    if !acc.contains_key("if") {
        return;
    }
    let beside: Map<String, Value> = acc
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "if" | "then" | "else" | "allOf"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    // `unevaluated*` sees what the branch taken evaluated; copied into a branch, it would see
    // only that branch.
    if beside.is_empty() || has_any(&beside, &UNMERGEABLE) {
        return;
    }
    let sides = match (acc.get("if"), acc.get("then"), acc.get("else")) {
        (Some(Value::Object(_)), None, Some(Value::Object(_))) => ["if", "else"],
        _ => ["then", "else"],
    };
    // A side left out is `true`.
    let with_beside = |side: &str| match acc.get(side) {
        None | Some(Value::Bool(true)) => Some(beside.clone()),
        Some(Value::Object(o)) if mergeable(&beside, o) => {
            let mut merged = beside.clone();
            merge_into(&mut merged, o.clone());
            Some(merged)
        }
        Some(_) => None,
    };
    let (Some(first), Some(second)) = (with_beside(sides[0]), with_beside(sides[1])) else {
        return;
    };
    for k in beside.keys() {
        acc.remove(k);
    }
    // When both branches assert the `type` the condition asserts, an instance of another type
    // fails whichever branch it takes, so the condition need not ask.
    if let (["then", _], Some(Value::Object(condition)), Some(t)) =
        (sides, acc.get_mut("if"), beside.get("type"))
    {
        if condition.get("type") == Some(t)
            && first.get("type") == Some(t)
            && second.get("type") == Some(t)
        {
            condition.remove("type");
        }
    }
    acc.insert(sides[0].into(), Value::Object(first));
    acc.insert(sides[1].into(), Value::Object(second));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const BASE: &str = "urn:test";

    fn normalised(schema: &Value) -> Value {
        let docs = BTreeMap::from([(BASE.to_string(), schema)]);
        normalise(schema, BASE, &docs).expect("normalises")
    }

    /// Normalises `schema` and checks both answer alike on every instance; returns the result.
    fn same_answers(schema: Value, instances: &[Value]) -> Value {
        let out = normalised(&schema);
        let compile = |s: &Value| {
            jsonschema::options()
                .with_draft(jsonschema::Draft::Draft202012)
                .should_validate_formats(true)
                .build(s)
                .expect("compiles")
        };
        let (before, after) = (compile(&schema), compile(&out));
        let mut verdicts = [0, 0];
        for instance in instances {
            let answer = before.is_valid(instance);
            assert_eq!(
                after.is_valid(instance),
                answer,
                "{instance} against {out:#}"
            );
            verdicts[usize::from(answer)] += 1;
        }
        assert!(
            verdicts[0] > 0 && verdicts[1] > 0,
            "{verdicts:?}: the instances test nothing"
        );
        out
    }

    #[test]
    fn branches_merge_into_one_object_schema() {
        let out = same_answers(
            json!({
                "$defs": {"base": {"type": "object", "description": "dropped",
                    "properties": {"a": {"type": "string"}}, "required": ["a"]}},
                "allOf": [
                    {"$ref": "#/$defs/base"},
                    {"type": "object", "required": ["b"],
                        "properties": {"a": {"format": "uri"}, "b": {"type": "integer"}}},
                ],
            }),
            &[
                json!({"a": "https://x", "b": 1}),
                json!({"a": "no uri", "b": 1}),
                json!({"a": "https://x"}),
                json!({"a": 3, "b": 1}),
                json!({"a": "https://x", "b": "1"}),
                json!([]),
            ],
        );
        assert_eq!(
            out,
            json!({
                "type": "object",
                "properties": {"a": {"type": "string", "format": "uri"}, "b": {"type": "integer"}},
                "required": ["a", "b"],
            })
        );
    }

    /// A key one branch names and another branch's `additionalProperties` covers gets both.
    #[test]
    fn additional_properties_reach_the_keys_only_the_other_branch_names() {
        let out = same_answers(
            json!({"allOf": [
                {"properties": {"a": {"type": "string"}}, "additionalProperties": false},
                {"properties": {"b": {"type": "string"}}},
            ]}),
            &[
                json!({"a": "x"}),
                json!({"b": "x"}),
                json!({"c": 1}),
                json!({"a": 1}),
            ],
        );
        assert_eq!(out["properties"]["b"], json!(false));
        assert!(out.get("allOf").is_none(), "{out:#}");
        let out = same_answers(
            json!({"anyOf": [{"type": "object", "additionalProperties": {"type": "integer"}}],
                "properties": {"k": {"minimum": 5}}}),
            &[
                json!({"k": 7, "x": 1}),
                json!({"k": 3}),
                json!({"k": "7"}),
                json!({"x": "1"}),
            ],
        );
        assert_eq!(
            out["properties"]["k"],
            json!({"type": "integer", "minimum": 5})
        );
    }

    /// Branches whose merge would change what they mean stay in the `allOf`.
    #[test]
    fn branches_that_cannot_merge_stay_as_they_are() {
        for kept in [
            json!({"patternProperties": {"^x": {"type": "string"}}}),
            json!({"unevaluatedProperties": false}),
            json!({"type": ["object", "null"]}),
        ] {
            let out = same_answers(
                json!({"allOf": [
                    {"type": "object", "properties": {"a": {"type": "string"}}},
                    kept.clone(),
                ]}),
                &[
                    json!({"a": "s", "z": 1}),
                    json!({"a": "s"}),
                    json!({"xa": 1, "b": 1}),
                    json!({"b": 1, "c": 1}),
                    json!({"q": 1}),
                    json!({}),
                    json!([]),
                ],
            );
            assert_eq!(out["allOf"], json!([kept]), "{out:#}");
        }
        // Two conditions: the second cannot share the first one's object.
        let second = json!({"if": {"required": ["b"]}, "then": {"required": ["c"]}});
        let out = same_answers(
            json!({"allOf": [{"if": {"required": ["a"]}, "then": {"required": ["z"]}}, second]}),
            &[
                json!({"a": 1, "z": 1}),
                json!({"a": 1}),
                json!({"b": 1}),
                json!({"b": 1, "c": 1}),
            ],
        );
        assert_eq!(out["allOf"], json!([second]), "{out:#}");
    }

    /// A facet of one field `q`, a `_deleted` marker, a guard of the two in `allOf` beside a
    /// base of one field `_producer`, and payloads of each kind, broken or not.
    fn facet() -> Value {
        json!({"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]})
    }

    fn marker() -> Value {
        json!({"type": "object", "required": ["_deleted"],
            "properties": {"_deleted": {"const": true}}})
    }

    fn beside_a_base(guard: Value) -> Value {
        json!({
            "type": "object",
            "properties": {"_producer": {"type": "string"}},
            "required": ["_producer"],
            "allOf": [guard],
        })
    }

    fn guard_instances() -> Vec<Value> {
        vec![
            json!({"_producer": "p", "q": "s"}),
            json!({"_producer": "p"}),
            json!({"_producer": "p", "_deleted": true}),
            json!({"_producer": "p", "_deleted": false}),
            json!({"_deleted": true}),
            json!({"_producer": "p", "q": 1}),
            json!({"q": "s"}),
            json!({"_producer": 1, "q": "s"}),
            json!("_deleted"),
            json!(null),
        ]
    }

    /// Keywords beside an `if` move into both branches, so the branch taken is one schema.
    #[test]
    fn keywords_beside_a_condition_move_into_its_branches() {
        let out = same_answers(
            beside_a_base(json!({"if": marker(), "then": true, "else": facet()})),
            &guard_instances(),
        );
        assert_eq!(
            out["else"],
            json!({"type": "object", "properties": {"_producer": {"type": "string"},
                "q": {"type": "string"}}, "required": ["_producer", "q"]})
        );
        assert_eq!(out["if"].get("type"), None);
        assert_eq!(out.get("properties"), None);
    }

    /// An `if` with no `then` (the facet first, then its marker) takes the keywords beside it
    /// into the condition and `else`, so the facet is one walk and asked first.
    #[test]
    fn a_condition_without_then_takes_the_keywords_beside_it() {
        let out = same_answers(
            beside_a_base(json!({"if": facet(), "else": marker()})),
            &guard_instances(),
        );
        assert_eq!(
            out["if"],
            json!({"type": "object", "properties": {"_producer": {"type": "string"},
                "q": {"type": "string"}}, "required": ["_producer", "q"]})
        );
        assert_eq!(
            out["else"],
            json!({"type": "object", "properties": {"_producer": {"type": "string"},
                "_deleted": {"const": true}}, "required": ["_producer", "_deleted"]})
        );
        assert_eq!(out.get("then"), None);
        assert_eq!(out.get("properties"), None);
    }

    /// A condition with a `then` of its own gets the keywords beside it in `then` and `else`,
    /// not in the condition.
    #[test]
    fn a_condition_with_its_own_then_keeps_the_keywords_out_of_it() {
        let out = same_answers(
            json!({
                "type": "object",
                "required": ["k"],
                "allOf": [{
                    "if": {"required": ["a"]},
                    "then": {"required": ["b"]},
                    "else": {"required": ["c"]},
                }],
            }),
            &[
                json!({"k": 1, "a": 1, "b": 1}),
                json!({"k": 1, "a": 1, "c": 1}),
                json!({"k": 1, "c": 1}),
                json!({"k": 1}),
                json!({"a": 1, "b": 1}),
            ],
        );
        assert_eq!(out["if"], json!({"required": ["a"]}));
        assert_eq!(
            out["then"],
            json!({"type": "object", "required": ["k", "b"]})
        );
        assert_eq!(
            out["else"],
            json!({"type": "object", "required": ["k", "c"]})
        );
    }

    /// A facet-first guard merged into up to four enclosing schemas keeps the facet as its
    /// condition, each enclosing schema's keywords joining both sides.
    #[test]
    fn a_guard_merged_again_keeps_the_facet_first() {
        let mut schema = json!({
            "if": {"properties": {"q": {"type": "string"}}, "required": ["q"]},
            "else": {"required": ["_deleted"], "properties": {"_deleted": {"const": true}}},
        });
        for enclosing in 0..=4 {
            let out = same_answers(
                schema.clone(),
                &[
                    json!({"q": "s"}),
                    json!({"q": "s", "p0": 0, "p1": 1, "p2": 2, "p3": 3}),
                    json!({"q": 1}),
                    json!({"_deleted": true}),
                    json!({"_deleted": true, "p0": "0"}),
                    json!({"_deleted": false}),
                    json!({"q": "s", "p1": "1"}),
                    json!({"q": "s", "p3": "3"}),
                    json!(1),
                ],
            );
            let at = format!("{enclosing} enclosing: {out:#}");
            assert_eq!(out["if"]["required"], json!(["q"]), "{at}");
            assert_eq!(out["else"]["required"], json!(["_deleted"]), "{at}");
            assert_eq!(out.get("then"), None, "{at}");
            assert_eq!(out.get("properties"), None, "{at}");
            for side in ["if", "else"] {
                for p in (0..enclosing).map(|i| format!("p{i}")) {
                    assert_eq!(
                        out[side]["properties"][&p],
                        json!({"type": "integer"}),
                        "{at}"
                    );
                }
            }
            schema = json!({
                "type": "object",
                "properties": {format!("p{enclosing}"): {"type": "integer"}},
                "allOf": [schema],
            });
        }
    }

    /// Copying the keywords beside a facet-first guard into both sides keeps what each side
    /// evaluates, as an enclosing `unevaluatedProperties` sees it: a marker that also has the
    /// facet's fields passes through the facet's side, before and after.
    #[test]
    fn a_guard_keeps_what_it_evaluates() {
        let out = same_answers(
            json!({
                "unevaluatedProperties": false,
                "allOf": [{
                    "properties": {"p": {"type": "integer"}},
                    "if": {"properties": {"_deleted": {"type": "boolean"}, "q": {"type": "string"}},
                        "required": ["q"]},
                    "else": {"required": ["_deleted"], "properties": {"_deleted": {"const": true}}},
                }],
            }),
            &[
                json!({"q": "s"}),
                json!({"q": "s", "z": 1}),
                json!({"_deleted": true}),
                json!({"_deleted": true, "q": "s"}),
                json!({"_deleted": true, "z": 1}),
                json!({"p": 1, "q": "s"}),
                json!({"p": 1, "_deleted": true}),
            ],
        );
        assert_eq!(
            out["allOf"][0]["if"]["properties"]["p"],
            json!({"type": "integer"})
        );
    }

    /// Keywords holding `unevaluated*` stay beside a condition: in a branch they would see only
    /// what that branch evaluated.
    #[test]
    fn unevaluated_keywords_stay_beside_a_condition() {
        let out = same_answers(
            json!({
                "unevaluatedProperties": false,
                "if": {"properties": {"b": {}}},
                "then": true,
            }),
            &[json!({"b": 1}), json!({"c": 1}), json!({})],
        );
        assert_eq!(out["unevaluatedProperties"], json!(false), "{out:#}");
        let out = same_answers(
            json!({
                "unevaluatedProperties": false,
                "if": {"properties": {"b": {"type": "integer"}}, "required": ["b"]},
                "else": {"properties": {"c": {"type": "integer"}}, "required": ["c"]},
            }),
            &[
                json!({"b": 1}),
                json!({"c": 1}),
                json!({"b": 1, "c": 1}),
                json!({"d": 1}),
            ],
        );
        assert_eq!(out["unevaluatedProperties"], json!(false), "{out:#}");
    }

    /// A definition met again while it is being inlined stays a reference, to one `$defs` entry.
    #[test]
    fn recursion_stays_a_reference() {
        let out = same_answers(
            json!({
                "$defs": {"node": {"type": "object", "required": ["name"],
                    "properties": {"name": {"type": "string"},
                        "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}},
                "allOf": [{"$ref": "#/$defs/node"}, {"properties": {"extra": {"type": "integer"}}}],
            }),
            &[
                json!({"name": "a", "children": [{"name": "b", "children": [{"name": "c"}]}]}),
                json!({"name": "a", "children": [{"name": "b", "children": [{"nom": "c"}]}]}),
                json!({"name": "a", "extra": "1"}),
                json!({"name": "a", "children": [{"name": "b", "extra": 1}]}),
            ],
        );
        let defs = out["$defs"].as_object().expect("$defs");
        assert_eq!(defs.len(), 1, "{out:#}");
        assert_eq!(
            out["properties"]["children"]["items"],
            json!({"$ref": "#/$defs/r0"})
        );
    }

    /// Two required names stay beside `properties` (one pass), the others are looked up.
    #[test]
    fn required_names_past_two_are_asked_apart() {
        let out = same_answers(
            json!({"type": "object", "required": ["d", "a", "c", "b"],
                "properties": {"a": {"type": "string"}, "b": {}, "c": {}, "d": {}}}),
            &[
                json!({"a": "x", "b": 1, "c": 1, "d": 1}),
                json!({"a": "x", "b": 1, "c": 1}),
                json!({"a": "x", "c": 1, "d": 1}),
                json!({"a": 1, "b": 1, "c": 1, "d": 1}),
            ],
        );
        // The names that sort last are checked in the pass, the others looked up.
        assert_eq!(out["required"], json!(["c", "d"]));
        assert_eq!(out["allOf"], json!([{"required": ["a", "b"]}]));
        // Beside an `additionalProperties` schema jsonschema fuses no `required`: left whole.
        let out = normalised(&json!({"properties": {"a": {}}, "additionalProperties": {},
            "required": ["a", "b", "c"]}));
        assert_eq!(out["required"], json!(["a", "b", "c"]));
        // A branch of a `oneOf` keeps its list, so a branch that does not apply fails before
        // its members are walked; what the branch holds is split as anywhere else.
        let branch = |own: &str| {
            json!({"type": "object", "required": ["a", "b", own],
                "properties": {"a": {}, "b": {}, own: {"type": "object",
                    "required": ["x", "y", "z"],
                    "properties": {"x": {}, "y": {}, "z": {}}}}})
        };
        let all = json!({"x": 1, "y": 1, "z": 1});
        let out = same_answers(
            json!({"oneOf": [branch("in"), branch("out")]}),
            &[
                json!({"a": 1, "b": 1, "in": all}),
                json!({"a": 1, "b": 1, "out": all}),
                json!({"a": 1, "b": 1, "in": all, "out": all}),
                json!({"a": 1, "b": 1, "in": {"x": 1, "y": 1}}),
                json!({"a": 1, "in": all}),
            ],
        );
        assert_eq!(out["oneOf"][1]["required"], json!(["a", "b", "out"]));
        assert_eq!(
            out["oneOf"][1]["properties"]["out"]["required"],
            json!(["y", "z"])
        );
    }

    /// Only schemas that are exactly a `uri` string become the fused keyword, wherever a schema
    /// sits, and values that look like one are left alone.
    #[test]
    fn uri_strings_are_fused_where_schemas_sit() {
        let uri = json!({"type": "string", "format": "uri"});
        let mut schema = json!({
            "properties": {"a": uri, "b": {"type": "string", "format": "uri", "minLength": 1}},
            "items": uri,
            "anyOf": [uri, {"const": uri}],
            "$defs": {"d": uri},
            "enum": [uri],
        });
        fuse_uri_strings(&mut schema, "k");
        let fused = json!({"k": true});
        assert_eq!(schema["properties"]["a"], fused);
        assert_eq!(schema["properties"]["b"]["minLength"], 1);
        assert_eq!(schema["items"], fused);
        assert_eq!(schema["anyOf"], json!([fused, {"const": uri}]));
        assert_eq!(schema["$defs"]["d"], fused);
        assert_eq!(schema["enum"], json!([uri]));
    }

    #[test]
    fn a_reference_to_nothing_is_an_error() {
        let schema = json!({"properties": {"a": {"$ref": "#/$defs/missing"}}});
        let docs = BTreeMap::from([(BASE.to_string(), &schema)]);
        let error = normalise(&schema, BASE, &docs).expect_err("nothing to inline");
        assert!(
            error.to_string().contains("urn:test#/$defs/missing"),
            "{error}"
        );
    }
}
