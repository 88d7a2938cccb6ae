//! The check families: what each sends (strategies over the generators) and how each answer
//! is judged, check by check. The engine in [`crate::runner`] sends the cases and keeps score.

use std::collections::BTreeMap;
use std::sync::Arc;

use openlineage_types::arb::pick::one_of;
use openlineage_types::arb::text::{text, ASCII_TEXT};
use openlineage_types::arb::{GenConfig, ValueGen};
use openlineage_types::{BatchResponse, BatchResponseStatus, EventKind};
use proptest::prelude::*;
use serde_json::{json, Value};

use crate::mutate::{catalogue, Body, Mutation, Tier as MTier};
use crate::Error;

/// Which endpoint a request goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `POST {base}/lineage`.
    Single,
    /// `POST {base}/lineage/batch`.
    Batch,
}

/// One request to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Req {
    /// Where it goes.
    pub endpoint: Endpoint,
    /// The body, before any gzip.
    pub body: Vec<u8>,
    /// The Content-Type header.
    pub content_type: &'static str,
}

impl Req {
    fn single(body: Vec<u8>) -> Self {
        Req {
            endpoint: Endpoint::Single,
            body,
            content_type: "application/json",
        }
    }
    fn batch(body: Vec<u8>) -> Self {
        Req {
            endpoint: Endpoint::Batch,
            body,
            content_type: "application/json",
        }
    }
}

/// What one case sends, and what the judge needs to know about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    /// Requests, sent in order.
    pub requests: Vec<Req>,
    /// For batches: which positions hold valid events.
    pub valid: Vec<bool>,
}

/// What came back for one request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observed {
    /// HTTP status, if there was an answer.
    pub status: Option<u16>,
    /// Content-Type of the answer.
    pub content_type: Option<String>,
    /// The answer body, capped.
    pub body: Vec<u8>,
    /// Transport failure (timeout, reset, refused), if any.
    pub error: Option<String>,
    /// True when the request timed out.
    pub timed_out: bool,
    /// True when the request was not sent because the target had stopped answering.
    pub skipped: bool,
}

/// A valid-event variant: check id, family name, and the change made to a valid RunEvent.
type Variant = (&'static str, &'static str, fn(Value) -> Value);

