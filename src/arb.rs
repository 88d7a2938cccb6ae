//! proptest strategies for valid OpenLineage values, driven by the spec's own schemas.
//!
//! Nothing here is written per facet: [`ValueGen`] interprets the bundled definitions
//! ([`crate::BUNDLED_DEFS`]) so a spec upgrade brings new facets and fields into the generated
//! events with no edits. Every value it makes is valid against its definition at every
//! [`crate::Tier`] (formats and facet schemas included); a property test checks that.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, LazyLock, Mutex};

use proptest::prelude::*;
use proptest::sample::select;
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};

use crate::{Error, Event, FacetKind, FACETS};

pub mod any;
pub mod draw;
pub mod pick;
pub mod text;
pub mod uri;

/// Local references into the bundled definitions ([`ValueGen::resolved`] takes schemas that
/// use them): `local_ref("RunEvent")` is `#/$defs/RunEvent`.
pub use crate::facet_kind::{local_ref, ref_target};

use draw::{all, btree_map, just, leaf, zip, zip3, Gen};
use pick::{maybe, maybe_weighted, one_of, weighted};
use text::{text as chars, ASCII_TEXT, LOWER, PRINTABLE, WORD};

/// How big generated events get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenConfig {
    /// Most input (and output) datasets per event.
    pub max_datasets: usize,
    /// Most facets per facet map.
    pub max_facets: usize,
    /// Longest generated free-text string, in characters.
    pub max_string_len: usize,
    /// Longest generated array that is not a dataset list.
    pub max_array_len: usize,
    /// How many `$ref`s deep recursive definitions may nest.
    pub max_depth: usize,
    /// Whether to add custom facets and unknown fields.
    pub extensions: bool,
}

impl GenConfig {
    /// Tiny events: good for shrinking and quick checks.
    pub const SMALL: GenConfig = GenConfig {
        max_datasets: 1,
        max_facets: 1,
        max_string_len: 8,
        max_array_len: 1,
        max_depth: 2,
        extensions: true,
    };
    /// Typical events.
    pub const MEDIUM: GenConfig = GenConfig {
        max_datasets: 3,
        max_facets: 4,
        max_string_len: 24,
        max_array_len: 3,
        max_depth: 3,
        extensions: true,
    };
    /// Large events: many datasets and facets, long strings.
    pub const LARGE: GenConfig = GenConfig {
        max_datasets: 40,
        max_facets: 10,
        max_string_len: 200,
        max_array_len: 12,
        max_depth: 4,
        extensions: true,
    };
}

impl Default for GenConfig {
    fn default() -> Self {
        Self::MEDIUM
    }
}

/// A proptest runner whose random choices follow `seed` only: the same seed makes the same
/// values on any machine and thread (the conformance runner seeds every case with one).
pub fn seeded_runner(seed: u64) -> proptest::test_runner::TestRunner {
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    // XorShift: cases need to be reproducible, not unpredictable, and ChaCha cost a tenth of
    // generation time.
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes[8..].copy_from_slice(&(!seed).to_le_bytes());
    // No failure persistence: the runner is not a test, and cloning it (which proptest does
    // for every lazily built alternative) would copy a boxed persistence object each time.
    TestRunner::new_with_rng(
        Config {
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::XorShift, &bytes),
    )
}

/// Keywords the interpreter understands; anything else in a schema is an error, so a spec
/// upgrade that adds a constraint cannot silently produce invalid "valid" events.
const KNOWN_KEYWORDS: &[&str] = &[
    "type",
    "description",
    "$ref",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "format",
    "anyOf",
    "oneOf",
    "const",
    "enum",
    "minimum",
    "example",
    "examples",
    "deprecated",
    "documentation",
    "title",
    "dependentRequired",
    "not",
    "if",
    "then",
    "else",
    "patternProperties",
    "prefixItems",
    "allOf",
];

/// Keywords whose constraint the interpreter cannot build values for directly: values are made
/// from the rest of the schema and kept only when the schema, read literally, accepts them.
const CHECKED_KEYWORDS: &[&str] = &[
    "not",
    "if",
    "then",
    "else",
    "allOf",
    "oneOf",
    "patternProperties",
];

