//! The check families, as data: each names the check it serves, the checks that ride along on
//! its answers, the endpoint it needs, and its kinds of case. Case `n` of a family is of kind
//! `n % kinds` (randomness within the kind), so every run covers every kind and a server with
//! one fixed bug fails the same checks whatever the seed. How answers are judged is in
//! [`crate::judge`]; the engine in [`crate::runner`] sends the cases and keeps score.

use std::collections::BTreeMap;
use std::sync::Arc;

use openlineage_types::arb::pick::one_of;
use openlineage_types::arb::text::{text, ASCII_TEXT};
use openlineage_types::arb::{GenConfig, ValueGen};
use openlineage_types::EventKind;
use proptest::prelude::*;
use serde_json::{json, Value};

use crate::checks::id;
use crate::judge::{self, Judge, Want};
use crate::mutate::{catalogue, Body, Mutation, Tier as MTier};
use crate::Error;

pub use crate::judge::Verdict;
pub use crate::wire::{Endpoint, Input, Observed, Req};

/// A family of cases.
pub struct Family {
    /// The family's name (it also seeds the family's cases).
    pub name: &'static str,
    /// The check the family exists for; excluding it stops the family's cases being sent.
    pub check: &'static str,
    /// Other checks judged on the family's answers.
    pub riders: Vec<&'static str>,
    /// Where the family's requests go.
    pub endpoint: Endpoint,
    /// Fixed number of cases, for families where more would say nothing new.
    pub fixed_cases: Option<usize>,
    /// Whether failures are worth shrinking.
    pub shrinks: bool,
    /// The kinds of case, taken in turn.
    pub(crate) kinds: Vec<BoxedStrategy<Input>>,
    pub(crate) judge: Judge,
}

impl Family {
    /// Every check the family reports on (besides the transport and 5xx checks).
    pub fn checks(&self) -> impl Iterator<Item = &'static str> + '_ {
        std::iter::once(self.check).chain(self.riders.iter().copied())
    }

    /// How many kinds of case the family has.
    pub fn kind_count(&self) -> usize {
        self.kinds.len()
    }

    /// Cases to send when `cases` per family are asked for: never fewer than the kinds, so
    /// each kind is covered.
    pub fn case_count(&self, cases: usize) -> usize {
        self.fixed_cases
            .unwrap_or_else(|| cases.max(self.kinds.len()))
    }

    /// The strategy of case number `case`.
    pub(crate) fn strategy(&self, case: usize) -> &BoxedStrategy<Input> {
        &self.kinds[case % self.kinds.len()]
    }
}

fn body_of(v: &Value) -> Vec<u8> {
    v.to_string().into_bytes()
}

/// Removes `_deleted` facet markers: whether a server must take them for every facet is a spec
/// ambiguity with a check of its own, so no other family may carry one.
pub fn strip_deleted(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.retain(|_, item| !item.get("_deleted").is_some_and(|d| d == &json!(true)));
            map.values_mut().for_each(strip_deleted);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_deleted),
        _ => {}
    }
}

/// Puts the edges that have checks of their own into one plain form, so a server with one
/// such bug fails that check alone, whatever the seed: no `_deleted` markers, eventTime in
/// milliseconds with `Z`, the pinned core schemaURL, an eventType on every RunEvent, and
/// lower-case run ids.
pub fn normalise(v: &mut Value) {
    strip_deleted(v);
    if let Some(t) = v.get("eventTime").and_then(Value::as_str) {
        if t.len() >= 19 && t.is_char_boundary(19) {
            v["eventTime"] = json!(format!("{}.000Z", &t[..19]));
        }
    }
    let kind = if v.get("run").is_some() {
        "RunEvent"
    } else if v.get("dataset").is_some() {
        "DatasetEvent"
    } else {
        "JobEvent"
    };
    if v.get("schemaURL").is_some() {
        v["schemaURL"] = json!(openlineage_types::schema_url(kind));
    }
    if v.get("run").is_some() && v.get("eventType").is_none() {
        v["eventType"] = json!("START");
    }
    if let Some(id) = v.pointer_mut("/run/runId") {
        if let Some(lower) = id.as_str().map(str::to_ascii_lowercase) {
            *id = json!(lower);
        }
    }
}

