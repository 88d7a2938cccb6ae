//! JSON Schema validation of events against the pinned spec, offline and tier by tier.
//!
//! Every schema of the snapshot is registered under its `$id`, so no reference ever leaves the
//! process. The core tier checks the event against its own definition (chosen by structure, as
//! the spec's `oneOf` would, so errors point into the event instead of at the `oneOf`), the
//! formats tier asserts `date-time`, `uuid` and `uri` (the last with this crate's own check, in
//! `formats`), and the facets tier checks each known facet against its own facet schema, facets
//! forwarded inside other facets included (the parent facet carries the parent and root runs'
//! facets).
//!
//! Most events are valid, so the formats and facets tiers first ask one yes-or-no question of
//! one validator per event kind that holds the whole facets tier (the event's definition and
//! every known facet's schema at every place facets sit), normalised first (`normalise`) so that
//! jsonschema walks each object about once; only an event that fails it is walked facet by facet
//! to say what is wrong and at which tier.

mod formats;
mod normalise;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, OnceLock};

use jsonschema::{Draft, Registry};

use crate::event::escape;
use crate::facet_kind::{local_ref, ref_target};
use serde_json::{json, Value};

use crate::{
    BatchRequest, DatasetEvent, Error, Event, EventKind, FacetKind, JobEvent, RunEvent, Tier,
    Violation, CORE_SCHEMA_ID, FACETS, SCHEMA_SOURCES,
};

/// Compiled validators for the pinned spec.
pub struct Validator {
    /// Per event kind: (formats as annotations, formats asserted).
    events: BTreeMap<&'static str, (jsonschema::Validator, jsonschema::Validator)>,
    /// Per event kind: the whole facets tier as one schema ([`facets_tier_schema`]), valid
    /// exactly when the event has no violation at any tier.
    whole: BTreeMap<&'static str, jsonschema::Validator>,
    /// Per facet (schema file and key): the schema the file gives the key, as it literally says.
    facets: BTreeMap<(&'static str, &'static str), FacetCheck>,
    /// Per facet kind: its base facet definition (`RunFacet`, ...), formats as annotations and
    /// asserted; a facet map that breaks the core schema is checked facet by facet with these.
    bases: BTreeMap<FacetKind, (jsonschema::Validator, jsonschema::Validator)>,
    /// Why the schemas did not compile, for [`Validator::global`]'s stand-in.
    unavailable: Option<String>,
}

/// One facet key's schema, compiled with formats asserted and as annotations.
struct FacetCheck {
    formats: jsonschema::Validator,
    core: jsonschema::Validator,
    /// Where the schema sits in its file (`#/$defs/...` for a key that is one `$ref`, else
    /// `#/properties/<key>`), for schema paths in violations.
    location: String,
}

/// Where a facet file's schema for `key` sits. A key that is one local `$ref` is validated
/// against that definition directly, which spares wrapping every payload; any other shape
/// (`anyOf`/`oneOf` of definitions, an inline schema) is validated as the file writes it.
fn facet_location(by_file: &BTreeMap<&str, Value>, file: &str, key: &str) -> Result<String, Error> {
    let property = by_file
        .get(file)
        .and_then(|schema| schema.get("properties")?.get(key))
        .ok_or_else(|| Error::Schema(format!("{file} does not declare the facet key `{key}`")))?;
    Ok(match property.get("$ref").and_then(Value::as_str) {
        Some(r) if ref_target(r).is_some() => r.to_string(),
        _ => format!("#/properties/{}", escape(key)),
    })
}

impl fmt::Debug for Validator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Validator")
            .field("facet_schemas", &self.facets.len())
            .finish()
    }
}