/// Builds strategies from the bundled definitions.
#[derive(Debug, Clone)]
pub struct ValueGen {
    defs: Map<String, Value>,
    cfg: GenConfig,
}

/// What every schema becomes: a strategy that also draws ([`draw::Draw`]), so callers that
/// only need values (a conformance run's cases) skip the value trees.
type Strat = Gen<Value>;

impl ValueGen {
    /// A generator over the pinned spec's definitions.
    pub fn new(cfg: GenConfig) -> Result<Self, Error> {
        let defs: Map<String, Value> = serde_json::from_str(crate::BUNDLED_DEFS)?;
        Ok(ValueGen { defs, cfg })
    }

    /// `schema` with `$ref`s at its top followed to the definition they name.
    pub fn resolved(&self, schema: &Value) -> Value {
        let mut at = schema;
        for _ in 0..16 {
            match at
                .get("$ref")
                .and_then(Value::as_str)
                .map(|r| self.resolve(r))
            {
                Some(Ok((_, target))) => at = target,
                _ => break,
            }
        }
        at.clone()
    }

    /// The configuration in use.
    pub fn config(&self) -> GenConfig {
        self.cfg
    }

    /// Values valid against the definition `def` (e.g. `SchemaDatasetFacet`).
    pub fn def(&self, def: &str) -> Result<Strat, Error> {
        self.schema(&json!({ "$ref": local_ref(def) }), &mut Vec::new())
    }

    /// A payload for one facet of the registry, valid against its facet schema.
    pub fn facet(&self, info: &crate::FacetInfo) -> Result<Strat, Error> {
        self.def(info.def)
    }

    /// A facet map of `kind`: some known facets, and (with extensions) custom facets and, where
    /// the spec allows them, `_deleted` markers.
    pub fn facets(&self, kind: FacetKind) -> Result<Strat, Error> {
        self.facets_at(kind, &mut Vec::new())
    }

    fn facets_at(&self, kind: FacetKind, stack: &mut Vec<String>) -> Result<Strat, Error> {
        let mut entries: Vec<(String, Strat)> = Vec::new();
        for info in FACETS.iter().filter(|f| f.kind == kind) {
            let s = self.schema(&json!({ "$ref": local_ref(info.def) }), stack)?;
            entries.push((info.key.to_string(), s));
        }
        let known: BTreeSet<&str> = kind.keys().iter().copied().collect();
        if self.cfg.extensions {
            let base = self.base_facet();
            let custom =
                zip(ident(), base.clone()).filter_map("custom key must not be a known facet", {
                    let known = known.iter().map(|k| k.to_string()).collect::<BTreeSet<_>>();
                    move |(name, payload)| {
                        let key = format!("custom_{name}");
                        (!known.contains(&key)).then_some((key, payload))
                    }
                });
            let deletable = matches!(kind, FacetKind::Job | FacetKind::Dataset);
            let keys: Vec<String> = known.iter().map(|k| k.to_string()).collect();
            let n = self.cfg.max_facets;
            let known_part = subset(entries, n);
            let custom_part = draw::vec(custom, 0..=n.min(2));
            let deleted_part = if deletable && !keys.is_empty() {
                Gen::new(maybe_weighted(0.2, zip(leaf(select(keys)), base.clone()))).map(|o| {
                    o.map(|(k, mut b)| {
                        b["_deleted"] = json!(true);
                        (k, b)
                    })
                })
            } else {
                just(None)
            };
            Ok(
                zip3(known_part, custom_part, deleted_part).map(|(known, custom, deleted)| {
                    let mut map = Map::new();
                    for (k, v) in known.into_iter().chain(custom).chain(deleted) {
                        map.insert(k, v);
                    }
                    Value::Object(map)
                }),
            )
        } else {
            Ok(subset(entries, self.cfg.max_facets)
                .map(|kv| Value::Object(kv.into_iter().collect())))
        }
    }

