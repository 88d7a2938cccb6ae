//! The catalogue of spec violations: named mutations that turn a valid event into an invalid one.
//!
//! Each mutation has a stable id, the tier of the validator that must catch it, a one-line
//! description and the spec clause it breaks. Most are derived from the schemas (every required
//! field of every object, every required field of every facet), so a spec upgrade adds cases
//! without edits here; the rest (wrong types, bad formats, ambiguous shapes, malformed bodies)
//! are listed by hand. A property test checks that every mutation really is invalid in its tier.

use std::fmt;

use openlineage_types::arb::draw::{just, zip, Gen};
use openlineage_types::arb::{local_ref, required_fields, ValueGen};
use openlineage_types::{EventKind, FacetInfo, FacetKind, Tier, FACETS};
use serde_json::{json, Map, Value};

use crate::checks::CheckId;
use crate::wire::Purpose;
use crate::Error;

/// What a mutation breaks: the validator tier that must catch it, or JSON itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Breaks {
    /// The core schema.
    Core,
    /// Format assertions (`date-time`, `uuid`, `uri`).
    Formats,
    /// A facet's own schema.
    Facets,
    /// Not a parseable event at all: broken JSON, bad UTF-8, repeated keys, runaway nesting.
    Malformed,
}

impl Breaks {
    /// The tier's name in ids and output.
    pub fn name(self) -> &'static str {
        match self {
            Breaks::Core => "core",
            Breaks::Formats => "formats",
            Breaks::Facets => "facets",
            Breaks::Malformed => "malformed",
        }
    }
}

impl fmt::Display for Breaks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A request body: JSON, or bytes that are not (all) JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// A JSON value.
    Json(Value),
    /// Raw bytes.
    Raw(Vec<u8>),
}

impl Body {
    /// The bytes to send.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Body::Json(v) => crate::families::body_of(v),
            Body::Raw(b) => b.clone(),
        }
    }
}

/// What a mutation does to a valid event.
#[derive(Debug, Clone, PartialEq)]
enum Op {
    /// Remove `field` from the object at `path` (dataset lists are made non-empty first).
    Remove { path: Vec<String>, field: String },
    /// Replace the value at `path` (created if missing) with `value`.
    Set { path: Vec<String>, value: Value },
    /// Add a facet of `kind` under `key` whose payload breaks a rule.
    Facet {
        kind: FacetKind,
        key: String,
        /// Rust type of the facet, to generate a payload; `None` for a custom facet.
        rust_type: Option<&'static str>,
        change: FacetChange,
    },
    /// Add a valid static `dataset` to a JobEvent: both oneOf branches match.
    AddDataset,
    /// Replace the body.
    Body(BodyOp),
}

