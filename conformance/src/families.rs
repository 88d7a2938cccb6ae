//! The check families, as data: each names the check it serves, the checks that ride along on
//! its answers, the endpoint it needs, and its kinds of case. Case `n` of a family is of kind
//! `n % kinds` (randomness within the kind), so every run covers every kind and a server with
//! one fixed bug fails the same checks whatever the seed. How answers are judged is in
//! [`crate::judge`]; the engine in [`crate::runner`] sends the cases and keeps score.

use std::collections::BTreeMap;
use std::sync::Arc;

use openlineage_types::arb::draw::{self, just, leaf, zip, zip3, Gen};
use openlineage_types::arb::pick::one_of;
use openlineage_types::arb::text::{text, ASCII_TEXT};
use openlineage_types::arb::{GenConfig, ValueGen};
use openlineage_types::EventKind;
use proptest::prelude::*;
use serde_json::{json, Value};

use crate::checks::{CheckId, CheckTier, Scope};
use crate::judge::{self, Judge, Want};
use crate::mutate::{catalogue, Body, Breaks, Mutation};
use crate::wire::{Endpoint, Input, Purpose, Req};
use crate::Error;

/// A family of cases.
pub struct Family {
    /// The family's name (it also seeds the family's cases).
    pub name: &'static str,
    /// Where the family's requests go.
    pub endpoint: Endpoint,
    /// Fixed number of cases, for families where more would say nothing new.
    pub fixed_cases: Option<usize>,
    /// Whether failures are worth shrinking.
    pub shrinks: bool,
    /// The kinds of case, taken in turn.
    pub(crate) kinds: Vec<Gen<Input>>,
    /// How answers are judged; the first check it declares is the one the family exists for.
    pub(crate) judge: Judge,
}

impl Family {
    /// The check the family exists for; excluding it stops the family's cases being sent.
    pub fn check(&self) -> CheckId {
        self.judge.declares()[0]
    }

    /// Whether the family reads back what it sent, and so sends only with `--read-back`.
    pub fn reads_back(&self) -> bool {
        matches!(self.check().check().scope, Scope::ReadBack(_))
    }

    /// Every check the family's answers are judged for besides the transport checks: its
    /// judge's own and those every answer of its endpoint gets.
    pub fn checks(&self) -> impl Iterator<Item = CheckId> + '_ {
        self.judge
            .declares()
            .iter()
            .copied()
            .chain(judge::universal(self.endpoint))
            .filter(|c| c.check().scope != Scope::Transport)
    }

    /// The checks that select the family (`--include`): its judge's own, and for batch
    /// families the checks every batch answer gets. The transport and 5xx checks, judged on
    /// every request, do not pull families in.
    pub fn selected_by(&self) -> impl Iterator<Item = CheckId> + '_ {
        let batch = if self.endpoint == Endpoint::Batch {
            judge::BATCH_ANSWER
        } else {
            &[]
        };
        self.judge.declares().iter().chain(batch).copied()
    }

    /// The judge of the family's answers.
    pub fn judge(&self) -> &Judge {
        &self.judge
    }

    /// Cases to send when `cases` per family are asked for: never fewer than the kinds, so
    /// each kind is covered.
    pub fn case_count(&self, cases: usize) -> usize {
        self.fixed_cases
            .unwrap_or_else(|| cases.max(self.kinds.len()))
    }

    /// The strategy of case number `case`.
    pub(crate) fn strategy(&self, case: usize) -> &Gen<Input> {
        &self.kinds[case % self.kinds.len()]
    }
}

/// The JSON text of `v`. `serde_json::to_vec` writes straight into the buffer; `to_string`
/// (`Display`) goes through a formatter adapter and took about twice as long.
pub(crate) fn body_of(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).expect("a JSON value always serializes")
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
/// milliseconds with `Z`, the pinned core schemaURL, an eventType on every RunEvent, no empty
/// dataset lists, and lower-case run ids.
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
    // Empty dataset lists are a case of their own (single.valid.empty_lists.accepted).
    if let Some(o) = v.as_object_mut() {
        for key in ["inputs", "outputs"] {
            if o.get(key)
                .is_some_and(|l| l.as_array().is_some_and(Vec::is_empty))
            {
                o.remove(key);
            }
        }
    }
    if let Some(id) = v.pointer_mut("/run/runId") {
        if let Some(lower) = id.as_str().map(str::to_ascii_lowercase) {
            *id = json!(lower);
        }
    }
}