    /// `_producer` and `_schemaURL` plus (with extensions) a few unknown fields.
    fn base_facet(&self) -> Strat {
        zip3(uri_gen(), uri_gen(), self.extra_fields()).map(|(producer, schema_url, extra)| {
            let mut m = extra;
            m.insert("_producer".into(), Value::String(producer));
            m.insert("_schemaURL".into(), Value::String(schema_url));
            Value::Object(m)
        })
    }

    fn extra_fields(&self) -> Gen<Map<String, Value>> {
        if !self.cfg.extensions {
            return just(Map::new());
        }
        btree_map(
            ident().map(|s| format!("x-{s}")),
            any_json(self.cfg.max_string_len),
            0..=2,
        )
        .map(|m| m.into_iter().collect())
    }

    /// A whole event of `kind` as JSON.
    pub fn event_value(&self, kind: crate::EventKind) -> Result<Strat, Error> {
        let def = kind.def_name();
        let base = self.def(def)?;
        let extra = self.extra_fields();
        Ok(zip(base, extra).map(|(mut event, extra)| {
            if let Value::Object(m) = &mut event {
                for (k, v) in extra {
                    m.entry(k).or_insert(v);
                }
            }
            event
        }))
    }

    /// Any event as JSON, all three kinds.
    pub fn any_event_value(&self) -> Result<Strat, Error> {
        Ok(Gen::new(weighted(vec![
            (3, self.event_value(crate::EventKind::Run)?),
            (1, self.event_value(crate::EventKind::Dataset)?),
            (1, self.event_value(crate::EventKind::Job)?),
        ])))
    }

    /// Any event, typed.
    pub fn any_event(&self) -> Result<Gen<Event>, Error> {
        Ok(self
            .any_event_value()?
            .map(|v| Event::from_value(&v).expect("generated events parse")))
    }