#[derive(Debug, Clone, PartialEq)]
enum FacetChange {
    Remove(String),
    Replace(Value),
    /// Puts `payload` under `key` in the facet map at `path` inside the facet.
    Nest {
        path: Vec<String>,
        key: String,
        payload: Value,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum BodyOp {
    Wrap,
    Replace(Value),
    Truncate,
    Empty,
    InvalidUtf8,
    DuplicateKey,
    DeepNesting,
    /// The event followed by more text.
    Append(&'static str),
    /// The event twice, back to back.
    Concatenate,
}

/// One named violation.
#[derive(Debug, Clone, PartialEq)]
pub struct Mutation {
    /// Stable dotted id, e.g. `missing.RunEvent.run.runId`.
    pub id: String,
    /// What it breaks.
    pub breaks: Breaks,
    /// One line saying what is wrong.
    pub description: String,
    /// The spec clause it breaks.
    pub clause: String,
    /// The kind of valid event it starts from.
    pub base: EventKind,
    /// JSON pointer of the mutated value, where there is one.
    pub pointer: Option<String>,
    /// The conformance check whose cases carry this mutation.
    pub check: CheckId,
    op: Op,
}

/// A mutated event, ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Mutated {
    /// The mutation's id.
    pub violation: String,
    /// What it breaks.
    pub breaks: Breaks,
    /// The mutated location, if any.
    pub pointer: Option<String>,
    /// The body.
    pub body: Body,
}

fn path(p: &str) -> Vec<String> {
    p.split('/')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

fn pointer_of(path: &[String]) -> String {
    path.iter().map(|s| format!("/{s}")).collect()
}

impl Mutation {
    fn new(
        id: impl Into<String>,
        breaks: Breaks,
        base: EventKind,
        description: impl Into<String>,
        clause: impl Into<String>,
        op: Op,
    ) -> Self {
        let pointer = match &op {
            Op::Remove { path, .. } => Some(pointer_of(path)),
            Op::Set { path, .. } => Some(pointer_of(path)),
            Op::Facet {
                kind, key, change, ..
            } => {
                let at = format!("{}/{key}", facet_location(*kind).1);
                match change {
                    FacetChange::Nest {
                        path, key: inner, ..
                    } => Some(format!("{at}{}/{inner}", pointer_of(path))),
                    _ => Some(at),
                }
            }
            Op::AddDataset | Op::Body(_) => Some(String::new()),
        };
        let id = id.into();
        Mutation {
            check: serves(breaks, &op, &id),
            id,
            breaks,
            description: description.into(),
            clause: clause.into(),
            base,
            pointer,
            op,
        }
    }

    /// What a case carrying this mutation must keep while it shrinks.
    pub fn purpose(&self) -> Purpose {
        match (self.breaks, &self.op) {
            (Breaks::Malformed, Op::Body(BodyOp::DuplicateKey)) => Purpose::RepeatedKey,
            (Breaks::Malformed, Op::Body(BodyOp::DeepNesting)) => Purpose::Nested(DEEP_NESTING),
            (Breaks::Malformed, _) => Purpose::NotJson,
            (Breaks::Core, _) => Purpose::Invalid(Tier::Core),
            (Breaks::Formats, _) => Purpose::Invalid(Tier::Formats),
            (Breaks::Facets, _) => Purpose::Invalid(Tier::Facets),
        }
    }

    /// Applies the mutation to a valid event of kind [`Mutation::base`]; `facet` is a valid
    /// payload for a facet mutation.
    pub fn apply(&self, mut event: Value, facet: Option<Value>) -> Mutated {
        let body = match &self.op {
            Op::Remove { path, field } => {
                if let Some(obj) = ensure(&mut event, path) {
                    obj.remove(field);
                }
                Body::Json(event)
            }
            Op::Set { path, value } => {
                let (last, parent) = path
                    .split_last()
                    .map_or((None, &path[..]), |(l, p)| (Some(l), p));
                if let (Some(last), Some(obj)) = (last, ensure(&mut event, parent)) {
                    obj.insert(last.clone(), value.clone());
                }
                Body::Json(event)
            }
            Op::Facet {
                kind, key, change, ..
            } => {
                let (parent, container) = facet_location(*kind);
                let mut payload = facet.unwrap_or_else(|| json!({}));
                if let Value::Object(p) = &mut payload {
                    // A deletion marker is exempt from the facet's own rules.
                    p.remove("_deleted");
                }
                match change {
                    FacetChange::Remove(field) => {
                        if let Value::Object(p) = &mut payload {
                            p.remove(field);
                        }
                    }
                    FacetChange::Replace(value) => payload = value.clone(),
                    FacetChange::Nest {
                        path,
                        key: inner,
                        payload: nested,
                    } => {
                        if let Some(map) = ensure(&mut payload, path) {
                            map.insert(inner.clone(), nested.clone());
                        }
                    }
                }
                if let Some(obj) = ensure(&mut event, &path(&parent)) {
                    let map = obj
                        .entry(container.rsplit('/').next().unwrap_or_default().to_string())
                        .or_insert_with(|| json!({}));
                    if !map.is_object() {
                        *map = json!({});
                    }
                    map[key.as_str()] = payload;
                }
                Body::Json(event)
            }
            Op::AddDataset => {
                event["dataset"] = json!({"namespace": "conformance", "name": "ambiguous"});
                Body::Json(event)
            }
            Op::Body(op) => body_op(op, event),
        };
        Mutated {
            violation: self.id.clone(),
            breaks: self.breaks,
            pointer: self.pointer.clone(),
            body,
        }
    }

    /// The facet this mutation needs a valid payload for, if any.
    pub fn facet_type(&self) -> Option<&'static str> {
        match &self.op {
            Op::Facet { rust_type, .. } => *rust_type,
            _ => None,
        }
    }

    /// Mutated events, from valid events the generator makes.
    pub fn strategy(&self, gen: &ValueGen) -> Result<Gen<Mutated>, Error> {
        self.strategy_on(gen.event_value(self.base).map_err(Error::Types)?, gen)
    }

    /// Mutated events from `base`, a strategy for valid events of kind [`Mutation::base`]. Building
    /// event strategies is the costly part, so callers with many mutations build one per kind.
    pub fn strategy_on(&self, base: Gen<Value>, gen: &ValueGen) -> Result<Gen<Mutated>, Error> {
        let facet = match self.facet_type() {
            Some(ty) => {
                let info = FACETS
                    .iter()
                    .find(|f| f.rust_type == ty)
                    .ok_or_else(|| Error::Internal(format!("no facet type {ty}")))?;
                gen.facet(info).map_err(Error::Types)?.map(Some)
            }
            None => just(None),
        };
        let me = self.clone();
        Ok(zip(base, facet).map(move |(event, facet)| me.apply(event, facet)))
    }
}

/// Where facets of a kind live in a RunEvent, as (parent object, container) pointers: the first
/// site the types crate names for the kind, with the first item of a dataset list.
fn facet_location(kind: FacetKind) -> (String, String) {
    let site = kind
        .sites(EventKind::Run)
        .first()
        .copied()
        .unwrap_or("/run/facets");
    let container = site.replace('*', "0");
    let parent = container
        .rsplit_once('/')
        .map(|(parent, _)| parent.to_string())
        .unwrap_or_default();
    (parent, container)
}

/// The object at `path`, creating objects (and one-element dataset lists) on the way.
fn ensure<'a>(event: &'a mut Value, path: &[String]) -> Option<&'a mut Map<String, Value>> {
    let mut at = event;
    for (i, seg) in path.iter().enumerate() {
        at = match at {
            Value::Object(obj) => {
                let next_is_index = path.get(i + 1).is_some_and(|s| s.parse::<usize>().is_ok());
                let default = if next_is_index { json!([]) } else { json!({}) };
                obj.entry(seg.clone()).or_insert(default)
            }
            Value::Array(items) => {
                let index: usize = seg.parse().ok()?;
                while items.len() <= index {
                    items.push(json!({"namespace": "conformance", "name": format!("dataset_{}", items.len())}));
                }
                &mut items[index]
            }
            _ => return None,
        };
    }
    at.as_object_mut()
}