/// Valid events of `kind`, normalised ([`normalise`]).
fn clean(gen: &ValueGen, kind: EventKind) -> Result<BoxedStrategy<Value>, Error> {
    Ok(gen
        .event_value(kind)?
        .prop_map(|mut v| {
            normalise(&mut v);
            v
        })
        .boxed())
}

/// Every eventType a RunEvent may carry.
pub const EVENT_TYPES: [&str; 6] = ["START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"];

/// Every published version of the core schema, with the pointer style of its era.
const CORE_VERSIONS: [(&str, &str); 9] = [
    ("1-0-0", "definitions"),
    ("1-0-1", "definitions"),
    ("1-0-2", "definitions"),
    ("1-0-3", "definitions"),
    ("1-0-4", "definitions"),
    ("1-0-5", "definitions"),
    ("2-0-0", "$defs"),
    ("2-0-1", "$defs"),
    ("2-0-2", "$defs"),
];

/// A family of single valid events: each kind changes a clean RunEvent (`base`) its own way.
fn valid_variants(
    name: &'static str,
    check: &'static str,
    riders: Vec<&'static str>,
    base: &BoxedStrategy<Value>,
    kinds: Vec<(String, Change)>,
) -> Family {
    let kinds = kinds
        .into_iter()
        .map(|(label, make)| {
            let make = Arc::new(make);
            base.clone()
                .prop_map(move |v| Input::one(label.clone(), make(v), vec![true]))
                .boxed()
        })
        .collect();
    Family {
        name,
        check,
        judge: judge::status(check, Want::Accept, riders.contains(&id::STATUS_200)),
        riders,
        endpoint: Endpoint::Single,
        fixed_cases: None,
        shrinks: true,
        kinds,
    }
}

type Change = Box<dyn Fn(Value) -> Req + Send + Sync>;

fn change(f: impl Fn(&mut Value) + Send + Sync + 'static) -> Change {
    Box::new(move |mut v| {
        f(&mut v);
        Req::single(body_of(&v))
    })
}

/// A lifecycle: (eventType, position in the run's own timeline), in delivery order.
type Lifecycle = &'static [(&'static str, u32)];

const IN_ORDER: [Lifecycle; 4] = [
    &[("START", 0), ("RUNNING", 1), ("COMPLETE", 2)],
    &[("START", 0), ("FAIL", 1)],
    &[("START", 0), ("OTHER", 1), ("ABORT", 2)],
    &[
        ("START", 0),
        ("RUNNING", 1),
        ("RUNNING", 2),
        ("COMPLETE", 3),
    ],
];
const OUT_OF_ORDER: [Lifecycle; 3] = [
    &[("COMPLETE", 1), ("START", 0)],
    &[("RUNNING", 1), ("START", 0), ("COMPLETE", 2)],
    &[("FAIL", 2), ("RUNNING", 1), ("START", 0)],
];
const REPEATED: [Lifecycle; 2] = [
    &[("START", 0), ("START", 0), ("COMPLETE", 1), ("COMPLETE", 1)],
    &[
        ("START", 0),
        ("RUNNING", 1),
        ("RUNNING", 1),
        ("FAIL", 2),
        ("FAIL", 2),
    ],
];

fn lifecycle_family(
    name: &'static str,
    check: &'static str,
    base: &BoxedStrategy<Value>,
    lifecycles: &[Lifecycle],
) -> Family {
    let kinds = lifecycles
        .iter()
        .map(|&steps| {
            let label = steps.iter().map(|(t, _)| *t).collect::<Vec<_>>().join(" ");
            base.clone()
                .prop_map(move |v| Input {
                    label: label.clone(),
                    requests: steps
                        .iter()
                        .map(|(event_type, at)| {
                            let mut e = v.clone();
                            e["eventType"] = json!(event_type);
                            e["eventTime"] = json!(format!("2024-06-01T12:00:{at:02}.000Z"));
                            Req::single(body_of(&e))
                        })
                        .collect(),
                    valid: vec![true; steps.len()],
                })
                .boxed()
        })
        .collect();
    Family {
        name,
        check,
        riders: vec![],
        endpoint: Endpoint::Single,
        fixed_cases: None,
        shrinks: true,
        kinds,
        judge: judge::status(check, Want::Accept, false),
    }
}