    /// Values of a generated type, made from its definition.
    pub fn typed<T: DeserializeOwned + fmt::Debug + 'static>(
        &self,
        def: &str,
    ) -> Result<Gen<T>, Error> {
        let name = def.to_string();
        Ok(self.def(def)?.map(move |v| {
            serde_json::from_value(v)
                .unwrap_or_else(|e| panic!("generated {name} does not fit its type: {e}"))
        }))
    }

    fn resolve(&self, reference: &str) -> Result<(String, &Value), Error> {
        let name = ref_target(reference)
            .ok_or_else(|| Error::Schema(format!("unsupported reference {reference}")))?;
        let schema = self
            .defs
            .get(name)
            .ok_or_else(|| Error::Schema(format!("reference {reference} does not resolve")))?;
        Ok((name.to_string(), schema))
    }

    /// The strategy for one schema; `stack` holds the definitions being expanded (recursion).
    fn schema(&self, schema: &Value, stack: &mut Vec<String>) -> Result<Strat, Error> {
        let Some(obj) = schema.as_object() else {
            return Ok(any_json(self.cfg.max_string_len));
        };
        if let Some(bad) = obj.keys().find(|k| !KNOWN_KEYWORDS.contains(&k.as_str())) {
            return Err(Error::Schema(format!(
                "the value generator does not understand `{bad}` in {schema}"
            )));
        }
        if let Some(kind) = FacetKind::of_facet_map(schema) {
            return self.facets_at(kind, stack);
        }
        if CHECKED_KEYWORDS.iter().any(|k| obj.contains_key(*k)) {
            return self.checked(obj, stack);
        }
        if let Some(Value::String(r)) = obj.get("$ref") {
            let (name, target) = self.resolve(r)?;
            stack.push(name);
            let s = self.schema(target, stack);
            stack.pop();
            return s;
        }
        if let Some(c) = obj.get("const") {
            return Ok(just(c.clone()));
        }
        if let Some(Value::Array(values)) = obj.get("enum") {
            return Ok(leaf(select(values.clone())));
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(Value::Array(alternatives)) = obj.get(key) {
                return self.alternatives(alternatives, stack);
            }
        }
        match obj.get("type").and_then(Value::as_str) {
            Some("object") | None if obj.contains_key("properties") => self.object(obj, stack),
            Some("object") => match obj.get("additionalProperties") {
                Some(v @ Value::Object(_)) => {
                    let values = self.schema(v, stack)?;
                    Ok(btree_map(ident(), values, 0..=self.cfg.max_array_len)
                        .map(|m| Value::Object(m.into_iter().collect())))
                }
                _ => Ok(self.extra_fields().map(Value::Object)),
            },
            Some("array") => {
                let max = if stack.len() >= self.cfg.max_depth {
                    0
                } else {
                    self.cfg.max_array_len
                };
                // `items: false` after `prefixItems` allows nothing past the prefix.
                let (items, max) = match obj.get("items") {
                    Some(Value::Bool(false)) => (just(Value::Null), 0),
                    Some(items) => (self.schema(items, stack)?, max),
                    None => (any_json(self.cfg.max_string_len), max),
                };
                let prefix = match obj.get("prefixItems") {
                    Some(Value::Array(prefix)) => prefix
                        .iter()
                        .map(|p| self.schema(p, stack))
                        .collect::<Result<Vec<_>, _>>()?,
                    _ => Vec::new(),
                };
                Ok(
                    zip(all(prefix), draw::vec(items, 0..=max)).map(|(mut prefix, rest)| {
                        prefix.extend(rest);
                        Value::Array(prefix)
                    }),
                )
            }
            Some("string") => Ok(self.string(obj.get("format").and_then(Value::as_str))),
            Some("integer") => {
                let min = obj
                    .get("minimum")
                    .and_then(Value::as_i64)
                    .unwrap_or(-1_000_000);
                Ok(Gen::new(one_of(vec![
                    leaf(min..=min.saturating_add(100)),
                    leaf(min..=i64::MAX / 2),
                ]))
                .map(|n| json!(n)))
            }
            Some("number") => {
                let min = obj.get("minimum").and_then(Value::as_f64).unwrap_or(-1e9);
                Ok(Gen::new(one_of(vec![
                    leaf(0i64..100_000).map(move |n| json!((n as f64 + min.max(0.0)) as i64)),
                    leaf(min..1e12).map(|f| json!(f)),
                ])))
            }
            Some("boolean") => Ok(leaf(any::<bool>()).map(Value::Bool)),
            Some("null") => Ok(just(Value::Null)),
            None => Ok(any_json(self.cfg.max_string_len)),
            Some(other) => Err(Error::Schema(format!("unsupported type `{other}`"))),
        }
    }

    /// Values of `obj` made without its [`CHECKED_KEYWORDS`] (an `allOf`'s members merged in,
    /// `if`'s `then` and `else` tried in turn), kept only when valid against `obj` as written.
    fn checked(&self, obj: &Map<String, Value>, stack: &mut Vec<String>) -> Result<Strat, Error> {
        let literal = Value::Object(obj.clone());
        let mut rest = obj.clone();
        for key in ["not", "if", "then", "else", "allOf", "oneOf"] {
            rest.remove(key);
        }
        let mut bases = Vec::new();
        if let Some(Value::Array(members)) = obj.get("allOf") {
            for member in members {
                merge_into(&mut rest, &self.resolved(member));
            }
        }
        let annotations_only = rest.keys().all(|k| {
            ["description", "title", "examples", "example", "deprecated"].contains(&k.as_str())
        });
        if let (Some(Value::Array(alternatives)), true) = (obj.get("oneOf"), annotations_only) {
            // A plain choice of alternatives; exclusivity is checked below.
            bases.push(self.alternatives(alternatives, stack)?);
        } else if let Some(Value::Array(alternatives)) = obj.get("oneOf") {
            // Each alternative with the rest of the schema; exclusivity is checked below. A
            // referenced alternative counts towards the depth limit as a `$ref` would.
            let deep = stack.len() >= self.cfg.max_depth;
            for alternative in alternatives {
                if deep && self.recurses(alternative, stack, 0) {
                    continue;
                }
                let mut branch = rest.clone();
                merge_into(&mut branch, &self.resolved(alternative));
                let name = alternative
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(ref_target);
                if let Some(name) = name {
                    stack.push(name.to_string());
                }
                let made = self.unchecked(&branch, stack);
                if name.is_some() {
                    stack.pop();
                }
                bases.push(made?);
            }
            if bases.is_empty() {
                return Err(Error::Schema("every alternative recurses".into()));
            }
        } else if obj.contains_key("if") {
            for branch in ["then", "else"] {
                let mut with = rest.clone();
                if let Some(extra) = obj.get(branch) {
                    merge_into(&mut with, &self.resolved(extra));
                }
                bases.push(self.unchecked(&with, stack)?);
            }
        } else {
            bases.push(self.unchecked(&rest, stack)?);
        }
        let check = self.check(&literal)?;
        Ok(
            Gen::new(one_of(bases)).filter("valid against the schema as written", move |v| {
                check.is_valid(v)
            }),
        )
    }

    /// The compiled check of `literal` against the bundled definitions. Every facet map
    /// site expands the same few checked schemas again, and each compile holds all the
    /// definitions, so each distinct schema is compiled once per process.
    fn check(&self, literal: &Value) -> Result<Arc<jsonschema::Validator>, Error> {
        type Checks = Mutex<HashMap<String, Arc<jsonschema::Validator>>>;
        static CHECKS: LazyLock<Checks> = LazyLock::new(Checks::default);
        let key = literal.to_string();
        // A poisoned cache only lost an insert; compiling again is correct.
        if let Some(check) = CHECKS.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return Ok(check.clone());
        }
        let mut root = literal.clone();
        root["$defs"] = Value::Object(self.defs.clone());
        let check = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&root)
            .map_err(|e| Error::Schema(format!("cannot compile {literal}: {e}")))?;
        let check = Arc::new(check);
        CHECKS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, check.clone());
        Ok(check)
    }

    /// [`ValueGen::schema`] for a schema whose checked keywords were taken out.
    fn unchecked(&self, obj: &Map<String, Value>, stack: &mut Vec<String>) -> Result<Strat, Error> {
        let mut plain = obj.clone();
        // `patternProperties` is built here, not checked, so it does not come back to `checked`.
        let patterns = plain.remove("patternProperties");
        let base = self.schema(&Value::Object(plain), stack)?;
        let Some(Value::Object(patterns)) = patterns else {
            return Ok(base);
        };
        let mut parts = Vec::new();
        for (pattern, schema) in patterns {
            // Patterns match anywhere; a key drawn from the pattern without its anchors matches
            // it. One proptest cannot draw from (a look-around, say) gets no keys of its own.
            let bare = pattern.strip_prefix('^').unwrap_or(&pattern);
            let bare = bare.strip_suffix('$').unwrap_or(bare);
            let Ok(keys) = proptest::string::string_regex(bare) else {
                continue;
            };
            let values = self.schema(&schema, stack)?;
            parts.push(draw::vec(zip(leaf(keys), values), 0..=2));
        }
        Ok(zip(base, all(parts)).map(|(mut value, parts)| {
            if let Value::Object(m) = &mut value {
                for (k, v) in parts.into_iter().flatten() {
                    m.entry(k).or_insert(v);
                }
            }
            value
        }))
    }

    fn object(&self, obj: &Map<String, Value>, stack: &mut Vec<String>) -> Result<Strat, Error> {
        let required: BTreeSet<&str> = required_fields(obj).collect();
        let deep = stack.len() >= self.cfg.max_depth;
        let mut fields: Vec<Gen<Option<(String, Value)>>> = Vec::new();
        for (name, prop) in obj
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let is_required = required.contains(name.as_str());
            // Past the depth limit only what is required is made, so recursion ends.
            if deep && !is_required {
                continue;
            }
            let s = self.schema(prop, stack)?;
            let key = name.clone();
            fields.push(if is_required {
                s.map(move |v| Some((key.clone(), v)))
            } else {
                Gen::new(maybe(s.map(move |v| (key.clone(), v))))
            });
        }
        let closed = obj.get("additionalProperties") == Some(&Value::Bool(false));
        let extra = if closed || deep {
            just(Map::new())
        } else {
            self.extra_fields()
        };
        let names: BTreeSet<String> = obj
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default();
        // `dependentRequired`: a property present brings the ones it depends on, made in
        // advance and added when needed.
        let dependent: Vec<(String, Vec<String>)> = obj
            .get("dependentRequired")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(k, deps)| {
                let deps = deps.as_array().into_iter().flatten();
                (
                    k.clone(),
                    deps.filter_map(Value::as_str).map(String::from).collect(),
                )
            })
            .collect();
        let mut spare: Vec<Gen<(String, Value)>> = Vec::new();
        for name in dependent.iter().flat_map(|(_, deps)| deps) {
            let schema = obj
                .get("properties")
                .and_then(|p| p.get(name))
                .cloned()
                .unwrap_or(Value::Bool(true));
            let key = name.clone();
            spare.push(self.schema(&schema, stack)?.map(move |v| (key.clone(), v)));
        }
        Ok(
            zip3(all(fields), extra, all(spare)).map(move |(fields, extra, spare)| {
                let mut m: Map<String, Value> = fields.into_iter().flatten().collect();
                for (k, v) in extra {
                    if !names.contains(&k) {
                        m.insert(k, v);
                    }
                }
                // Adding only adds keys, so this settles within one pass per dependency.
                for _ in 0..=dependent.len() {
                    for (present, deps) in &dependent {
                        if m.contains_key(present) {
                            for dep in deps {
                                if let Some((_, v)) = spare.iter().find(|(k, _)| k == dep) {
                                    m.entry(dep.clone()).or_insert_with(|| v.clone());
                                }
                            }
                        }
                    }
                }
                Value::Object(m)
            }),
        )
    }

    fn alternatives(
        &self,
        alternatives: &[Value],
        stack: &mut Vec<String>,
    ) -> Result<Strat, Error> {
        // Past the depth limit only alternatives that do not lead back into the stack remain.
        let chosen: Vec<&Value> = if stack.len() >= self.cfg.max_depth {
            let terminal: Vec<&Value> = alternatives
                .iter()
                .filter(|a| !self.recurses(a, stack, 0))
                .collect();
            if terminal.is_empty() {
                return Err(Error::Schema("every alternative recurses".into()));
            }
            terminal
        } else {
            alternatives.iter().collect()
        };
        let strategies = chosen
            .into_iter()
            .map(|a| self.schema(a, stack))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Gen::new(one_of(strategies)))
    }

    /// True when the required part of `schema` refers back to a definition on `stack`.
    fn recurses(&self, schema: &Value, stack: &[String], depth: usize) -> bool {
        if depth > 8 {
            return true;
        }
        let Some(obj) = schema.as_object() else {
            return false;
        };
        if let Some(Value::String(r)) = obj.get("$ref") {
            return match self.resolve(r) {
                Ok((name, target)) => {
                    stack.contains(&name) || self.recurses(target, stack, depth + 1)
                }
                Err(_) => true,
            };
        }
        let required: Vec<&str> = required_fields(obj).collect();
        let props = obj.get("properties").and_then(Value::as_object);
        let via_props = required
            .iter()
            .filter_map(|r| props.and_then(|p| p.get(*r)))
            .any(|p| self.recurses(p, stack, depth + 1));
        let via_alternatives = ["oneOf", "anyOf"].iter().any(|k| {
            obj.get(*k)
                .and_then(Value::as_array)
                .is_some_and(|alts| alts.iter().all(|a| self.recurses(a, stack, depth + 1)))
        });
        via_props || via_alternatives
    }

    fn string(&self, format: Option<&str>) -> Strat {
        match format {
            Some("date-time") => leaf(date_time()).map(Value::String),
            Some("uuid") => leaf(uuid()).map(Value::String),
            Some("uri") => uri_gen().map(Value::String),
            _ => text(self.cfg.max_string_len).map(Value::String),
        }
    }
}