fn body_op(op: &BodyOp, event: Value) -> Body {
    let text = serde_json::to_string(&event).expect("a JSON value always serializes");
    match op {
        BodyOp::Wrap => Body::Json(json!([event])),
        BodyOp::Replace(v) => Body::Json(v.clone()),
        BodyOp::Truncate => Body::Raw(text.as_bytes()[..text.len() / 2].to_vec()),
        BodyOp::Empty => Body::Raw(Vec::new()),
        BodyOp::InvalidUtf8 => {
            // Inside the producer string, so the JSON structure is intact but not UTF-8.
            let mut bytes = text.into_bytes();
            let at = find(&bytes, b"\"producer\":\"").map_or(1, |i| i + 12);
            bytes.splice(at..at, [0xff, 0xfe]);
            Body::Raw(bytes)
        }
        BodyOp::DuplicateKey => {
            let extra = "\"producer\":\"https://example.com/duplicate\",";
            Body::Raw(format!("{{{extra}{}", &text[1..]).into_bytes())
        }
        BodyOp::DeepNesting => {
            // One allocation of the final size: the brackets are most of the body.
            let head = b"{\"x-deep\":";
            let mut body = Vec::with_capacity(head.len() + 2 * DEEP_NESTING + text.len());
            body.extend_from_slice(head);
            body.resize(body.len() + DEEP_NESTING, b'[');
            body.resize(body.len() + DEEP_NESTING, b']');
            body.push(b',');
            body.extend_from_slice(&text.as_bytes()[1..]);
            Body::Raw(body)
        }
        BodyOp::Append(suffix) => Body::Raw(format!("{text}{suffix}").into_bytes()),
        BodyOp::Concatenate => Body::Raw(format!("{text}{text}").into_bytes()),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The check a mutation serves: by what it breaks and how; for the core tier by the family
/// of rule its id names (`missing.`, `type.`, `enum.`, `shape.`, `body.`, `facet.`).
fn serves(breaks: Breaks, op: &Op, id: &str) -> CheckId {
    match (breaks, op) {
        (Breaks::Malformed, Op::Body(BodyOp::DuplicateKey)) => CheckId::DuplicateKeys,
        (Breaks::Malformed, Op::Body(BodyOp::DeepNesting)) => CheckId::DeepNesting,
        (Breaks::Malformed, _) => CheckId::Malformed,
        (Breaks::Formats, _) => CheckId::InvalidFormat,
        (Breaks::Facets, _) => CheckId::FacetSchema,
        // A facet that is not an object, or lacks the base every facet shares.
        (
            Breaks::Core,
            Op::Facet {
                rust_type: None, ..
            },
        ) => CheckId::InvalidFacetBase,
        (Breaks::Core, _) => match id.split('.').next().unwrap_or_default() {
            "missing" => CheckId::InvalidMissing,
            "type" => CheckId::InvalidType,
            "enum" => CheckId::InvalidEnum,
            "shape" => CheckId::InvalidShape,
            "body" => CheckId::InvalidBody,
            _ => CheckId::InvalidFacetBase,
        },
    }
}

/// Depth of the nesting [`BodyOp::DeepNesting`] writes.
pub const DEEP_NESTING: usize = 100_000;

const CLAUSE_CORE: &str = "OpenLineage.json (core schema)";

/// Every mutation, schema-derived ones included.
pub fn catalogue(gen: &ValueGen) -> Vec<Mutation> {
    let mut out = Vec::new();
    out.extend(missing_required(gen));
    out.extend(hand_written());
    out.extend(facet_required(gen));
    out.extend(nested_facet_required(gen));
    out
}

/// `missing.<Event>.<path>.<field>`: each required field of each core object, for each event.
fn missing_required(gen: &ValueGen) -> Vec<Mutation> {
    let mut out = Vec::new();
    for kind in EventKind::ALL {
        let def = kind.def_name();
        let mut found = Vec::new();
        walk_required(
            gen,
            &json!({"$ref": local_ref(def)}),
            &mut Vec::new(),
            &mut found,
            0,
        );
        for (path, field) in found {
            // Dropping a key that tells the kinds apart changes the kind; `shape.*` covers that.
            if path.is_empty() && matches!(field.as_str(), "run" | "job" | "dataset") {
                continue;
            }
            let dotted: Vec<&str> = path
                .iter()
                .map(String::as_str)
                .filter(|s| s.parse::<usize>().is_err())
                .chain([field.as_str()])
                .collect();
            let at = pointer_of(&path);
            out.push(Mutation::new(
                format!("missing.{def}.{}", dotted.join(".")),
                Breaks::Core,
                kind,
                format!("{def} without required `{}`", dotted.join(".")),
                format!(
                    "{CLAUSE_CORE} {def}: `required` at {}",
                    if at.is_empty() { "/" } else { &at }
                ),
                Op::Remove { path, field },
            ));
        }
    }
    out
}

fn walk_required(
    gen: &ValueGen,
    schema: &Value,
    path: &mut Vec<String>,
    out: &mut Vec<(Vec<String>, String)>,
    depth: usize,
) {
    if depth > 4 {
        return;
    }
    let schema = gen.resolved(schema);
    for r in schema.as_object().into_iter().flat_map(required_fields) {
        out.push((path.clone(), r.to_string()));
    }
    for (name, prop) in schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let prop = gen.resolved(prop);
        if name == "facets" || name.ends_with("Facets") {
            continue;
        }
        match prop.get("type").and_then(Value::as_str) {
            Some("array") => {
                if let Some(items) = prop.get("items") {
                    path.extend([name.clone(), "0".into()]);
                    walk_required(gen, items, path, out, depth + 1);
                    path.truncate(path.len() - 2);
                }
            }
            _ if prop.get("properties").is_some() => {
                path.push(name.clone());
                walk_required(gen, &prop, path, out, depth + 1);
                path.pop();
            }
            _ => {}
        }
    }
}

/// `facet.<Facet>.missing.<field>`: each required field of each known facet.
fn facet_required(gen: &ValueGen) -> Vec<Mutation> {
    let mut out = Vec::new();
    for info in FACETS {
        for field in own_required_fields(gen, info) {
            let kind = kind_slug(info.kind);
            out.push(Mutation::new(
                format!("facet.{kind}.{}.missing.{field}", info.key),
                Breaks::Facets,
                EventKind::Run,
                format!("{} facet `{}` without required `{field}`", kind, info.key),
                format!("{} ({})", info.schema_id, info.rust_type),
                Op::Facet {
                    kind: info.kind,
                    key: info.key.to_string(),
                    rust_type: Some(info.rust_type),
                    change: FacetChange::Remove(field),
                },
            ));
        }
    }
    out
}

/// The fields a facet's own schema requires, beyond the `_producer` and `_schemaURL` every
/// facet carries, that its key's schema as written still refuses to lose: when the key is an
/// `anyOf`/`oneOf` of variants (`lineage`: a dataset and a job variant), a payload without the
/// field may be valid as another variant that does not require it and requires nothing more.
fn own_required_fields(gen: &ValueGen, info: &FacetInfo) -> Vec<String> {
    let required = |def: &str| -> Vec<String> {
        let schema = gen.resolved(&json!({"$ref": local_ref(def)}));
        schema
            .as_object()
            .into_iter()
            .flat_map(required_fields)
            .filter(|f| !f.starts_with('_'))
            .map(String::from)
            .collect()
    };
    let mine = required(info.def);
    let others: Vec<Vec<String>> = FACETS
        .iter()
        .filter(|g| g.file == info.file && g.key == info.key && g.def != info.def)
        .map(|g| required(g.def))
        .collect();
    mine.iter()
        .filter(|field| {
            !others
                .iter()
                .any(|other| !other.contains(field) && other.iter().all(|r| mine.contains(r)))
        })
        .cloned()
        .collect()
}

/// `facet.<kind>.<facet>.nested.<path>.<forwarded>.missing.<field>`: for each facet map inside
/// a facet (the parent facet forwards run and job facets), a forwarded facet that lacks a
/// required field. The facets tier checks forwarded facets against their own schemas too.
fn nested_facet_required(gen: &ValueGen) -> Vec<Mutation> {
    // The first required field of a facet of `kind`, and the facet, to forward without it.
    let first_required = |kind: FacetKind| {
        FACETS
            .iter()
            .filter(|f| f.kind == kind)
            .find_map(|f| Some((f, own_required_fields(gen, f).into_iter().next()?)))
    };
    let mut out = Vec::new();
    for info in FACETS {
        for nested in info.nested_maps() {
            if nested.path.iter().any(|s| s == "*") {
                continue;
            }
            let Some((forwarded, field)) = first_required(nested.kind) else {
                continue;
            };
            let kind = kind_slug(info.kind);
            let at = nested.path.join(".");
            out.push(Mutation::new(
                format!(
                    "facet.{kind}.{}.nested.{at}.{}.missing.{field}",
                    info.key, forwarded.key
                ),
                Breaks::Facets,
                EventKind::Run,
                format!(
                    "{kind} facet `{}` forwards `{}` under {at} without required `{field}`",
                    info.key, forwarded.key
                ),
                format!("{} ({})", forwarded.schema_id, forwarded.rust_type),
                Op::Facet {
                    kind: info.kind,
                    key: info.key.to_string(),
                    rust_type: Some(info.rust_type),
                    change: FacetChange::Nest {
                        path: nested.path.clone(),
                        key: forwarded.key.to_string(),
                        payload: json!({
                            "_producer": "https://example.com/conformance",
                            "_schemaURL": forwarded.schema_id,
                        }),
                    },
                },
            ));
        }
    }
    out
}

fn kind_slug(kind: FacetKind) -> &'static str {
    match kind {
        FacetKind::Run => "run",
        FacetKind::Job => "job",
        FacetKind::Dataset => "dataset",
        FacetKind::InputDataset => "input",
        FacetKind::OutputDataset => "output",
    }
}