/// Builds every family from the generators.
pub fn families(gen: &ValueGen) -> Result<Vec<Family>, Error> {
    let small = ValueGen::new(GenConfig::SMALL)?;
    let mut out = Vec::new();
    let single = |label: &str, v: &Value| Input::one(label, Req::single(body_of(v)), vec![true]);
    // Generated valid events of each kind; RunEvents take every eventType in turn.
    for (kind, check, name) in [
        (EventKind::Run, id::VALID_RUN, "valid RunEvents"),
        (EventKind::Dataset, id::VALID_DATASET, "valid DatasetEvents"),
        (EventKind::Job, id::VALID_JOB, "valid JobEvents"),
    ] {
        let base = clean(gen, kind)?;
        let kinds = if kind == EventKind::Run {
            EVENT_TYPES
                .iter()
                .map(|t| {
                    base.clone()
                        .prop_map(move |mut v| {
                            v["eventType"] = json!(t);
                            single(t, &v)
                        })
                        .boxed()
                })
                .collect()
        } else {
            vec![base.prop_map(move |v| single(name, &v)).boxed()]
        };
        out.push(Family {
            name,
            check,
            riders: vec![id::STATUS_200],
            endpoint: Endpoint::Single,
            fixed_cases: None,
            shrinks: true,
            kinds,
            judge: judge::status(check, Want::Accept, true),
        });
    }
    let run = clean(&small, EventKind::Run)?;
    let status_200 = || vec![id::STATUS_200];
    out.push(valid_variants(
        "custom facets",
        id::CUSTOM_FACETS,
        status_200(),
        &run,
        vec![("custom run and job facets".into(), change(|v| {
            v["run"]["facets"]["acme_custom"] = json!({"_producer": "https://acme.example.com/agent", "_schemaURL": "https://acme.example.com/schemas/Custom.json", "anything": {"nested": [1, "two", null]}});
            v["job"]["facets"]["acme_job"] = json!({"_producer": "https://acme.example.com/agent", "_schemaURL": "https://acme.example.com/schemas/Job.json", "owner": "team"});
        }))],
    ));
    out.push(valid_variants(
        "unknown fields",
        id::UNKNOWN_FIELDS,
        status_200(),
        &run,
        vec![(
            "unknown fields".into(),
            change(|v| {
                v["x-conformance"] = json!({"note": "unknown top-level field"});
                v["run"]["x-conformance"] = json!(1);
                v["job"]["x-conformance"] = json!([true]);
            }),
        )],
    ));
    out.push(valid_variants(
        "no eventType",
        id::NO_EVENT_TYPE,
        status_200(),
        &run,
        vec![(
            "no eventType".into(),
            change(|v| {
                if let Some(o) = v.as_object_mut() {
                    o.remove("eventType");
                }
            }),
        )],
    ));
    let times = |list: &[&'static str]| -> Vec<(String, Change)> {
        list.iter()
            .map(|&t| {
                let label = format!("eventTime {t}");
                (label, change(move |v| v["eventTime"] = json!(t)))
            })
            .collect()
    };
    out.push(valid_variants(
        "offset eventTime",
        id::OFFSET_TIME,
        status_200(),
        &run,
        times(&[
            "2024-06-01T12:34:56.789+05:30",
            "2024-06-01T12:34:56.789-08:00",
        ]),
    ));
    out.push(valid_variants(
        "eventTime precision",
        id::TIME_PRECISION,
        status_200(),
        &run,
        times(&[
            "2024-06-01T12:34:56Z",
            "2024-06-01T12:34:56.1Z",
            "2024-06-01T12:34:56.123456Z",
            "2024-06-01T12:34:56.123456789Z",
            "2024-06-01T12:34:56.123456789+02:00",
        ]),
    ));
    out.push(valid_variants(
        "schemaURL versions",
        id::SCHEMA_URL,
        status_200(),
        &run,
        CORE_VERSIONS
            .iter()
            .map(|&(version, defs)| {
                let url = format!(
                    "https://openlineage.io/spec/{version}/OpenLineage.json#/{defs}/RunEvent"
                );
                (
                    format!("schemaURL {version}"),
                    change(move |v| v["schemaURL"] = json!(url)),
                )
            })
            .collect(),
    ));
    // A fresh UUIDv7 per case: a fixed one would make cases depend on each other on servers
    // that track runs.
    out.push(Family {
        name: "UUIDv7 run id",
        check: id::UUID_V7,
        riders: status_200(),
        endpoint: Endpoint::Single,
        fixed_cases: None,
        shrinks: true,
        kinds: vec![(run.clone(), any::<u64>(), any::<[u8; 10]>())
            .prop_map(|(mut v, ms, random)| {
                let id = uuid::Builder::from_unix_timestamp_millis(ms >> 16, &random).into_uuid();
                v["run"]["runId"] = json!(id.to_string());
                Input::one("UUIDv7", Req::single(body_of(&v)), vec![true])
            })
            .boxed()],
        judge: judge::status(id::UUID_V7, Want::Accept, true),
    });
    out.push(lifecycle_family(
        "lifecycle in order",
        id::LIFECYCLE_IN_ORDER,
        &run,
        &IN_ORDER,
    ));
    out.push(lifecycle_family(
        "lifecycle out of order",
        id::LIFECYCLE_OUT_OF_ORDER,
        &run,
        &OUT_OF_ORDER,
    ));
    out.push(lifecycle_family(
        "duplicate delivery",
        id::DUPLICATE_DELIVERY,
        &run,
        &REPEATED,
    ));
    // Request framing real clients vary.
    let framed = |label: String, f: fn(&mut Req)| -> (String, Change) {
        (
            label,
            Box::new(move |v: Value| {
                let mut req = Req::single(body_of(&v));
                f(&mut req);
                req
            }),
        )
    };
    out.push(valid_variants(
        "wrong content type",
        id::CONTENT_TYPE,
        vec![],
        &run,
        vec![framed("text/plain".into(), |r| {
            r.content_type = "text/plain"
        })],
    ));
    if let Some(f) = out.last_mut() {
        f.judge = judge::status(id::CONTENT_TYPE, Want::Below500, false);
    }
    out.push(valid_variants(
        "content type parameters",
        id::CONTENT_TYPE_PARAMS,
        vec![],
        &run,
        vec![
            framed("charset=utf-8".into(), |r| {
                r.content_type = "application/json; charset=utf-8"
            }),
            framed("charset=UTF-8 without a space".into(), |r| {
                r.content_type = "application/json;charset=UTF-8"
            }),
            framed("quoted charset".into(), |r| {
                r.content_type = "application/json; charset=\"utf-8\""
            }),
            framed("upper-case media type".into(), |r| {
                r.content_type = "Application/JSON"
            }),
        ],
    ));
    out.push(valid_variants(
        "chunked transfer coding",
        id::CHUNKED,
        vec![],
        &run,
        vec![
            framed("one chunk".into(), |r| r.chunked = Some(usize::MAX)),
            framed("64-byte chunks".into(), |r| r.chunked = Some(64)),
        ],
    ));
    out.push(valid_variants(
        "content encodings",
        id::CONTENT_ENCODING,
        vec![],
        &run,
        vec![
            framed("gzip".into(), |r| r.content_encoding = Some("gzip")),
            framed("identity".into(), |r| r.content_encoding = Some("identity")),
        ],
    ));
    if let Some(f) = out.last_mut() {
        f.judge = Arc::new(judge::content_encoding);
    }
    // The one home of the `_deleted` ambiguity.
    out.push(valid_variants(
        "_deleted facet",
        id::DELETED_FACET,
        vec![],
        &run,
        vec![
            ("_deleted job facet".into(), change(|v| {
                v["job"]["facets"]["sql"] = json!({"_producer": "https://example.com/p", "_schemaURL": "https://openlineage.io/spec/facets/1-1-0/SQLJobFacet.json", "_deleted": true});
            })),
            ("_deleted run facet".into(), change(|v| {
                v["run"]["facets"]["nominalTime"] = json!({"_producer": "https://example.com/p", "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/NominalTimeRunFacet.json", "_deleted": true});
            })),
        ],
    ));
    // Invalid events: one family per check, one kind per mutation.
    let mutations = catalogue(gen);
    let mut bases = BTreeMap::new();
    for kind in [EventKind::Run, EventKind::Dataset, EventKind::Job] {
        bases.insert(kind, clean(&small, kind)?);
    }
    let mutated = |m: &Mutation| m.strategy_on(bases[&m.base].clone(), &small);
    let mut groups: BTreeMap<&'static str, Vec<BoxedStrategy<Input>>> = BTreeMap::new();
    for m in &mutations {
        let label = m.id.clone();
        let s = mutated(m)?
            .prop_map(move |mutated| {
                let body = match mutated.body {
                    Body::Json(mut v) => {
                        strip_deleted(&mut v);
                        body_of(&v)
                    }
                    raw => raw.to_bytes(),
                };
                Input::one(label.clone(), Req::single(body), vec![false])
            })
            .boxed();
        groups.entry(m.check).or_default().push(s);
    }
    for (check, kinds) in groups {
        let strict =
            crate::checks::find(check).is_some_and(|c| c.tier == crate::checks::CheckTier::Strict);
        let riders = if strict {
            vec![]
        } else {
            vec![id::INVALID_STATUS]
        };
        out.push(Family {
            name: check,
            check,
            judge: judge::status(check, Want::Reject, !strict),
            riders,
            endpoint: Endpoint::Single,
            fixed_cases: None,
            shrinks: true,
            kinds,
        });
    }
    batch_families(gen, &small, &mutations, &mutated, &mut out)?;
    Ok(out)
}