impl Validator {
    /// Compiles validators for every schema of the pinned spec.
    pub fn new() -> Result<Self, Error> {
        let schema_err = |e: &dyn fmt::Display| Error::Schema(e.to_string());
        let mut resources = Vec::new();
        let mut by_file = BTreeMap::new();
        for (file, text) in SCHEMA_SOURCES {
            let value: Value = serde_json::from_str(text)?;
            let id = value
                .get("$id")
                .and_then(Value::as_str)
                .ok_or_else(|| Error::Schema(format!("{file} has no $id")))?
                .to_string();
            by_file.insert(*file, value.clone());
            resources.push((id, value));
        }
        let registry = Registry::new()
            .extend(resources)
            .and_then(|b| b.prepare())
            .map_err(|e| schema_err(&e))?;
        // jsonschema's own `uri` check, for the URIs `formats::is_uri` leaves to it.
        let uri_fallback = Arc::new(formats::jsonschema_uri_check().map_err(|e| schema_err(&e))?);
        let build = |schema: &Value, formats: bool| {
            let options = jsonschema::options()
                .with_draft(Draft::Draft202012)
                .with_registry(&registry)
                .should_validate_formats(formats);
            formats::with_uri_checks(options, &uri_fallback)
                .build(schema)
                .map_err(|e| schema_err(&e))
        };
        let mut events = BTreeMap::new();
        for def in EventKind::ALL.map(EventKind::def_name) {
            let schema = json!({ "$ref": format!("{CORE_SCHEMA_ID}{}", local_ref(def)) });
            events.insert(def, (build(&schema, false)?, build(&schema, true)?));
        }
        let mut whole = BTreeMap::new();
        for def in EventKind::ALL.map(EventKind::def_name) {
            whole.insert(def, build(&whole_tier_schema(&by_file, def)?, true)?);
        }
        let mut facets = BTreeMap::new();
        for info in FACETS {
            if facets.contains_key(&(info.file, info.key)) {
                continue;
            }
            let location = facet_location(&by_file, info.file, info.key)?;
            let schema = json!({ "$ref": format!("{}{location}", info.schema_id) });
            facets.insert(
                (info.file, info.key),
                FacetCheck {
                    formats: build(&schema, true)?,
                    core: build(&schema, false)?,
                    location,
                },
            );
        }
        let mut bases = BTreeMap::new();
        for kind in FacetKind::ALL {
            let schema =
                json!({ "$ref": format!("{CORE_SCHEMA_ID}{}", local_ref(kind.base_def())) });
            bases.insert(kind, (build(&schema, false)?, build(&schema, true)?));
        }
        Ok(Validator {
            events,
            whole,
            facets,
            bases,
            unavailable: None,
        })
    }