/// A check's verdict on one case.
pub(crate) type Verdict = (&'static str, Result<(), String>);
/// Judges are shared by the send workers, which judge each answer as it arrives.
pub(crate) type Judge = Arc<dyn Fn(&Input, &[Observed]) -> Vec<Verdict> + Send + Sync>;

/// A family of cases: a strategy for inputs and the checks that judge them.
pub struct Family {
    /// The family's name, for progress output.
    pub name: &'static str,
    /// The checks this family reports on (besides the transport and 5xx checks).
    pub checks: Vec<&'static str>,
    pub(crate) strategy: BoxedStrategy<Input>,
    pub(crate) judge: Judge,
}

impl Family {
    /// One case is enough: the empty batch is always the same, and one large batch of
    /// megabytes says what many would.
    pub(crate) fn single_case(&self) -> bool {
        matches!(self.name, "empty batch" | "large batches")
    }

    /// Whether failures are worth shrinking. The large batch's size is the point, and each
    /// step would resend megabytes.
    pub(crate) fn shrinks(&self) -> bool {
        self.name != "large batches"
    }
}

fn body_of(v: &Value) -> Vec<u8> {
    v.to_string().into_bytes()
}

fn is_2xx(o: &Observed) -> bool {
    o.status.is_some_and(|s| (200..300).contains(&s))
}

fn is_4xx(o: &Observed) -> bool {
    o.status.is_some_and(|s| (400..500).contains(&s))
}

fn status_text(o: &Observed) -> String {
    match (o.status, &o.error) {
        (Some(s), _) => format!("status {s}"),
        (None, Some(e)) => format!("no answer ({e})"),
        (None, None) => "no answer".into(),
    }
}

fn expect(cond: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    if cond {
        Ok(())
    } else {
        Err(message())
    }
}

/// Builds every family from the generators.
pub fn families(gen: &ValueGen) -> Result<Vec<Family>, Error> {
    let small = ValueGen::new(GenConfig::SMALL)?;
    let mut out = Vec::new();
    let single = |v: Value| Input {
        requests: vec![Req::single(body_of(&v))],
        valid: vec![true],
    };
    let accepted = |id: &'static str| -> Judge { Arc::new(move |_, o| accept_judge(id, o)) };
    for (kind, id, name) in [
        (
            EventKind::Run,
            "single.valid.run.accepted",
            "valid RunEvents",
        ),
        (
            EventKind::Dataset,
            "single.valid.dataset.accepted",
            "valid DatasetEvents",
        ),
        (
            EventKind::Job,
            "single.valid.job.accepted",
            "valid JobEvents",
        ),
    ] {
        out.push(Family {
            name,
            checks: vec![id, "single.valid.status_200"],
            strategy: gen.event_value(kind)?.prop_map(single).boxed(),
            judge: accepted(id),
        });
    }
    let run = || small.event_value(EventKind::Run);
    let variants: [Variant; 6] = [
        (
            "single.valid.custom_facets.accepted",
            "custom facets",
            |mut v| {
                v["run"]["facets"]["acme_custom"] = json!({"_producer": "https://acme.example.com/agent", "_schemaURL": "https://acme.example.com/schemas/Custom.json", "anything": {"nested": [1, "two", null]}});
                v["job"]["facets"]["acme_job"] = json!({"_producer": "https://acme.example.com/agent", "_schemaURL": "https://acme.example.com/schemas/Job.json", "owner": "team"});
                v
            },
        ),
        (
            "single.valid.unknown_fields.accepted",
            "unknown fields",
            |mut v| {
                v["x-conformance"] = json!({"note": "unknown top-level field"});
                v["run"]["x-conformance"] = json!(1);
                v["job"]["x-conformance"] = json!([true]);
                v
            },
        ),
        (
            "single.valid.no_event_type.accepted",
            "no eventType",
            |mut v| {
                if let Some(o) = v.as_object_mut() {
                    o.remove("eventType");
                }
                v
            },
        ),
        (
            "single.valid.offset_time.accepted",
            "offset eventTime",
            |mut v| {
                v["eventTime"] = json!("2024-06-01T12:34:56.789+05:30");
                v
            },
        ),
        ("single.valid.uuid_v7.accepted", "UUIDv7 run id", |mut v| {
            v["run"]["runId"] = json!("0190d5a4-7c6c-7b8e-9f00-3a5c1e2d4b6f");
            v
        }),
        (
            "single.valid.deleted_facet.accepted",
            "_deleted facet",
            |mut v| {
                v["job"]["facets"]["sql"] = json!({"_producer": "https://example.com/p", "_schemaURL": "https://openlineage.io/spec/facets/1-1-0/SQLJobFacet.json", "_deleted": true});
                v
            },
        ),
    ];
    for (id, name, f) in variants {
        out.push(Family {
            name,
            checks: vec![id, "single.valid.status_200"],
            strategy: run()?.prop_map(move |v| single(f(v))).boxed(),
            judge: accepted(id),
        });
    }
    out.push(Family {
        name: "duplicate delivery",
        checks: vec!["single.duplicate_delivery.accepted"],
        strategy: run()?
            .prop_map(|v| Input {
                requests: vec![Req::single(body_of(&v)), Req::single(body_of(&v))],
                valid: vec![true, true],
            })
            .boxed(),
        judge: Arc::new(|_, o| {
            vec![(
                "single.duplicate_delivery.accepted",
                expect(o.len() == 2 && o.iter().all(is_2xx), || {
                    format!(
                        "expected 2xx twice, got {}",
                        o.iter().map(status_text).collect::<Vec<_>>().join(" then ")
                    )
                }),
            )]
        }),
    });
    out.push(Family {
        name: "wrong content type",
        checks: vec!["single.content_type.handled"],
        strategy: run()?
            .prop_map(|v| Input {
                requests: vec![Req {
                    endpoint: Endpoint::Single,
                    body: body_of(&v),
                    content_type: "text/plain",
                }],
                valid: vec![true],
            })
            .boxed(),
        judge: Arc::new(|_, o| {
            vec![(
                "single.content_type.handled",
                expect(o[0].status.is_some_and(|s| s < 500), || {
                    format!(
                        "expected 2xx or 4xx for text/plain, got {}",
                        status_text(&o[0])
                    )
                }),
            )]
        }),
    });
    // Invalid events, one family per group of mutations.
    let mutations = catalogue(gen);
    let group = |m: &Mutation| -> &'static str {
        match (m.tier, m.id.split('.').next().unwrap_or("")) {
            (MTier::Malformed, _) => "single.malformed.rejected",
            (MTier::Formats, _) => "single.invalid.format.rejected",
            (MTier::Facets, _) => "single.invalid.facet_schema.rejected",
            (MTier::Core, "missing") => "single.invalid.missing.rejected",
            (MTier::Core, "type") if m.id == "type.facet" => "single.invalid.facet_base.rejected",
            (MTier::Core, "type") => "single.invalid.type.rejected",
            (MTier::Core, "enum") => "single.invalid.enum.rejected",
            (MTier::Core, "shape") => "single.invalid.shape.rejected",
            (MTier::Core, "body") => "single.invalid.body.rejected",
            (MTier::Core, _) => "single.invalid.facet_base.rejected",
        }
    };
    // One valid-event strategy per kind, shared by every mutation.
    let mut bases = BTreeMap::new();
    for kind in [EventKind::Run, EventKind::Dataset, EventKind::Job] {
        bases.insert(kind, small.event_value(kind)?);
    }
    let mutated = |m: &Mutation| m.strategy_on(bases[&m.base].clone(), &small);
    let mut groups: BTreeMap<&'static str, Vec<BoxedStrategy<Input>>> = BTreeMap::new();
    for m in &mutations {
        let s = mutated(m)?
            .prop_map(|mutated| Input {
                requests: vec![Req::single(mutated.body.to_bytes())],
                valid: vec![false],
            })
            .boxed();
        groups.entry(group(m)).or_default().push(s);
    }
    for (id, strategies) in groups {
        let judge: Judge = Arc::new(move |_, o| reject_judge(id, o));
        out.push(Family {
            name: id,
            checks: vec![id, "single.invalid.status_code"],
            strategy: one_of(strategies).boxed(),
            judge,
        });
    }
    // Batches.
    let valid_event = small.any_event_value()?;
    out.push(Family {
        name: "valid batches",
        checks: vec![
            "batch.valid.accepted",
            "batch.valid.status_code",
            "batch.response.schema",
        ],
        strategy: proptest::collection::vec(valid_event.clone(), 1..=10)
            .prop_map(|events| Input {
                valid: vec![true; events.len()],
                requests: vec![Req::batch(body_of(&Value::Array(events)))],
            })
            .boxed(),
        judge: Arc::new(|input, o| valid_batch_judge("batch.valid.accepted", input, o)),
    });
    let core_invalid: Vec<BoxedStrategy<Value>> = mutations
        .iter()
        .filter(|m| m.tier == MTier::Core)
        .map(|m| {
            mutated(m).map(|s| {
                s.prop_filter_map("JSON body", |mutated| match mutated.body {
                    Body::Json(v) => Some(v),
                    Body::Raw(_) => None,
                })
                .boxed()
            })
        })
        .collect::<Result<_, _>>()?;
    let invalid_event = one_of(core_invalid).boxed();
    let item = one_of(vec![
        valid_event.clone().prop_map(|v| (true, v)).boxed(),
        invalid_event.prop_map(|v| (false, v)).boxed(),
    ]);
    out.push(Family {
        name: "mixed batches",
        checks: vec![
            "batch.mixed.summary",
            "batch.mixed.status",
            "batch.mixed.failed_indices",
            "batch.mixed.valid_counted",
            "batch.mixed.retriable",
            "batch.mixed.answered_200",
            "batch.response.schema",
        ],
        strategy: proptest::collection::vec(item, 2..=12)
            .prop_filter("a mixed batch has both", |items| {
                items.iter().any(|(ok, _)| *ok) && items.iter().any(|(ok, _)| !*ok)
            })
            .prop_map(|items| Input {
                valid: items.iter().map(|(ok, _)| *ok).collect(),
                requests: vec![Req::batch(body_of(&Value::Array(
                    items.into_iter().map(|(_, v)| v).collect(),
                )))],
            })
            .boxed(),
        judge: Arc::new(mixed_batch_judge),
    });
    // Hundreds of events and megabytes: 300 typical RunEvents, every fifth carrying a custom
    // facet with about 40 kB of text (as a long SQL query or an embedded document would).
    // Bulk text keeps the body large without making generation or validation slow.
    let medium = gen.event_value(EventKind::Run)?;
    let bulk = text(&ASCII_TEXT, 64..=64).prop_map(|fragment| fragment.repeat(640));
    out.push(Family {
        name: "large batches",
        checks: vec!["batch.large.accepted", "batch.response.schema"],
        strategy: (proptest::collection::vec(medium, 300..=300), bulk)
            .prop_map(|(mut events, bulk)| {
                for event in events.iter_mut().step_by(5) {
                    event["job"]["facets"]["conformance_bulk"] = json!({
                        "_producer": "https://example.com/conformance",
                        "_schemaURL": "https://example.com/conformance/BulkJobFacet.json",
                        "text": bulk,
                    });
                }
                events
            })
            .prop_map(|events| Input {
                valid: vec![true; events.len()],
                requests: vec![Req::batch(body_of(&Value::Array(events)))],
            })
            .boxed(),
        judge: Arc::new(|input, o| valid_batch_judge("batch.large.accepted", input, o)),
    });
    out.push(Family {
        name: "empty batch",
        checks: vec!["batch.empty.handled"],
        strategy: Just(Input {
            requests: vec![Req::batch(b"[]".to_vec())],
            valid: vec![],
        })
        .boxed(),
        judge: Arc::new(|_, o| {
            vec![(
                "batch.empty.handled",
                expect(o[0].status.is_some_and(|s| s < 500), || {
                    format!(
                        "expected an answer below 500 for [], got {}",
                        status_text(&o[0])
                    )
                }),
            )]
        }),
    });
    out.push(Family {
        name: "non-array batch",
        checks: vec!["batch.not_array.rejected"],
        strategy: valid_event
            .clone()
            .prop_map(|v| Input {
                requests: vec![Req::batch(body_of(&v))],
                valid: vec![],
            })
            .boxed(),
        judge: Arc::new(|_, o| {
            vec![(
                "batch.not_array.rejected",
                expect(is_4xx(&o[0]), || {
                    format!(
                        "expected 4xx for an object body, got {}",
                        status_text(&o[0])
                    )
                }),
            )]
        }),
    });
    out.push(Family {
        name: "malformed batch",
        checks: vec!["batch.malformed.rejected"],
        strategy: proptest::collection::vec(valid_event, 1..=4)
            .prop_map(|events| {
                let text = Value::Array(events).to_string();
                Input {
                    requests: vec![Req::batch(text.as_bytes()[..text.len() / 2].to_vec())],
                    valid: vec![],
                }
            })
            .boxed(),
        judge: Arc::new(|_, o| {
            vec![(
                "batch.malformed.rejected",
                expect(is_4xx(&o[0]), || {
                    format!(
                        "expected 4xx for truncated JSON, got {}",
                        status_text(&o[0])
                    )
                }),
            )]
        }),
    });
    Ok(out)
}