use std::fmt;

/// Adds `from`'s constraints to `into`, as an `allOf` of both would have them: properties and
/// `required` united, other keywords kept where `into` has none.
fn merge_into(into: &mut Map<String, Value>, from: &Value) {
    let Some(from) = from.as_object() else {
        return;
    };
    for (key, value) in from {
        match (key.as_str(), into.get_mut(key)) {
            ("properties" | "dependentRequired", Some(Value::Object(mine))) => {
                for (k, v) in value.as_object().into_iter().flatten() {
                    mine.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
            ("required", Some(Value::Array(mine))) => {
                for v in value.as_array().into_iter().flatten() {
                    if !mine.contains(v) {
                        mine.push(v.clone());
                    }
                }
            }
            ("description" | "title", _) => {}
            (_, Some(_)) => {}
            (_, None) => {
                into.insert(key.clone(), value.clone());
            }
        }
    }
}

/// The names a schema object lists under `required`.
pub fn required_fields(schema: &Map<String, Value>) -> impl Iterator<Item = &str> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

/// Picks up to `n` of the entries (each at most once), in a random subset.
fn subset(entries: Vec<(String, Strat)>, n: usize) -> Gen<Vec<(String, Value)>> {
    if entries.is_empty() || n == 0 {
        return just(Vec::new());
    }
    let strategies: Vec<Gen<(String, Value)>> = entries
        .into_iter()
        .map(|(k, s)| s.map(move |v| (k.clone(), v)))
        .collect();
    Gen::new(pick::subset(strategies, n))
}

/// A lowercase ASCII letter followed by up to `max` characters of `rest`.
fn lower_then(rest: &'static std::sync::LazyLock<text::Class>, max: usize) -> Gen<String> {
    Gen::new(text::headed(&LOWER, rest, 0..=max))
}

/// Identifiers for keys: ASCII, short, never empty.
fn ident() -> Gen<String> {
    lower_then(&WORD, 11)
}

/// Free text: mostly ASCII, sometimes any printable Unicode (names in other scripts, emoji).
fn text(max: usize) -> Gen<String> {
    let max = max.max(1);
    Gen::new(weighted(vec![
        (3, Gen::new(chars(&ASCII_TEXT, 0..=max))),
        (1, Gen::new(chars(&PRINTABLE, 0..=max))),
    ]))
}

/// RFC 3339 date-times with `Z` or an offset, with and without fractions of a second.
pub fn date_time() -> BoxedStrategy<String> {
    (
        1970i32..2100,
        1u32..=12,
        1u32..=28,
        0u32..24,
        0u32..60,
        0u32..60,
        one_of(vec![
            Just(String::new()).boxed(),
            (0u32..1000).prop_map(|ms| format!(".{ms:03}")).boxed(),
            (0u32..1_000_000).prop_map(|us| format!(".{us:06}")).boxed(),
        ]),
        weighted(vec![
            (2, Just("Z".to_string()).boxed()),
            (
                1,
                (-14i32..=14, select(vec![0u32, 30, 45]))
                    .prop_map(|(h, m)| {
                        format!("{}{:02}:{m:02}", if h < 0 { '-' } else { '+' }, h.abs())
                    })
                    .boxed(),
            ),
        ]),
    )
        .prop_map(|(y, mo, d, h, mi, s, frac, off)| {
            format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{frac}{off}")
        })
        .boxed()
}

/// UUIDs, version 4 or 7, lower or upper case.
pub fn uuid() -> BoxedStrategy<String> {
    (any::<u128>(), any::<bool>(), any::<bool>())
        .prop_map(|(bits, v7, upper)| {
            let id = if v7 {
                uuid::Builder::from_unix_timestamp_millis(
                    (bits >> 80) as u64 & 0xFFFF_FFFF_FFFF,
                    &bits.to_le_bytes()[..10].try_into().unwrap_or([0; 10]),
                )
                .into_uuid()
            } else {
                uuid::Builder::from_random_bytes(bits.to_le_bytes()).into_uuid()
            };
            let s = id.hyphenated().to_string();
            if upper {
                s.to_uppercase()
            } else {
                s
            }
        })
        .boxed()
}

/// Absolute URIs of the shapes producers use ([`uri::Uri`]).
pub fn uri() -> BoxedStrategy<String> {
    uri::Uri.boxed()
}

fn uri_gen() -> Gen<String> {
    Gen::new(uri::Uri)
}

/// Small arbitrary JSON for unknown fields ([`any::AnyJson`]).
fn any_json(max_string_len: usize) -> Strat {
    Gen::new(any::any_json(max_string_len))
}