    /// The validator for the pinned spec, compiled once per process, or why it could not be.
    pub fn try_global() -> Result<&'static Validator, Error> {
        let validator = Self::global();
        match &validator.unavailable {
            Some(message) => Err(Error::Schema(message.clone())),
            None => Ok(validator),
        }
    }

    /// The validator for the pinned spec, compiled once per process.
    ///
    /// The crate's tests compile every embedded schema, so a spec the validator cannot take fails
    /// a test, not a program. Should compiling fail all the same, this never panics: every event
    /// then gets one violation saying why ([`Validator::try_global`] returns the error itself).
    pub fn global() -> &'static Validator {
        static GLOBAL: OnceLock<Validator> = OnceLock::new();
        GLOBAL.get_or_init(|| {
            Validator::new().unwrap_or_else(|e| Validator {
                events: BTreeMap::new(),
                whole: BTreeMap::new(),
                facets: BTreeMap::new(),
                bases: BTreeMap::new(),
                unavailable: Some(format!("the embedded spec schemas do not compile: {e}")),
            })
        })
    }

    /// Validates JSON bytes; `Err` when they are not JSON at all.
    pub fn validate_bytes(&self, bytes: &[u8], tier: Tier) -> Result<Vec<Violation>, Error> {
        let value: Value = serde_json::from_slice(bytes)?;
        Ok(self.validate_value(&value, tier))
    }

    /// Every violation of `value` up to `tier`; empty when the event conforms.
    pub fn validate_value(&self, value: &Value, tier: Tier) -> Vec<Violation> {
        if let Some(message) = &self.unavailable {
            return vec![violation(Tier::Core, "", "schema", "", message.clone())];
        }
        let Some(object) = value.as_object() else {
            return vec![violation(
                Tier::Core,
                "",
                "type",
                "",
                format!(
                    "an event must be a JSON object, found {}",
                    crate::event::json_value_name(value)
                ),
            )];
        };
        let has = |k: &str| object.contains_key(k);
        let candidates: &[EventKind] =
            match EventKind::from_keys(has("run"), has("job"), has("dataset")) {
                // No branch can match; RunEvent's errors name what is missing most usefully.
                [] => &[EventKind::Run],
                kinds => kinds,
            };
        let with_formats = tier >= Tier::Formats;
        // An event valid at the facets tier is valid at the formats tier too.
        if let ([kind], true) = (candidates, with_formats) {
            if self
                .whole
                .get(kind.def_name())
                .is_some_and(|v| v.is_valid(value))
            {
                return Vec::new();
            }
        }
        let mut results: Vec<(&str, Vec<Violation>)> = candidates
            .iter()
            .map(|kind| {
                let def = kind.def_name();
                (def, self.check_event(def, value, with_formats))
            })
            .collect();
        let mut out = match results.as_slice() {
            [(_, errors)] => errors.clone(),
            [(a, ea), (b, eb)] => match (ea.is_empty(), eb.is_empty()) {
                (true, true) => vec![violation(
                    Tier::Core,
                    "",
                    "oneOf",
                    "/oneOf",
                    format!("the event is valid as both {a} and {b}; `oneOf` allows one"),
                )],
                (true, false) | (false, true) => Vec::new(),
                (false, false) => results.drain(..).flat_map(|(_, e)| e).collect(),
            },
            _ => Vec::new(),
        };
        if tier >= Tier::Formats {
            out.extend(
                self.check_facets(value)
                    .into_iter()
                    .filter(|v| tier >= Tier::Facets || v.tier == Tier::Formats),
            );
        }
        out
    }

    fn check_event(&self, def: &str, value: &Value, with_formats: bool) -> Vec<Violation> {
        let Some((core, formats)) = self.events.get(def) else {
            return Vec::new();
        };
        let validator = if with_formats { formats } else { core };
        // Most events are valid, and answering yes or no is much cheaper than collecting errors.
        if validator.is_valid(value) {
            return Vec::new();
        }
        let mut out = Vec::new();
        for e in validator.iter_errors(value) {
            let pointer = e.instance_path().as_str();
            // The core schema types a facet map as `anyOf` a map of base facets, so one bad
            // facet fails the whole map, and the message would quote all of it; each facet is
            // checked on its own instead, and reported at its key.
            if let (Some(kind), Some(Value::Object(map))) =
                (FacetKind::of_pointer(pointer), value.pointer(pointer))
            {
                if let Some((core, formats)) = self.bases.get(&kind) {
                    let base = if with_formats { formats } else { core };
                    let before = out.len();
                    for (key, facet) in map {
                        let at = format!("{pointer}/{}", escape(key));
                        out.extend(base.iter_errors(facet).map(|e| {
                            let keyword = e.kind().keyword();
                            violation(
                                tier_of(keyword),
                                &format!("{at}{}", e.instance_path().as_str()),
                                keyword,
                                &format!(
                                    "{}{}",
                                    local_ref(kind.base_def()).trim_start_matches('#'),
                                    e.schema_path().as_str()
                                ),
                                e.to_string(),
                            )
                        }));
                    }
                    // Should the map fail for a reason no single facet explains, the map's own
                    // error stands, so nothing invalid passes unreported.
                    if out.len() > before {
                        continue;
                    }
                }
            }
            let keyword = e.kind().keyword();
            out.push(violation(
                tier_of(keyword),
                pointer,
                keyword,
                e.schema_path().as_str(),
                e.to_string(),
            ));
        }
        out
    }

    /// Checks each known facet against its own schema, wherever facets of its kind live:
    /// the event's facet maps and the maps nested in facets ([`crate::FacetInfo::nested_maps`]).
    fn check_facets(&self, event: &Value) -> Vec<Violation> {
        let mut out = Vec::new();
        let mut maps: Vec<(String, FacetKind, Option<&Value>)> = FacetKind::ALL
            .into_iter()
            .flat_map(|kind| {
                kind.maps_in(event)
                    .into_iter()
                    .map(move |(pointer, map)| (pointer, kind, Some(map)))
            })
            .collect();
        // Facet maps found inside facets are appended and checked in turn.
        let mut next = 0;
        while let Some((pointer, kind, map)) = maps.get(next).cloned() {
            next += 1;
            let Some(map) = map else { continue };
            for (key, payload) in map.as_object().into_iter().flatten() {
                // A deletion marker need not carry the facet's own fields.
                if payload.get("_deleted") == Some(&Value::Bool(true)) {
                    continue;
                }
                let Some(info) = crate::facet(kind, key) else {
                    continue;
                };
                let at = format!("{pointer}/{}", escape(key));
                // Facets forwarded inside this one (the parent facet's) are checked in turn.
                for nested in info.nested_maps() {
                    let mut found = Vec::new();
                    crate::registry::resolve(payload, &nested.path, at.clone(), &mut found);
                    maps.extend(found.into_iter().map(|(p, v)| (p, nested.kind, Some(v))));
                }
                let Some(check) = self.facets.get(&(info.file, info.key)) else {
                    continue;
                };
                if check.formats.is_valid(payload) {
                    continue;
                }
                // A format broken inside a `oneOf` or `anyOf` branch surfaces as the branch
                // keyword's error; a payload valid once formats are not asserted breaks formats
                // only, whatever keyword reports it.
                let formats_only = check.core.is_valid(payload);
                for e in check.formats.iter_errors(payload) {
                    let keyword = e.kind().keyword();
                    let tier = if keyword == "format" || formats_only {
                        Tier::Formats
                    } else {
                        Tier::Facets
                    };
                    out.push(violation(
                        tier,
                        &format!("{at}{}", e.instance_path().as_str()),
                        keyword,
                        &format!("{}{}{}", info.schema_id, check.location, {
                            let path = e.schema_path().as_str();
                            path.strip_prefix("/$ref").unwrap_or(path).to_string()
                        }),
                        e.to_string(),
                    ));
                }
            }
        }
        out
    }
}