/// Valid events of `kind`, normalised ([`normalise`]).
fn clean(gen: &ValueGen, kind: EventKind) -> Result<Gen<Value>, Error> {
    Ok(gen.event_value(kind)?.map(|mut v| {
        normalise(&mut v);
        v
    }))
}

/// Every eventType a RunEvent may carry.
pub const EVENT_TYPES: [&str; 6] = ["START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"];

/// The pointer style of a core schema version's era: `definitions` before 2-0-0, `$defs` after.
fn defs_of(version: &str) -> &'static str {
    if version.starts_with("1-") {
        "definitions"
    } else {
        "$defs"
    }
}

/// A family of single valid events: each kind changes a clean RunEvent (`base`) its own way.
fn valid_variants(
    name: &'static str,
    judge: Judge,
    base: &Gen<Value>,
    kinds: Vec<(String, Change)>,
) -> Family {
    let kinds = kinds
        .into_iter()
        .map(|(label, make)| {
            let make = Arc::new(make);
            base.clone()
                .map(move |v| Input::one(label.clone(), make(v), vec![true]))
        })
        .collect();
    Family {
        name,
        judge,
        endpoint: Endpoint::Single,
        fixed_cases: None,
        shrinks: true,
        kinds,
    }
}

/// The judge of a family of valid single events: accepted, and with exactly 200 riding along.
fn accepted(check: CheckId) -> Judge {
    judge::status(check, Want::Accept, Some(CheckId::Status200))
}

type Change = Box<dyn Fn(Value) -> Req + Send + Sync>;

fn change(f: impl Fn(&mut Value) + Send + Sync + 'static) -> Change {
    Box::new(move |mut v| {
        f(&mut v);
        Req::single(body_of(&v))
    })
}

/// One kind of case per value: the top-level `field` set to it, labelled `{field} {value}`.
fn set_each(field: &'static str, values: &[&'static str]) -> Vec<(String, Change)> {
    values
        .iter()
        .map(|&value| {
            (
                format!("{field} {value}"),
                change(move |v| v[field] = json!(value)),
            )
        })
        .collect()
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
    check: CheckId,
    base: &Gen<Value>,
    lifecycles: &[Lifecycle],
) -> Family {
    let kinds = lifecycles
        .iter()
        .map(|&steps| {
            let label = steps.iter().map(|(t, _)| *t).collect::<Vec<_>>().join(" ");
            base.clone().map(move |mut v| Input {
                label: label.clone(),
                // Every step sets both fields, so one event serves them all, each written
                // before the next step changes it.
                requests: steps
                    .iter()
                    .map(|(event_type, at)| {
                        v["eventType"] = json!(event_type);
                        v["eventTime"] = json!(format!("2024-06-01T12:00:{at:02}.000Z"));
                        Req::single(body_of(&v))
                    })
                    .collect(),
                valid: vec![true; steps.len()],
                purpose: Purpose::Events,
                reads_back: false,
            })
        })
        .collect();
    Family {
        name,
        endpoint: Endpoint::Single,
        fixed_cases: None,
        shrinks: true,
        kinds,
        judge: judge::status(check, Want::Accept, None),
    }
}