pub(crate) fn hand_written() -> Vec<Mutation> {
    use Breaks::{Core, Formats, Malformed};
    use EventKind::{Dataset, Job, Run};
    let set = |p: &str, v: Value| Op::Set {
        path: path(p),
        value: v,
    };
    let base_event = "OpenLineage.json BaseEvent";
    let m = Mutation::new;
    let custom_facet = |change| Op::Facet {
        kind: FacetKind::Run,
        key: "custom_conformance".into(),
        rust_type: None,
        change,
    };
    let producer = json!("https://example.com/conformance");
    vec![
        m(
            "type.eventTime",
            Core,
            Run,
            "eventTime is a number",
            base_event,
            set("/eventTime", json!(1_700_000_000)),
        ),
        m(
            "type.producer",
            Core,
            Run,
            "producer is a boolean",
            base_event,
            set("/producer", json!(true)),
        ),
        m(
            "type.schemaURL",
            Core,
            Run,
            "schemaURL is an array",
            base_event,
            set("/schemaURL", json!([])),
        ),
        m(
            "type.eventType",
            Core,
            Run,
            "eventType is a number",
            "OpenLineage.json RunEvent.eventType",
            set("/eventType", json!(1)),
        ),
        m(
            "type.run",
            Core,
            Run,
            "run is a string",
            "OpenLineage.json RunEvent.run",
            set("/run", json!("run")),
        ),
        m(
            "type.run.runId",
            Core,
            Run,
            "runId is a number",
            "OpenLineage.json Run.runId",
            set("/run/runId", json!(123)),
        ),
        m(
            "type.job",
            Core,
            Job,
            "job is an array",
            "OpenLineage.json JobEvent.job",
            set("/job", json!([])),
        ),
        m(
            "type.job.name",
            Core,
            Run,
            "job name is null",
            "OpenLineage.json Job.name",
            set("/job/name", Value::Null),
        ),
        m(
            "type.inputs",
            Core,
            Run,
            "inputs is an object",
            "OpenLineage.json RunEvent.inputs",
            set("/inputs", json!({})),
        ),
        m(
            "type.outputs.item",
            Core,
            Run,
            "an output dataset is a number",
            "OpenLineage.json RunEvent.outputs",
            set("/outputs", json!([5])),
        ),
        m(
            "type.run.facets",
            Core,
            Run,
            "run facets is an array",
            "OpenLineage.json Run.facets",
            set("/run/facets", json!([])),
        ),
        m(
            "type.dataset",
            Core,
            Dataset,
            "dataset is a string",
            "OpenLineage.json DatasetEvent.dataset",
            set("/dataset", json!("d")),
        ),
        m(
            "type.facet",
            Core,
            Run,
            "a facet is a string",
            "OpenLineage.json RunFacet",
            custom_facet(FacetChange::Replace(json!("facet"))),
        ),
        m(
            "facet.missing._producer",
            Core,
            Run,
            "a facet without _producer",
            "OpenLineage.json BaseFacet.required",
            custom_facet(FacetChange::Replace(
                json!({"_schemaURL": "https://example.com/s"}),
            )),
        ),
        m(
            "facet.missing._schemaURL",
            Core,
            Run,
            "a facet without _schemaURL",
            "OpenLineage.json BaseFacet.required",
            custom_facet(FacetChange::Replace(json!({"_producer": producer}))),
        ),
        m(
            "enum.eventType",
            Core,
            Run,
            "eventType is not one of the six values",
            "OpenLineage.json RunEvent.eventType enum",
            set("/eventType", json!("FINISHED")),
        ),
        m(
            "enum.eventType.lowercase",
            Core,
            Run,
            "eventType in lower case",
            "OpenLineage.json RunEvent.eventType enum",
            set("/eventType", json!("start")),
        ),
        m(
            "format.eventTime",
            Formats,
            Run,
            "eventTime is not a date-time",
            "OpenLineage.json BaseEvent.eventTime format date-time",
            set("/eventTime", json!("yesterday")),
        ),
        m(
            "format.eventTime.no_offset",
            Formats,
            Run,
            "eventTime has no UTC offset",
            "OpenLineage.json BaseEvent.eventTime format date-time (RFC 3339)",
            set("/eventTime", json!("2024-01-01T00:00:00")),
        ),
        m(
            "format.run.runId",
            Formats,
            Run,
            "runId is not a UUID",
            "OpenLineage.json Run.runId format uuid",
            set("/run/runId", json!("not-a-uuid")),
        ),
        m(
            "format.producer",
            Formats,
            Run,
            "producer is not an absolute URI",
            "OpenLineage.json BaseEvent.producer format uri",
            set("/producer", json!("not a uri")),
        ),
        m(
            "format.schemaURL",
            Formats,
            Job,
            "schemaURL is a relative reference",
            "OpenLineage.json BaseEvent.schemaURL format uri",
            set("/schemaURL", json!("spec/OpenLineage.json")),
        ),
        m(
            "format.facet._producer",
            Formats,
            Run,
            "a facet's _producer is not a URI",
            "OpenLineage.json BaseFacet._producer format uri",
            custom_facet(FacetChange::Replace(
                json!({"_producer": "nope", "_schemaURL": "https://example.com/s"}),
            )),
        ),
        m(
            "shape.run_without_job",
            Core,
            Run,
            "run without job matches no event kind",
            "OpenLineage.json oneOf (RunEvent requires run and job)",
            Op::Remove {
                path: vec![],
                field: "job".into(),
            },
        ),
        m(
            "shape.dataset_and_job",
            Core,
            Job,
            "dataset and job without run match two kinds",
            "OpenLineage.json oneOf (DatasetEvent and JobEvent both match)",
            Op::AddDataset,
        ),
        m(
            "shape.no_kind",
            Core,
            Dataset,
            "neither run, job nor dataset",
            "OpenLineage.json oneOf (no branch matches)",
            Op::Remove {
                path: vec![],
                field: "dataset".into(),
            },
        ),
        m(
            "body.array",
            Core,
            Run,
            "the event wrapped in an array",
            "OpenAPI POST /lineage requestBody (one event object)",
            Op::Body(BodyOp::Wrap),
        ),
        m(
            "body.string",
            Core,
            Run,
            "a JSON string body",
            "OpenAPI POST /lineage requestBody",
            Op::Body(BodyOp::Replace(json!("event"))),
        ),
        m(
            "body.number",
            Core,
            Run,
            "a JSON number body",
            "OpenAPI POST /lineage requestBody",
            Op::Body(BodyOp::Replace(json!(42))),
        ),
        m(
            "body.null",
            Core,
            Run,
            "a JSON null body",
            "OpenAPI POST /lineage requestBody",
            Op::Body(BodyOp::Replace(Value::Null)),
        ),
        m(
            "malformed.truncated",
            Malformed,
            Run,
            "JSON cut off half way",
            "RFC 8259 (JSON text)",
            Op::Body(BodyOp::Truncate),
        ),
        m(
            "malformed.empty",
            Malformed,
            Run,
            "an empty body",
            "OpenAPI POST /lineage requestBody",
            Op::Body(BodyOp::Empty),
        ),
        m(
            "malformed.invalid_utf8",
            Malformed,
            Run,
            "bytes that are not UTF-8 inside a string",
            "RFC 8259 section 8.1 (UTF-8)",
            Op::Body(BodyOp::InvalidUtf8),
        ),
        m(
            "malformed.duplicate_keys",
            Malformed,
            Run,
            "the producer key twice",
            "RFC 8259 section 4 (names SHOULD be unique)",
            Op::Body(BodyOp::DuplicateKey),
        ),
        m(
            "malformed.deep_nesting",
            Malformed,
            Run,
            "an unknown field nested 100000 arrays deep",
            "RFC 8259 section 9 (nesting limits)",
            Op::Body(BodyOp::DeepNesting),
        ),
        m(
            "malformed.trailing_content",
            Malformed,
            Run,
            "text after the event's closing brace",
            "RFC 8259 section 2 (JSON-text = ws value ws)",
            Op::Body(BodyOp::Append(" trailing")),
        ),
        m(
            "malformed.concatenated",
            Malformed,
            Run,
            "two events back to back in one body",
            "RFC 8259 section 2 (JSON-text = ws value ws)",
            Op::Body(BodyOp::Concatenate),
        ),
    ]
}