/// The whole facets tier for events of definition `def`, as one schema, valid exactly when
/// `check_event` (formats asserted) and `check_facets` find nothing: the event's definition, and
/// at every place a facet map sits (the sites of [`FacetKind::sites`] for every event kind, as
/// `check_facets` walks them) each known key's schema, unless the payload is a `_deleted`
/// marker. Facet maps nested in a facet ([`crate::FacetInfo::nested_maps`]) refer back to the
/// maps' definitions, so forwarded facets are checked at any depth.
///
/// A facet's schema repeats its kind's base facet (`allOf: [RunFacet, {...}]`), which the map
/// around it already asserts on every payload (`additionalProperties: RunFacet`): where the
/// event's definition or a facet's own schema holds the map, the base is left out of the facet's
/// schema ([`facet_branches`]), so each `_producer` and `_schemaURL` is checked once. A test
/// compares this schema's answer with the walk's on generated events and their mutations.
fn facets_tier_schema(by_file: &BTreeMap<&str, Value>, def: &str) -> Result<Value, Error> {
    let own_kind = EventKind::ALL
        .into_iter()
        .find(|k| k.def_name() == def)
        .ok_or_else(|| Error::Schema(format!("`{def}` is not an event definition")))?;
    let map_def = |kind: FacetKind, held: bool| {
        format!(
            "{}{}",
            kind.container(),
            if held { "Held" } else { "Loose" }
        )
    };
    let mut defs = serde_json::Map::new();
    for kind in FacetKind::ALL {
        // `held`: a schema around the map asserts the base facet on each of its payloads.
        for held in [true, false] {
            let mut properties = serde_json::Map::new();
            for info in FACETS.iter().filter(|f| f.kind == kind) {
                // The first entry of a key is the one `crate::facet` finds.
                if properties.contains_key(info.key) {
                    continue;
                }
                let location = facet_location(by_file, info.file, info.key)?;
                let mut all = match facet_branches(by_file, info, &location, kind).filter(|_| held)
                {
                    Some(branches) => branches,
                    None => vec![json!({ "$ref": format!("{}{location}", info.schema_id) })],
                };
                let mut nested = Overlay::default();
                for map in info.nested_maps() {
                    let target = format!("#/$defs/{}", map_def(map.kind, true));
                    nested.add(&map.path, json!({ "$ref": target }));
                }
                if !nested.is_empty() {
                    all.push(nested.into_value());
                }
                // Unless the payload is a marker: `if facet else marker` holds exactly when
                // `marker or facet` does, and jsonschema evaluates the condition first, so the
                // facet is walked first and the marker looked for only when that walk fails.
                properties.insert(
                    info.key.to_string(),
                    json!({
                        "if": { "allOf": all },
                        "else": {
                            "type": "object",
                            "required": ["_deleted"],
                            "properties": { "_deleted": { "const": true } }
                        }
                    }),
                );
            }
            defs.insert(map_def(kind, held), json!({ "properties": properties }));
        }
    }
    let mut sites = Overlay::default();
    for kind in FacetKind::ALL {
        let own = kind.sites(own_kind);
        for event in EventKind::ALL {
            for site in kind.sites(event) {
                let path: Vec<String> = site.split('/').skip(1).map(str::to_string).collect();
                let target = format!("#/$defs/{}", map_def(kind, own.contains(site)));
                sites.add(&path, json!({ "$ref": target }));
            }
        }
    }
    Ok(json!({
        "$defs": defs,
        "allOf": [
            { "$ref": format!("{CORE_SCHEMA_ID}{}", local_ref(def)) },
            sites.into_value(),
        ],
    }))
}

/// Where [`facets_tier_schema`]'s own references (`#/$defs/...`) resolve.
const TIER_BASE: &str = "urn:openlineage-rs:facets-tier";