fn accept_judge(id: &'static str, o: &[Observed]) -> Vec<Verdict> {
    let o = &o[0];
    let mut out = vec![(
        id,
        expect(is_2xx(o), || {
            format!("valid event not accepted: {}", status_text(o))
        }),
    )];
    if is_2xx(o) {
        out.push((
            "single.valid.status_200",
            expect(o.status == Some(200), || {
                format!("expected 200 for a valid event, got {}", status_text(o))
            }),
        ));
    }
    out
}

fn reject_judge(id: &'static str, o: &[Observed]) -> Vec<Verdict> {
    let o = &o[0];
    let mut out = vec![(
        id,
        expect(is_4xx(o), || {
            format!("invalid input not rejected with 4xx: {}", status_text(o))
        }),
    )];
    if is_4xx(o) {
        out.push((
            "single.invalid.status_code",
            expect(matches!(o.status, Some(400 | 422)), || {
                format!("expected 400 or 422, got {}", status_text(o))
            }),
        ));
    }
    out
}

/// Parses a 200 batch answer; `Err` says why it breaks the OpenAPI response schema.
fn batch_response(o: &Observed) -> Result<BatchResponse, String> {
    let r: BatchResponse = serde_json::from_slice(&o.body)
        .map_err(|e| format!("200 body is not a valid batch response: {e}"))?;
    let s = &r.summary;
    let counts = [
        Some(s.received),
        Some(s.successful),
        Some(s.failed),
        s.retriable,
        s.non_retriable,
    ];
    if counts.iter().flatten().any(|n| *n < 0) {
        return Err("summary has a negative count".into());
    }
    Ok(r)
}