/// RunEvents in a batch take every eventType in turn.
fn typed(mut events: Vec<Value>) -> Vec<Value> {
    for (i, e) in events
        .iter_mut()
        .filter(|e| e.get("run").is_some())
        .enumerate()
    {
        e["eventType"] = json!(EVENT_TYPES[i % EVENT_TYPES.len()]);
    }
    events
}

fn batch_families(
    gen: &ValueGen,
    small: &ValueGen,
    mutations: &[Mutation],
    mutated: &dyn Fn(&Mutation) -> Result<BoxedStrategy<crate::mutate::Mutated>, Error>,
    out: &mut Vec<Family>,
) -> Result<(), Error> {
    let any_valid = small
        .any_event_value()?
        .prop_map(|mut v| {
            normalise(&mut v);
            v
        })
        .boxed();
    let valid_batch = |label: &'static str, events: BoxedStrategy<Value>, min: usize| {
        proptest::collection::vec(events, min..=10)
            .prop_map(move |events| {
                let events = typed(events);
                Input::one(
                    label,
                    Req::batch(body_of(&Value::Array(events.clone()))),
                    vec![true; events.len()],
                )
            })
            .boxed()
    };
    out.push(Family {
        name: "valid batches",
        check: id::BATCH_VALID,
        riders: vec![id::BATCH_STATUS, id::RESPONSE_SCHEMA],
        endpoint: Endpoint::Batch,
        fixed_cases: None,
        shrinks: true,
        kinds: vec![
            valid_batch("every event kind", any_valid.clone(), 6),
            valid_batch("DatasetEvents", clean(small, EventKind::Dataset)?, 1),
            valid_batch("JobEvents", clean(small, EventKind::Job)?, 1),
        ],
        judge: Arc::new(|input, o| judge::valid_batch(id::BATCH_VALID, input, o)),
    });
    // Invalid batch items, one group per core check.
    let mut invalid: BTreeMap<&'static str, Vec<BoxedStrategy<Value>>> = BTreeMap::new();
    for m in mutations.iter().filter(|m| m.tier == MTier::Core) {
        let s = mutated(m)?
            .prop_filter_map("JSON body", |mutated| match mutated.body {
                Body::Json(mut v) => {
                    strip_deleted(&mut v);
                    Some(v)
                }
                Body::Raw(_) => None,
            })
            .boxed();
        invalid.entry(m.check).or_default().push(s);
    }
    let mut mixed_kinds = Vec::new();
    let mut failed_kinds = Vec::new();
    for (check, strategies) in invalid {
        let label = check
            .trim_start_matches("single.invalid.")
            .trim_end_matches(".rejected");
        let bad = one_of(strategies).boxed();
        let item = one_of(vec![
            any_valid.clone().prop_map(|v| (true, v)).boxed(),
            bad.clone().prop_map(|v| (false, v)).boxed(),
        ]);
        mixed_kinds.push(
            proptest::collection::vec(item, 2..=12)
                .prop_filter("a mixed batch has both", |items| {
                    items.iter().any(|(ok, _)| *ok) && items.iter().any(|(ok, _)| !*ok)
                })
                .prop_map(move |items| Input {
                    label: format!("invalid: {label}"),
                    valid: items.iter().map(|(ok, _)| *ok).collect(),
                    requests: vec![Req::batch(body_of(&Value::Array(
                        items.into_iter().map(|(_, v)| v).collect(),
                    )))],
                })
                .boxed(),
        );
        failed_kinds.push(
            proptest::collection::vec(bad, 1..=6)
                .prop_map(move |items| {
                    Input::one(
                        format!("invalid: {label}"),
                        Req::batch(body_of(&Value::Array(items.clone()))),
                        vec![false; items.len()],
                    )
                })
                .boxed(),
        );
    }
    out.push(Family {
        name: "mixed batches",
        check: id::MIXED_SUMMARY,
        riders: vec![
            id::MIXED_STATUS,
            id::MIXED_INDICES,
            id::MIXED_VALID_COUNTED,
            id::MIXED_RETRIABLE,
            id::MIXED_200,
            id::RESPONSE_SCHEMA,
            id::NOT_RETRIABLE,
        ],
        endpoint: Endpoint::Batch,
        fixed_cases: None,
        shrinks: true,
        kinds: mixed_kinds,
        judge: Arc::new(judge::mixed_batch),
    });
    out.push(Family {
        name: "all-failed batches",
        check: id::ALL_FAILED,
        riders: vec![id::RESPONSE_SCHEMA, id::NOT_RETRIABLE],
        endpoint: Endpoint::Batch,
        fixed_cases: None,
        shrinks: true,
        kinds: failed_kinds,
        judge: Arc::new(judge::all_failed_batch),
    });
    // Hundreds of events and megabytes: 300 typical RunEvents, every fifth carrying a custom
    // facet with about 40 kB of text (as a long SQL query or an embedded document would).
    // Bulk text keeps the body large without making generation or validation slow. One case
    // says what many would, and shrinking would resend megabytes for each step.
    let medium = clean(gen, EventKind::Run)?;
    let bulk = text(&ASCII_TEXT, 64..=64).prop_map(|fragment| fragment.repeat(640));
    out.push(Family {
        name: "large batches",
        check: id::LARGE,
        riders: vec![id::RESPONSE_SCHEMA],
        endpoint: Endpoint::Batch,
        fixed_cases: Some(1),
        shrinks: false,
        kinds: vec![(proptest::collection::vec(medium, 300..=300), bulk)
            .prop_map(|(mut events, bulk)| {
                for event in events.iter_mut().step_by(5) {
                    event["job"]["facets"]["conformance_bulk"] = json!({
                        "_producer": "https://example.com/conformance",
                        "_schemaURL": "https://example.com/conformance/BulkJobFacet.json",
                        "text": bulk,
                    });
                }
                let events = typed(events);
                Input::one(
                    "300 RunEvents",
                    Req::batch(body_of(&Value::Array(events.clone()))),
                    vec![true; events.len()],
                )
            })
            .boxed()],
        judge: Arc::new(|input, o| judge::valid_batch(id::LARGE, input, o)),
    });
    out.push(Family {
        name: "empty batch",
        check: id::EMPTY,
        riders: vec![],
        endpoint: Endpoint::Batch,
        fixed_cases: Some(1),
        shrinks: false,
        kinds: vec![Just(Input::one("[]", Req::batch(b"[]".to_vec()), vec![])).boxed()],
        judge: judge::status(id::EMPTY, Want::Below500, false),
    });
    out.push(Family {
        name: "non-array batch",
        check: id::NOT_ARRAY,
        riders: vec![],
        endpoint: Endpoint::Batch,
        fixed_cases: None,
        shrinks: true,
        kinds: vec![any_valid
            .clone()
            .prop_map(|v| Input::one("one event object", Req::batch(body_of(&v)), vec![]))
            .boxed()],
        judge: judge::status(id::NOT_ARRAY, Want::Reject, false),
    });
    let cut = |events: Vec<Value>| {
        let text = Value::Array(events).to_string();
        text.as_bytes()[..text.len() / 2].to_vec()
    };
    out.push(Family {
        name: "malformed batch",
        check: id::BATCH_MALFORMED,
        riders: vec![],
        endpoint: Endpoint::Batch,
        fixed_cases: None,
        shrinks: true,
        kinds: vec![
            proptest::collection::vec(any_valid.clone(), 1..=4)
                .prop_map(move |events| Input::one("truncated", Req::batch(cut(events)), vec![]))
                .boxed(),
            proptest::collection::vec(any_valid, 1..=4)
                .prop_map(|events| {
                    let text = Value::Array(events).to_string();
                    Input::one(
                        "content after the array",
                        Req::batch(format!("{text} trailing").into_bytes()),
                        vec![],
                    )
                })
                .boxed(),
            Just(Input::one("empty body", Req::batch(Vec::new()), vec![])).boxed(),
        ],
        judge: judge::status(id::BATCH_MALFORMED, Want::Reject, false),
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::seeded_runner;
    use proptest::strategy::ValueTree;

    fn all() -> Vec<Family> {
        families(&ValueGen::new(GenConfig::MEDIUM).expect("generator")).expect("families")
    }

    #[test]
    fn the_large_batch_has_hundreds_of_events_and_megabytes() {
        let all = all();
        let family = all
            .iter()
            .find(|f| f.check == id::LARGE)
            .expect("large batches");
        let input = family
            .strategy(0)
            .new_tree(&mut seeded_runner(1))
            .expect("case")
            .current();
        let body = &input.requests[0].body;
        let events: Vec<Value> = serde_json::from_slice(body).expect("a JSON array");
        assert_eq!(events.len(), 300);
        assert!(body.len() > 1_000_000, "{} bytes", body.len());
    }

    #[test]
    fn only_the_ambiguity_family_sends_deleted_markers() {
        for family in all() {
            for case in 0..family.case_count(4) {
                for seed in [1, 3, 42] {
                    let input = family
                        .strategy(case)
                        .new_tree(&mut seeded_runner(seed))
                        .expect("case")
                        .current();
                    let has = input
                        .requests
                        .iter()
                        .any(|r| r.body.windows(10).any(|w| w == b"\"_deleted\""));
                    assert_eq!(
                        has,
                        family.check == id::DELETED_FACET,
                        "{} case {case} seed {seed}",
                        family.name
                    );
                }
            }
        }
    }

    #[test]
    fn every_mutation_serves_a_declared_check() {
        let gen = ValueGen::new(GenConfig::SMALL).expect("generator");
        for m in catalogue(&gen) {
            assert!(crate::checks::find(m.check).is_some(), "{}", m.id);
        }
    }
}