/// [`facets_tier_schema`] normalised ([`normalise::normalise`]): the same answers, with each
/// object of an event walked as few times as the normaliser can manage.
///
/// Normalising only makes the schema faster to evaluate, so should it fail (a construct a newer
/// spec uses that the normaliser does not follow) the schema is used as it is rather than the
/// validator being unavailable; a test checks the pinned spec normalises.
fn whole_tier_schema(by_file: &BTreeMap<&str, Value>, def: &str) -> Result<Value, Error> {
    let tier = facets_tier_schema(by_file, def)?;
    Ok(normalised(by_file, &tier).unwrap_or(tier))
}

/// `tier` (a [`facets_tier_schema`]) normalised against every schema of `by_file`.
fn normalised(by_file: &BTreeMap<&str, Value>, tier: &Value) -> Result<Value, Error> {
    let mut docs = BTreeMap::new();
    for schema in by_file.values() {
        if let Some(id) = schema.get("$id").and_then(Value::as_str) {
            docs.insert(id.trim_end_matches('#').to_string(), schema);
        }
    }
    docs.insert(TIER_BASE.to_string(), tier);
    let mut out = normalise::normalise(tier, TIER_BASE, &docs)?;
    normalise::fuse_uri_strings(&mut out, formats::URI_STRING);
    Ok(out)
}

/// The facet's schema without its kind's base facet, as references to the other branches of
/// its definition's `allOf`, when the key's schema is one definition that says nothing but
/// `allOf` (beside annotations and `"type": "object"`) and one branch is exactly a reference to
/// the base of `kind`.
fn facet_branches(
    by_file: &BTreeMap<&str, Value>,
    info: &crate::FacetInfo,
    location: &str,
    kind: FacetKind,
) -> Option<Vec<Value>> {
    let name = ref_target(location)?;
    let def = by_file
        .get(info.file)?
        .get("$defs")?
        .get(name)?
        .as_object()?;
    const ANNOTATIONS: [&str; 6] = [
        "description",
        "title",
        "$comment",
        "examples",
        "default",
        "deprecated",
    ];
    // `"type": "object"` repeats what every base facet asserts.
    let redundant = |k: &str, v: &Value| {
        k == "allOf" || ANNOTATIONS.contains(&k) || (k == "type" && v == "object")
    };
    if !def.iter().all(|(k, v)| redundant(k, v)) {
        return None;
    }
    let base = format!("{CORE_SCHEMA_ID}{}", local_ref(kind.base_def()));
    let branches = def.get("allOf")?.as_array()?;
    let is_base = |b: &Value| {
        b.as_object()
            .is_some_and(|o| o.len() == 1 && o.get("$ref") == Some(&Value::from(base.as_str())))
    };
    if branches.iter().filter(|b| is_base(b)).count() != 1 {
        return None;
    }
    Some(
        branches
            .iter()
            .enumerate()
            .filter(|(_, b)| !is_base(b))
            .map(|(i, _)| json!({ "$ref": format!("{}{location}/allOf/{i}", info.schema_id) }))
            .collect(),
    )
}

/// Schemas placed at paths of property names (`*` for every array item), merged into one
/// schema of nested `properties` and `items`.
#[derive(Default)]
struct Overlay {
    here: Vec<Value>,
    properties: BTreeMap<String, Overlay>,
    items: Option<Box<Overlay>>,
}

impl Overlay {
    fn add(&mut self, path: &[String], schema: Value) {
        match path.split_first() {
            None => {
                if !self.here.contains(&schema) {
                    self.here.push(schema);
                }
            }
            Some((head, rest)) if head == "*" => self
                .items
                .get_or_insert_with(Default::default)
                .add(rest, schema),
            Some((head, rest)) => self
                .properties
                .entry(head.clone())
                .or_default()
                .add(rest, schema),
        }
    }

    fn is_empty(&self) -> bool {
        self.here.is_empty() && self.properties.is_empty() && self.items.is_none()
    }

    fn into_value(self) -> Value {
        let mut out = serde_json::Map::new();
        if !self.here.is_empty() {
            out.insert("allOf".into(), Value::Array(self.here));
        }
        if !self.properties.is_empty() {
            let properties = self
                .properties
                .into_iter()
                .map(|(k, v)| (k, v.into_value()))
                .collect();
            out.insert("properties".into(), Value::Object(properties));
        }
        if let Some(items) = self.items {
            out.insert("items".into(), items.into_value());
        }
        Value::Object(out)
    }
}

fn tier_of(keyword: &str) -> Tier {
    if keyword == "format" {
        Tier::Formats
    } else {
        Tier::Core
    }
}