fn valid_batch_judge(id: &'static str, input: &Input, o: &[Observed]) -> Vec<Verdict> {
    let o = &o[0];
    let n = input.valid.len() as i64;
    let mut out = Vec::new();
    if is_2xx(o) && id == "batch.valid.accepted" {
        out.push((
            "batch.valid.status_code",
            expect(matches!(o.status, Some(200 | 204)), || {
                format!("expected 200 or 204, got {}", status_text(o))
            }),
        ));
    }
    let verdict = match o.status {
        Some(204) => Ok(()),
        Some(200) => match batch_response(o) {
            Err(e) => {
                out.push(("batch.response.schema", Err(e.clone())));
                Err(e)
            }
            Ok(r) => {
                out.push(("batch.response.schema", Ok(())));
                let s = &r.summary;
                expect(
                    r.status == BatchResponseStatus::Success
                        && s.received == n
                        && s.successful == n
                        && s.failed == 0,
                    || {
                        format!("{n} valid events: expected success with received = successful = {n}, failed = 0; got status {}, received {}, successful {}, failed {}", r.status, s.received, s.successful, s.failed)
                    },
                )
            }
        },
        _ if is_2xx(o) => Ok(()),
        _ => Err(format!(
            "all-valid batch of {n} not accepted: {}",
            status_text(o)
        )),
    };
    out.push((id, verdict));
    out
}

