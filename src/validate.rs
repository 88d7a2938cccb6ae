//! JSON Schema validation of events against the pinned spec, offline and tier by tier.
//!
//! Every schema of the snapshot is registered under its `$id`, so no reference ever leaves the
//! process. The core tier checks the event against its own definition (chosen by structure, as
//! the spec's `oneOf` would, so errors point into the event instead of at the `oneOf`), the
//! formats tier asserts `date-time`, `uuid` and `uri`, and the facets tier checks each known
//! facet against its own facet schema, facets forwarded inside other facets included (the
//! parent facet carries the parent and root runs' facets).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

use jsonschema::{Draft, Registry};

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
        let build = |schema: &Value, formats: bool| {
            jsonschema::options()
                .with_draft(Draft::Draft202012)
                .with_registry(&registry)
                .should_validate_formats(formats)
                .build(schema)
                .map_err(|e| schema_err(&e))
        };
        let mut events = BTreeMap::new();
        for def in EventKind::ALL.map(EventKind::def_name) {
            let schema = json!({ "$ref": format!("{CORE_SCHEMA_ID}{}", local_ref(def)) });
            events.insert(def, (build(&schema, false)?, build(&schema, true)?));
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

fn tier_of(keyword: &str) -> Tier {
    if keyword == "format" {
        Tier::Formats
    } else {
        Tier::Core
    }
}

/// A JSON pointer segment for `key` (RFC 6901).
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
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