fn violation(
    tier: Tier,
    pointer: &str,
    keyword: &str,
    schema_path: &str,
    message: String,
) -> Violation {
    Violation {
        tier,
        pointer: pointer.to_string(),
        keyword: keyword.to_string(),
        schema_path: schema_path.to_string(),
        message,
    }
}

impl Event {
    /// Every violation of this event up to `tier`, using [`Validator::global`].
    pub fn validate(&self, tier: Tier) -> Vec<Violation> {
        Validator::global().validate_value(&self.to_value(), tier)
    }

    /// Parses one event and validates it at `tier`: what a collector does with a request body.
    ///
    /// The error lists every problem with its JSON pointer ([`Error::violations`]), and
    /// [`Error::rejection`] is a ready answer body. See [`Tier`] for which tier to use.
    ///
    /// ```
    /// use openlineage_types::{Event, Tier};
    ///
    /// let body = br#"{"eventTime": "2024-01-01T00:00:00Z", "producer": "https://p",
    ///     "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
    ///     "run": {"runId": "not-a-uuid"}, "job": {"namespace": "n", "name": "j"}}"#;
    /// let err = Event::parse_validated(body, Tier::Formats).unwrap_err();
    /// assert_eq!(err.violations()[0].pointer, "/run/runId");
    /// ```
    pub fn parse_validated(bytes: &[u8], tier: Tier) -> Result<Event, Error> {
        let event = Event::from_slice(bytes)?;
        event.checked(tier)
    }

    /// The event itself if it has no violation at `tier`.
    pub(crate) fn checked(self, tier: Tier) -> Result<Event, Error> {
        let violations = self.validate(tier);
        if violations.is_empty() {
            Ok(self)
        } else {
            Err(Error::Invalid(violations))
        }
    }
}

impl BatchRequest {
    /// Parses a batch body and validates each event at `tier`: the outer error is for a body
    /// that is not a JSON array, the inner results are per event, ready for
    /// [`crate::BatchResponse::from_results`].
    pub fn parse_validated(bytes: &[u8], tier: Tier) -> Result<Vec<Result<Event, Error>>, Error> {
        Ok(BatchRequest::parse_each(bytes)?
            .into_iter()
            .map(|event| event.and_then(|e| e.checked(tier)))
            .collect())
    }
}

macro_rules! validate_kind {
    ($($ty:ident),*) => {$(
        impl $ty {
            /// Every violation of this event up to `tier`, using [`Validator::global`].
            pub fn validate(&self, tier: Tier) -> Vec<Violation> {
                let value = serde_json::to_value(self).unwrap_or(Value::Null);
                Validator::global().validate_value(&value, tier)
            }
        }
    )*};
}
validate_kind!(RunEvent, JobEvent, DatasetEvent);

#[cfg(all(test, feature = "proptest"))]
mod tests {
    use super::*;
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

    /// What the walk says about `value` at the facets tier: nothing to report, or something.
    fn walk_is_clean(v: &Validator, def: &str, value: &Value) -> bool {
        v.check_event(def, value, true).is_empty() && v.check_facets(value).is_empty()
    }