/// Builds every family from the generators.
pub fn families(gen: &ValueGen) -> Result<Vec<Family>, Error> {
    let small = ValueGen::new(GenConfig::SMALL)?;
    let mut out = Vec::new();
    let single = |label: &str, v: &Value| Input::one(label, Req::single(body_of(v)), vec![true]);
    // Generated valid events of each kind; RunEvents take every eventType in turn.
    for (kind, check, name) in [
        (EventKind::Run, CheckId::ValidRun, "valid RunEvents"),
        (
            EventKind::Dataset,
            CheckId::ValidDataset,
            "valid DatasetEvents",
        ),
        (EventKind::Job, CheckId::ValidJob, "valid JobEvents"),
    ] {
        let base = clean(gen, kind)?;
        let kinds = if kind == EventKind::Run {
            EVENT_TYPES
                .iter()
                .map(|t| {
                    base.clone().map(move |mut v| {
                        v["eventType"] = json!(t);
                        single(t, &v)
                    })
                })
                .collect()
        } else {
            vec![base.map(move |v| single(name, &v))]
        };
        out.push(Family {
            name,
            endpoint: Endpoint::Single,
            fixed_cases: None,
            shrinks: true,
            kinds,
            judge: accepted(check),
        });
    }
    let run = clean(&small, EventKind::Run)?;
    out.push(valid_variants(
        "custom facets",
        accepted(CheckId::CustomFacets),
        &run,
        vec![("custom run and job facets".into(), change(|v| {
            v["run"]["facets"]["acme_custom"] = json!({"_producer": "https://acme.example.com/agent", "_schemaURL": "https://acme.example.com/schemas/Custom.json", "anything": {"nested": [1, "two", null]}});
            v["job"]["facets"]["acme_job"] = json!({"_producer": "https://acme.example.com/agent", "_schemaURL": "https://acme.example.com/schemas/Job.json", "owner": "team"});
        }))],
    ));
    out.push(valid_variants(
        "unknown fields",
        accepted(CheckId::UnknownFields),
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
        accepted(CheckId::NoEventType),
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
    out.push(valid_variants(
        "offset eventTime",
        accepted(CheckId::OffsetTime),
        &run,
        set_each(
            "eventTime",
            &[
                "2024-06-01T12:34:56.789+05:30",
                "2024-06-01T12:34:56.789-08:00",
            ],
        ),
    ));
    out.push(valid_variants(
        "eventTime precision",
        accepted(CheckId::TimePrecision),
        &run,
        set_each(
            "eventTime",
            &[
                "2024-06-01T12:34:56Z",
                "2024-06-01T12:34:56.1Z",
                "2024-06-01T12:34:56.123456Z",
                "2024-06-01T12:34:56.123456789Z",
                "2024-06-01T12:34:56.123456789+02:00",
            ],
        ),
    ));
    out.push(valid_variants(
        "schemaURL versions",
        accepted(CheckId::SchemaUrl),
        &run,
        crate::producer::event::CORE_VERSIONS
            .iter()
            .map(|&version| {
                let defs = defs_of(version);
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
        endpoint: Endpoint::Single,
        fixed_cases: None,
        shrinks: true,
        kinds: vec![
            zip3(run.clone(), leaf(any::<u64>()), leaf(any::<[u8; 10]>())).map(
                |(mut v, ms, random)| {
                    let id =
                        uuid::Builder::from_unix_timestamp_millis(ms >> 16, &random).into_uuid();
                    v["run"]["runId"] = json!(id.to_string());
                    Input::one("UUIDv7", Req::single(body_of(&v)), vec![true])
                },
            ),
        ],
        judge: accepted(CheckId::UuidV7),
    });
    out.push(lifecycle_family(
        "lifecycle in order",
        CheckId::LifecycleInOrder,
        &run,
        &IN_ORDER,
    ));
    out.push(lifecycle_family(
        "lifecycle out of order",
        CheckId::LifecycleOutOfOrder,
        &run,
        &OUT_OF_ORDER,
    ));
    out.push(lifecycle_family(
        "duplicate delivery",
        CheckId::DuplicateDelivery,
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
        judge::status(CheckId::ContentType, Want::Below500, None),
        &run,
        vec![framed("text/plain".into(), |r| {
            r.content_type = "text/plain"
        })],
    ));
    out.push(valid_variants(
        "content type parameters",
        judge::status(CheckId::ContentTypeParams, Want::Accept, None),
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
        judge::status(CheckId::Chunked, Want::Accept, None),
        &run,
        vec![
            framed("one chunk".into(), |r| r.chunked = Some(usize::MAX)),
            framed("64-byte chunks".into(), |r| r.chunked = Some(64)),
        ],
    ));
    out.push(valid_variants(
        "content encodings",
        judge::content_encoding(),
        &run,
        vec![
            framed("gzip".into(), |r| r.content_encoding = Some("gzip")),
            framed("identity".into(), |r| r.content_encoding = Some("identity")),
        ],
    ));
    spelling_families(&run, &mut out);
    value_form_families(&run, &mut out);
    // The one home of the `_deleted` ambiguity.
    out.push(valid_variants(
        "_deleted facet",
        judge::status(CheckId::DeletedFacet, Want::Accept, None),
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
    let mut groups: BTreeMap<CheckId, Vec<Gen<Input>>> = BTreeMap::new();
    for m in &mutations {
        let label = m.id.clone();
        let purpose = m.purpose();
        let valid = matches!(purpose, Purpose::Nested(_));
        let s = mutated(m)?.map(move |mutated| {
            let body = match mutated.body {
                Body::Json(mut v) => {
                    strip_deleted(&mut v);
                    body_of(&v)
                }
                raw => raw.to_bytes(),
            };
            Input::one(label.clone(), Req::single(body), vec![valid]).with_purpose(purpose)
        });
        groups.entry(m.check).or_default().push(s);
    }
    for (check, kinds) in groups {
        // A deeply nested unknown field is valid JSON a parser may refuse: the strictest
        // reading accepts it. Every other mutation is refused, with 400 or 422 riding along
        // outside the strict tier.
        let judge = match (check, check.tier()) {
            (CheckId::DeepNesting, _) => judge::status(check, Want::Accept, None),
            (_, CheckTier::Strict) => judge::status(check, Want::Reject, None),
            _ => judge::status(check, Want::Reject, Some(CheckId::InvalidStatus)),
        };
        // Every deep-nesting case is the same 200 kB of brackets around a small event: one
        // case says what many would, and shrinking keeps the brackets (what the case exists
        // for), so each step would resend them to trim the rest.
        let deep = check == CheckId::DeepNesting;
        out.push(Family {
            name: check.id(),
            judge,
            endpoint: Endpoint::Single,
            fixed_cases: deep.then_some(1),
            shrinks: !deep,
            kinds,
        });
    }
    batch_families(gen, &small, &mutations, &mutated, &mut out)?;
    out.extend(crate::readback::family::families()?);
    Ok(out)
}

/// A body made from a clean RunEvent.
type Spell = Box<dyn Fn(Value) -> Vec<u8> + Send + Sync>;

/// Valid events spelled as other serializers spell them: each kind of spelling is a kind of
/// case, so a server with one such bug fails the same check on every seed.
fn spelling_families(run: &Gen<Value>, out: &mut Vec<Family>) {
    use crate::spelling::{escaped, pretty, python, with_number};
    let family = |name: &'static str, judge: Judge, kinds: Vec<(String, Spell)>| {
        let kinds = kinds
            .into_iter()
            .map(|(label, spell)| {
                let spell = Arc::new(spell);
                run.clone()
                    .map(move |v| Input::one(label.clone(), Req::single(spell(v)), vec![true]))
            })
            .collect();
        Family {
            name,
            endpoint: Endpoint::Single,
            fixed_cases: None,
            shrinks: true,
            kinds,
            judge,
        }
    };
    let spell = |f: fn(Value) -> Vec<u8>| -> Spell { Box::new(f) };
    out.push(family(
        "whitespace",
        accepted(CheckId::Whitespace),
        vec![
            (
                "pretty-printed, two spaces".into(),
                spell(|v| pretty(&v, b"  ", false)),
            ),
            ("tabs and CRLF".into(), spell(|v| pretty(&v, b"\t", true))),
            ("Python separators".into(), spell(|v| python(&v))),
        ],
    ));
    out.push(family(
        "escapes",
        accepted(CheckId::Escapes),
        vec![(
            "\\u003c, \\/ and surrogate pairs".into(),
            spell(|mut v| {
                // Characters every escape style touches, in a name servers store and index.
                v["job"]["name"] = json!(format!(
                    "{}/daily <load> & {}",
                    v["job"]["name"].as_str().unwrap_or("etl"),
                    '\u{1F680}'
                ));
                escaped(&v)
            }),
        )],
    ));
    // Facet integers as other writers spell them; outputStatistics sets no maximum.
    let numbers = [
        "1e3",
        "1E+3",
        "1000.0",
        "9223372036854775808",
        "18446744073709551616",
        "123456789012345678901234567891",
    ];
    out.push(family(
        "number forms",
        accepted(CheckId::NumberForms),
        numbers
            .iter()
            .map(|&n| {
                let f: Spell = Box::new(move |mut v| {
                    let placeholder = "__ol_conformance_number__";
                    v["outputs"] = json!([{
                        "namespace": "s3://conformance",
                        "name": "numbers",
                        "outputFacets": {"outputStatistics": {
                            "_producer": "https://github.com/openlineage-rs/ol-conformance",
                            "_schemaURL": "https://openlineage.io/spec/facets/1-0-2/OutputStatisticsOutputDatasetFacet.json",
                            "rowCount": placeholder,
                            "size": 1024,
                        }},
                    }]);
                    with_number(&v, placeholder, n)
                });
                (format!("rowCount {n}"), f)
            })
            .collect(),
    ));
    out.push(family(
        "empty lists",
        accepted(CheckId::EmptyLists),
        vec![(
            "empty inputs and outputs".into(),
            spell(|mut v| {
                v["inputs"] = json!([]);
                v["outputs"] = json!([]);
                body_of(&v)
            }),
        )],
    ));
    out.push(family(
        "facet key case",
        accepted(CheckId::FacetKeyCase),
        vec![(
            "facets x_case_facet and X_Case_Facet".into(),
            spell(|mut v| {
                let facet = |n: u32| json!({"_producer": "https://acme.example.com/agent", "_schemaURL": "https://acme.example.com/schemas/Custom.json", "n": n});
                v["run"]["facets"]["x_case_facet"] = facet(1);
                v["run"]["facets"]["X_Case_Facet"] = facet(2);
                body_of(&v)
            }),
        )],
    ));
}

/// Valid values in the forms the formats allow, and values a storage layer may not hold: each
/// form is a kind of case of its own check.
fn value_form_families(run: &Gen<Value>, out: &mut Vec<Family>) {
    let set_all = |label: &str, f: fn(&mut Value)| (label.to_string(), change(f));
    out.push(valid_variants(
        "run id forms",
        accepted(CheckId::IdForms),
        run,
        vec![set_all("upper-case runId", |v| {
            if let Some(id) = v.pointer("/run/runId").and_then(Value::as_str) {
                v["run"]["runId"] = json!(id.to_ascii_uppercase());
            }
        })],
    ));
    out.push(valid_variants(
        "eventTime forms",
        accepted(CheckId::TimeForms),
        run,
        set_each(
            "eventTime",
            &[
                "2024-06-01t12:34:56.789z",
                "2016-12-31T23:59:60.000Z",
                "2024-06-01T12:34:56.789-00:00",
            ],
        ),
    ));
    out.push(valid_variants(
        "URI forms",
        accepted(CheckId::UriForms),
        run,
        set_each(
            "producer",
            &[
                "https://[2001:db8::1]:8443/agent",
                "https://lineage.example.com/my%20agent/v1?build=42#main",
                "HTTPS://Lineage.Example.COM/agent",
                "urn:example:lineage-agent",
            ],
        ),
    ));
    let named = |list: &[(&'static str, &'static str)]| -> Vec<(String, Change)> {
        list.iter()
            .map(|&(label, text)| {
                (
                    label.to_string(),
                    change(move |v| {
                        v["job"]["name"] = json!(format!("job {text} end"));
                        v["job"]["namespace"] = json!(format!("team {text} end"));
                        v["inputs"] = json!([{"namespace": format!("s3://bucket-{text}"), "name": format!("table {text} end")}]);
                        v["outputs"] = json!([{"namespace": "s3://bucket", "name": format!("report {text} end")}]);
                    }),
                )
            })
            .collect()
    };
    out.push(valid_variants(
        "Unicode names",
        accepted(CheckId::Unicode),
        run,
        named(&[
            ("a NUL character", "\u{0}"),
            ("other control characters", "\u{1}\u{1f}\u{7f}\u{85}"),
            ("format characters", "\u{200d}\u{feff}\u{200f}"),
            ("private use characters", "\u{e000}\u{f8ff}\u{f0000}"),
            ("noncharacters", "\u{fffe}\u{ffff}\u{10ffff}"),
        ]),
    ));
    let long = "n".repeat(10_000);
    let fields: Vec<(String, Change)> = [
        "/job/name",
        "/job/namespace",
        "/inputs/0/name",
        "/inputs/0/namespace",
        "/outputs/0/name",
        "/outputs/0/namespace",
    ]
    .into_iter()
    .map(|at| {
        let long = long.clone();
        (
            format!("{at} of 10000 characters"),
            Box::new(move |mut v: Value| {
                v["inputs"] = json!([{"namespace": "s3://bucket", "name": "table"}]);
                v["outputs"] = json!([{"namespace": "s3://bucket", "name": "report"}]);
                if let Some(slot) = v.pointer_mut(at) {
                    *slot = json!(long);
                }
                Req::single(body_of(&v))
            }) as Change,
        )
    })
    .collect();
    out.push(valid_variants(
        "long names",
        accepted(CheckId::LongNames),
        run,
        fields,
    ));
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
    mutated: &dyn Fn(&Mutation) -> Result<Gen<crate::mutate::Mutated>, Error>,
    out: &mut Vec<Family>,
) -> Result<(), Error> {
    let any_valid = small.any_event_value()?.map(|mut v| {
        normalise(&mut v);
        v
    });
    let valid_batch = |label: &'static str, events: Gen<Value>, min: usize| {
        draw::vec(events, min..=10).map(move |events| {
            let events = typed(events);
            let n = events.len();
            Input::one(
                label,
                Req::batch(body_of(&Value::Array(events))),
                vec![true; n],
            )
        })
    };
    out.push(Family {
        name: "valid batches",
        endpoint: Endpoint::Batch,
        fixed_cases: None,
        shrinks: true,
        kinds: vec![
            valid_batch("every event kind", any_valid.clone(), 6),
            // The three kinds in one batch, whatever the draw.
            zip(
                zip3(
                    clean(small, EventKind::Run)?,
                    clean(small, EventKind::Dataset)?,
                    clean(small, EventKind::Job)?,
                ),
                leaf(0..3usize),
            )
            .map(|((run, dataset, job), first)| {
                let mut events = vec![run, dataset, job];
                events.rotate_left(first);
                let events = typed(events);
                Input::one(
                    "a RunEvent, a DatasetEvent and a JobEvent",
                    Req::batch(body_of(&Value::Array(events))),
                    vec![true; 3],
                )
            }),
            valid_batch("DatasetEvents", clean(small, EventKind::Dataset)?, 1),
            valid_batch("JobEvents", clean(small, EventKind::Job)?, 1),
        ],
        judge: judge::valid_batch(CheckId::BatchValid),
    });
    // A client that resends after a partial failure puts an event in a batch twice.
    out.push(Family {
        name: "repeated events in a batch",
        endpoint: Endpoint::Batch,
        fixed_cases: None,
        shrinks: true,
        kinds: vec![zip(
            draw::vec(clean(small, EventKind::Run)?, 1..=4),
            leaf(any::<usize>()),
        )
        .map(|(events, which)| {
            let mut events = typed(events);
            let again = events[which % events.len()].clone();
            events.push(again);
            let n = events.len();
            Input::one(
                "the same event twice",
                Req::batch(body_of(&Value::Array(events))),
                vec![true; n],
            )
        })],
        judge: judge::valid_batch(CheckId::BatchRepeatedEvent),
    });
    // Invalid batch items, one group per core check.
    let mut invalid: BTreeMap<CheckId, Vec<Gen<Value>>> = BTreeMap::new();
    for m in mutations.iter().filter(|m| m.breaks == Breaks::Core) {
        let s = mutated(m)?.filter_map("JSON body", |mutated| match mutated.body {
            Body::Json(mut v) => {
                strip_deleted(&mut v);
                Some(v)
            }
            Body::Raw(_) => None,
        });
        invalid.entry(m.check).or_default().push(s);
    }
    let mut mixed_kinds = Vec::new();
    let mut failed_kinds = Vec::new();
    for (check, strategies) in invalid {
        let label = check
            .id()
            .trim_start_matches("single.invalid.")
            .trim_end_matches(".rejected");
        let bad = Gen::new(one_of(strategies));
        let item = Gen::new(one_of(vec![
            any_valid.clone().map(|v| (true, v)),
            bad.clone().map(|v| (false, v)),
        ]));
        mixed_kinds.push(
            draw::vec(item, 2..=12)
                .filter("a mixed batch has both", |items| {
                    items.iter().any(|(ok, _)| *ok) && items.iter().any(|(ok, _)| !*ok)
                })
                .map(move |items| Input {
                    label: format!("invalid: {label}"),
                    valid: items.iter().map(|(ok, _)| *ok).collect(),
                    requests: vec![Req::batch(body_of(&Value::Array(
                        items.into_iter().map(|(_, v)| v).collect(),
                    )))],
                    purpose: Purpose::Events,
                    reads_back: false,
                }),
        );
        failed_kinds.push(draw::vec(bad, 1..=6).map(move |items| {
            let n = items.len();
            Input::one(
                format!("invalid: {label}"),
                Req::batch(body_of(&Value::Array(items))),
                vec![false; n],
            )
        }));
    }
    out.push(Family {
        name: "mixed batches",
        endpoint: Endpoint::Batch,
        fixed_cases: None,
        shrinks: true,
        kinds: mixed_kinds,
        judge: judge::mixed_batch(),
    });
    out.push(Family {
        name: "all-failed batches",
        endpoint: Endpoint::Batch,
        fixed_cases: None,
        shrinks: true,
        kinds: failed_kinds,
        judge: judge::all_failed_batch(),
    });
    // Hundreds of events and megabytes: 300 typical RunEvents, every fifth carrying a custom
    // facet with about 40 kB of text (as a long SQL query or an embedded document would).
    // Bulk text keeps the body large without making generation or validation slow. One case
    // says what many would, and shrinking would resend megabytes for each step.
    let medium = clean(gen, EventKind::Run)?;
    let bulk = Gen::new(text(&ASCII_TEXT, 64..=64)).map(|fragment| fragment.repeat(640));
    out.push(Family {
        name: "large batches",
        endpoint: Endpoint::Batch,
        fixed_cases: Some(1),
        shrinks: false,
        kinds: vec![
            zip(draw::vec(medium, 300..=300), bulk).map(|(mut events, bulk)| {
                for event in events.iter_mut().step_by(5) {
                    event["job"]["facets"]["conformance_bulk"] = json!({
                        "_producer": "https://example.com/conformance",
                        "_schemaURL": "https://example.com/conformance/BulkJobFacet.json",
                        "text": bulk,
                    });
                }
                let events = typed(events);
                let n = events.len();
                Input::one(
                    "300 RunEvents",
                    Req::batch(body_of(&Value::Array(events))),
                    vec![true; n],
                )
            }),
        ],
        judge: judge::valid_batch(CheckId::Large),
    });
    out.push(Family {
        name: "empty batch",
        endpoint: Endpoint::Batch,
        fixed_cases: Some(1),
        shrinks: false,
        kinds: vec![just(
            Input::one("[]", Req::batch(b"[]".to_vec()), vec![]).with_purpose(Purpose::Anything),
        )],
        judge: judge::status(CheckId::Empty, Want::Below500, None),
    });
    out.push(Family {
        name: "non-array batch",
        endpoint: Endpoint::Batch,
        fixed_cases: None,
        shrinks: true,
        kinds: vec![any_valid.clone().map(|v| {
            Input::one("one event object", Req::batch(body_of(&v)), vec![])
                .with_purpose(Purpose::Anything)
        })],
        judge: judge::status(CheckId::NotArray, Want::Reject, None),
    });
    let cut = |events: Vec<Value>| {
        let mut body = body_of(&Value::Array(events));
        body.truncate(body.len() / 2);
        body
    };
    out.push(Family {
        name: "malformed batch",
        endpoint: Endpoint::Batch,
        fixed_cases: None,
        shrinks: true,
        kinds: vec![
            draw::vec(any_valid.clone(), 1..=4).map(move |events| {
                Input::one("truncated", Req::batch(cut(events)), vec![])
                    .with_purpose(Purpose::NotJson)
            }),
            draw::vec(any_valid, 1..=4).map(|events| {
                let mut body = body_of(&Value::Array(events));
                body.extend_from_slice(b" trailing");
                Input::one("content after the array", Req::batch(body), vec![])
                    .with_purpose(Purpose::NotJson)
            }),
            just(
                Input::one("empty body", Req::batch(Vec::new()), vec![])
                    .with_purpose(Purpose::NotJson),
            ),
        ],
        judge: judge::status(CheckId::BatchMalformed, Want::Reject, None),
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

    /// Case number `case` of `family`, drawn with `seed`.
    fn case(family: &Family, case: usize, seed: u64) -> Input {
        family
            .strategy(case)
            .new_tree(&mut seeded_runner(seed))
            .expect("case")
            .current()
    }

    #[test]
    fn the_large_batch_has_hundreds_of_events_and_megabytes() {
        let all = all();
        let family = all
            .iter()
            .find(|f| f.check() == CheckId::Large)
            .expect("large batches");
        let input = case(family, 0, 1);
        let body = &input.requests[0].body;
        let events: Vec<Value> = serde_json::from_slice(body).expect("a JSON array");
        assert_eq!(events.len(), 300);
        assert!(body.len() > 1_000_000, "{} bytes", body.len());
    }

    #[test]
    fn the_deep_nesting_family_sends_one_unshrunk_case_of_full_depth() {
        let all = all();
        let family = all
            .iter()
            .find(|f| f.check() == CheckId::DeepNesting)
            .expect("deep nesting family");
        assert_eq!(family.case_count(512), 1);
        assert!(!family.shrinks);
        let input = case(family, 0, 5);
        let body = &input.requests[0].body;
        let text = std::str::from_utf8(body).expect("UTF-8");
        let depth = crate::mutate::DEEP_NESTING;
        let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let head = format!("{{\"x-deep\":{nested},");
        let rest = text.strip_prefix(&head).expect("the nesting comes first");
        // The event after the brackets is intact.
        let event: Value = serde_json::from_str(&format!("{{{rest}")).expect("an event");
        assert!(event.get("eventTime").is_some(), "{event}");
        assert!(input.keeps_purpose());
    }

    #[test]
    fn only_the_ambiguity_family_sends_deleted_markers() {
        for family in all() {
            for n in 0..family.case_count(4) {
                for seed in [1, 3, 42] {
                    let input = case(&family, n, seed);
                    let has = input
                        .requests
                        .iter()
                        .any(|r| r.body.windows(10).any(|w| w == b"\"_deleted\""));
                    assert_eq!(
                        has,
                        family.check() == CheckId::DeletedFacet,
                        "{} case {n} seed {seed}",
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
            assert!(crate::checks::find(m.check.id()).is_some(), "{}", m.id);
        }
    }
}