fn mixed_batch_judge(input: &Input, o: &[Observed]) -> Vec<Verdict> {
    let o = &o[0];
    let n = input.valid.len() as i64;
    let invalid: Vec<i64> = input
        .valid
        .iter()
        .enumerate()
        .filter(|(_, ok)| !**ok)
        .map(|(i, _)| i as i64)
        .collect();
    let mut out = vec![(
        "batch.mixed.answered_200",
        expect(o.status == Some(200), || {
            format!(
                "expected 200 with a body for a batch with invalid events at {invalid:?}, got {}",
                status_text(o)
            )
        }),
    )];
    if o.status != Some(200) {
        return out;
    }
    let r = match batch_response(o) {
        Ok(r) => r,
        Err(e) => {
            out.push(("batch.response.schema", Err(e)));
            return out;
        }
    };
    out.push(("batch.response.schema", Ok(())));
    let s = &r.summary;
    let failed_expected = invalid.len() as i64;
    out.push(("batch.mixed.summary", expect(
        s.received == n && s.failed == failed_expected && s.successful + s.failed == s.received,
        || format!("{n} events, {failed_expected} invalid at {invalid:?}: expected received {n}, successful {}, failed {failed_expected}; got received {}, successful {}, failed {}", n - failed_expected, s.received, s.successful, s.failed),
    )));
    out.push((
        "batch.mixed.status",
        expect(r.status == BatchResponseStatus::PartialSuccess, || {
            format!("{failed_expected} events failed but status is {}", r.status)
        }),
    ));
    let mut indices: Vec<i64> = r
        .failed_events
        .iter()
        .flatten()
        .filter_map(|f| f.index)
        .collect();
    let listed = r.failed_events.as_ref().map_or(0, Vec::len);
    indices.sort_unstable();
    out.push((
        "batch.mixed.failed_indices",
        expect(listed == indices.len() && indices == invalid, || {
            format!(
                "failed_events indices should be {invalid:?} (0-based), got {:?}",
                r.failed_events
                    .iter()
                    .flatten()
                    .map(|f| f.index)
                    .collect::<Vec<_>>()
            )
        }),
    ));
    let valid_failed: Vec<i64> = indices
        .iter()
        .copied()
        .filter(|i| !invalid.contains(i))
        .collect();
    out.push((
        "batch.mixed.valid_counted",
        expect(
            valid_failed.is_empty() && s.successful == n - failed_expected,
            || {
                format!(
                    "valid events reported failed at {valid_failed:?}, successful {} of {} valid",
                    s.successful,
                    n - failed_expected
                )
            },
        ),
    ));
    if let (Some(a), Some(b)) = (s.retriable, s.non_retriable) {
        out.push((
            "batch.mixed.retriable",
            expect(a + b == s.failed, || {
                format!("retriable {a} + non_retriable {b} != failed {}", s.failed)
            }),
        ));
    }
    out
}