    /// Variants of `event` that break, fix or mark one place each: every value replaced by a
    /// number and by a string that is no URI, date-time or UUID, every member removed, and every
    /// object marked `_deleted` (as a facet marker and as a wrong-typed one).
    fn mutations(event: &Value) -> Vec<Value> {
        fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
            match value {
                Value::Object(map) => {
                    for (k, v) in map {
                        pointers(v, format!("{at}/{}", escape(k)), out);
                    }
                }
                Value::Array(items) => {
                    for (i, v) in items.iter().enumerate() {
                        pointers(v, format!("{at}/{i}"), out);
                    }
                }
                _ => {}
            }
            out.push(at);
        }
        let mut all = Vec::new();
        pointers(event, String::new(), &mut all);
        let mut out = Vec::new();
        for pointer in all.iter().filter(|p| !p.is_empty()) {
            for replacement in [json!(42), json!(":: not a uri")] {
                let mut e = event.clone();
                if let Some(slot) = e.pointer_mut(pointer) {
                    *slot = replacement;
                }
                out.push(e);
            }
            let (parent, last) = pointer.rsplit_once('/').unwrap_or_default();
            let mut e = event.clone();
            if let Some(Value::Object(map)) = e.pointer_mut(parent) {
                map.remove(&last.replace("~1", "/").replace("~0", "~"));
                out.push(e);
            }
            if let Some(Value::Object(_)) = event.pointer(pointer) {
                for marker in [json!(true), json!("yes")] {
                    let mut e = event.clone();
                    if let Some(Value::Object(map)) = e.pointer_mut(pointer) {
                        map.insert("_deleted".into(), marker);
                        out.push(e);
                    }
                }
            }
        }
        out
    }

    /// Asks the whole-tier schema and the walk about each of `events` and every single-place
    /// mutation of it; fails on the first difference. Returns how many were clean and dirty.
    fn compare_with_walk(v: &Validator, events: &[Value]) -> (usize, usize) {
        let (mut clean, mut dirty) = (0, 0);
        for event in events {
            for value in std::iter::once(event.clone()).chain(mutations(event)) {
                let Some(object) = value.as_object() else {
                    continue;
                };
                let has = |k: &str| object.contains_key(k);
                let [kind] = EventKind::from_keys(has("run"), has("job"), has("dataset")) else {
                    continue;
                };
                let def = kind.def_name();
                let walked = walk_is_clean(v, def, &value);
                assert_eq!(v.whole[def].is_valid(&value), walked, "{value:#}");
                if walked {
                    clean += 1;
                } else {
                    dirty += 1;
                }
            }
        }
        (clean, dirty)
    }

    /// The one-schema answer of the formats and facets tiers must be the walk's: on generated
    /// events (valid, with custom facets and `_deleted` markers), on the parent facet's forwarded
    /// facets, and on every single-place mutation of them, valid or not.
    #[test]
    fn the_whole_tier_schema_answers_as_the_walk_does() {
        let v = Validator::new().expect("the embedded spec schemas compile");
        let gen = crate::arb::ValueGen::new(crate::arb::GenConfig::SMALL).expect("generator");
        let strategy = gen.any_event_value().expect("strategy");
        let mut runner = TestRunner::new_with_rng(
            Config::default(),
            TestRng::from_seed(RngAlgorithm::XorShift, &[7; 16]),
        );
        let mut events: Vec<Value> = (0..24)
            .map(|_| strategy.new_tree(&mut runner).expect("tree").current())
            .collect();
        let nominal = json!({"_producer": "https://p", "_schemaURL": "https://s",
            "nominalStartTime": "2024-01-01T00:00:00Z"});
        events.push(json!({
            "eventTime": "2024-01-01T00:00:00Z", "producer": "https://p",
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
            "run": {"runId": "0190d5a4-7c6c-7b8e-9f00-000000000001", "facets": {"parent": {
                "_producer": "https://p", "_schemaURL": "https://s",
                "run": {"runId": "0190d5a4-7c6c-7b8e-9f00-000000000002",
                    "facets": {"nominalTime": nominal}},
                "job": {"namespace": "n", "name": "p", "facets": {"sql": {
                    "_producer": "https://p", "_schemaURL": "https://s", "query": "select 1"}}},
                "root": {"run": {"runId": "0190d5a4-7c6c-7b8e-9f00-000000000003",
                    "facets": {"nominalTime": nominal}}}}}},
            "job": {"namespace": "n", "name": "j"},
            "dataset": {"namespace": "n", "name": "stray", "facets": {"schema": {
                "_producer": "https://p", "_schemaURL": "https://s", "fields": []}}}
        }));
        let (clean, dirty) = compare_with_walk(&v, &events);
        assert!(clean > 100 && dirty > 500, "{clean} clean, {dirty} dirty");
    }

    /// The same on what producers send: the recorded dbt-ol and openlineage-python streams, and
    /// events built from every example facet of the spec, each with all its mutations.
    #[test]
    fn the_whole_tier_schema_answers_as_the_walk_does_on_real_events() {
        let v = Validator::new().expect("the embedded spec schemas compile");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let pin = openlineage_codegen::spec::Pin::read(root).expect("spec/pin.json is readable");
        let parse = |texts: Vec<String>| -> Vec<Value> {
            texts
                .iter()
                .map(|t| serde_json::from_str(t).expect("an event"))
                .collect()
        };
        let streams = parse(openlineage_testkit::corpus::recorded_streams(1));
        let examples = parse(
            openlineage_testkit::corpus::events(&pin.resolve_dir(root), 20).expect("examples"),
        );
        for (name, events) in [("streams", streams), ("spec examples", examples)] {
            let valid = events
                .iter()
                .filter(|e| v.validate_value(e, Tier::Facets).is_empty());
            assert_eq!(
                valid.count(),
                events.len(),
                "every event of the {name} is valid"
            );
            let (clean, dirty) = compare_with_walk(&v, &events);
            assert!(
                clean > 200 && dirty > 1000,
                "{name}: {clean} clean, {dirty} dirty"
            );
        }
    }

    /// The pinned spec's whole-tier schemas normalise (else the validator would quietly use them
    /// as they are), into one object schema each with no `allOf` left anywhere.
    #[test]
    fn the_whole_tier_schemas_normalise_completely() {
        let mut by_file = BTreeMap::new();
        for (file, text) in SCHEMA_SOURCES {
            by_file.insert(*file, serde_json::from_str::<Value>(text).expect("schema"));
        }
        // `allOf`s other than `required` lists split off for jsonschema's fused pass.
        fn all_ofs(v: &Value) -> usize {
            let only_required = |m: &Value| {
                m.as_object()
                    .is_some_and(|o| o.len() == 1 && o.contains_key("required"))
            };
            let split = |all: &Value| all.as_array().is_some_and(|a| a.iter().all(only_required));
            match v {
                Value::Object(m) => {
                    usize::from(m.get("allOf").is_some_and(|a| !split(a)))
                        + m.values().map(all_ofs).sum::<usize>()
                }
                Value::Array(a) => a.iter().map(all_ofs).sum(),
                _ => 0,
            }
        }
        for def in EventKind::ALL.map(EventKind::def_name) {
            let tier = facets_tier_schema(&by_file, def).expect("tier schema");
            let out = normalised(&by_file, &tier).expect("the pinned spec normalises");
            assert_eq!(all_ofs(&out), 0, "{def}");
            // Every facet's `_producer` and `_schemaURL` is one fused keyword.
            let text = out.to_string();
            assert!(text.matches(formats::URI_STRING).count() > 100, "{def}");
            assert!(
                !text.contains(r#""format":"uri","type":"string"}"#),
                "{def}"
            );
            assert!(all_ofs(&tier) > 0);
            // Every `_deleted` guard asks for the facet first and the marker after it.
            fn guards(v: &Value, out: &mut Vec<(bool, bool)>) {
                match v {
                    Value::Object(m) => {
                        if m.contains_key("if") {
                            // One walk: nothing left beside the guard, no `then`.
                            assert!(
                                m.keys().all(|k| matches!(k.as_str(), "if" | "else")),
                                "{:?}",
                                m.keys().collect::<Vec<_>>()
                            );
                            let marker = |s: Option<&Value>| {
                                s.and_then(|s| s.get("properties"))
                                    .and_then(|p| p.get("_deleted"))
                                    .and_then(|d| d.get("const"))
                                    == Some(&Value::Bool(true))
                            };
                            out.push((marker(m.get("if")), marker(m.get("else"))));
                        }
                        m.values().for_each(|v| guards(v, out));
                    }
                    Value::Array(a) => a.iter().for_each(|v| guards(v, out)),
                    _ => {}
                }
            }
            let mut found = Vec::new();
            guards(&out, &mut found);
            assert!(found.len() > 100, "{def}: {} guards", found.len());
            assert!(found.iter().all(|g| *g == (false, true)), "{def}");
        }
    }

    /// Facets whose schema is their kind's base plus their own fields are checked without the
    /// base where a map already asserts it; any other shape keeps its whole schema.
    #[test]
    fn the_base_facet_is_left_out_where_the_map_asserts_it() {
        let mut by_file = BTreeMap::new();
        for (file, text) in SCHEMA_SOURCES {
            by_file.insert(*file, serde_json::from_str::<Value>(text).expect("schema"));
        }
        let branches = |key: &str, kind: FacetKind| {
            let info = crate::facet(kind, key).expect("facet");
            let location = facet_location(&by_file, info.file, info.key).expect("location");
            facet_branches(&by_file, info, &location, kind)
        };
        let sql = branches("sql", FacetKind::Job).expect("SQLJobFacet is base + fields");
        assert_eq!(
            sql,
            [
                json!({"$ref": "https://openlineage.io/spec/facets/1-1-0/SQLJobFacet.json#/$defs/SQLJobFacet/allOf/1"})
            ]
        );
        // `subset` is a `oneOf` of definitions.
        assert_eq!(branches("subset", FacetKind::InputDataset), None);
        let stripped = FACETS
            .iter()
            .filter(|f| {
                let location = facet_location(&by_file, f.file, f.key).expect("location");
                facet_branches(&by_file, f, &location, f.kind).is_some()
            })
            .count();
        // Nearly every facet is "base + its own fields"; a few (`oneOf` subsets, facets of a
        // newer release written another way) are checked whole. A share, not a count, so the
        // next spec release needs no change here.
        assert!(
            stripped * 100 >= FACETS.len() * 85,
            "{stripped} of {}",
            FACETS.len()
        );
    }
}