/// Every verdict on one case. A request that timed out or was never sent says nothing about
/// the family's checks (only `transport.answered` hears of it); a reset or a garbage answer does.
pub(crate) fn judge_all(judge: &Judge, input: &Input, observed: &[Observed]) -> Vec<Verdict> {
    let mut out = universal(input, observed);
    if !observed.iter().any(|o| o.skipped || o.timed_out) {
        out.extend(judge(input, observed));
    }
    out
}

/// Transport and 5xx checks, applied to every request.
fn universal(input: &Input, observed: &[Observed]) -> Vec<Verdict> {
    let mut out = Vec::new();
    for (req, o) in input.requests.iter().zip(observed) {
        if o.skipped {
            continue;
        }
        out.push((
            "transport.answered",
            expect(o.status.is_some(), || status_text(o)),
        ));
        if let Some(status) = o.status {
            let id = match req.endpoint {
                Endpoint::Single => "single.no_server_error",
                Endpoint::Batch => "batch.no_server_error",
            };
            out.push((
                id,
                expect(status < 500, || format!("server error {status}")),
            ));
        }
    }
    out
}

/// Every check id a family reports on, for `--list` consistency tests.
pub fn family_check_ids(families: &[Family]) -> Vec<&'static str> {
    let mut ids: Vec<&'static str> = families
        .iter()
        .flat_map(|f| f.checks.iter().copied())
        .collect();
    ids.extend([
        "transport.answered",
        "single.no_server_error",
        "batch.no_server_error",
    ]);
    ids.sort_unstable();
    ids.dedup();
    ids
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::seeded_runner;
    use proptest::strategy::ValueTree;

    #[test]
    fn the_large_batch_has_hundreds_of_events_and_megabytes() {
        let gen = ValueGen::new(GenConfig::MEDIUM).expect("generator");
        let all = families(&gen).expect("families");
        let family = all
            .iter()
            .find(|f| f.name == "large batches")
            .expect("large batches");
        let input = family
            .strategy
            .new_tree(&mut seeded_runner(1))
            .expect("case")
            .current();
        let body = &input.requests[0].body;
        let events: Vec<Value> = serde_json::from_slice(body).expect("a JSON array");
        assert_eq!(events.len(), 300);
        assert!(body.len() > 1_000_000, "{} bytes", body.len());
    }
}
