//! The engine: turns generated cases into requests, sends them, judges the answers per check,
//! and shrinks each failure to a minimal input with a `curl` line that reproduces it.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use openlineage_types::arb::pick::one_of;
use openlineage_types::arb::text::{text, ASCII_TEXT};
use openlineage_types::arb::{GenConfig, ValueGen};
use openlineage_types::{BatchResponse, BatchResponseStatus, EventKind};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use serde_json::{json, Value};

use crate::checks::CHECKS;
use crate::cli::seeded_runner;
use crate::expectations::Expectations;
use crate::mutate::{catalogue, Body, Mutation, Tier as MTier};
use crate::record::{Recorder, SavedRequest};
use crate::report::shown_headers;
use crate::report::{CheckResult, Exchange, Failure, Outcome, Report};
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
type Verdict = (&'static str, Result<(), String>);
/// Judges are shared by the send workers, which judge each answer as it arrives.
type Judge = Arc<dyn Fn(&Input, &[Observed]) -> Vec<Verdict> + Send + Sync>;

/// A family of cases: a strategy for inputs and the checks that judge them.
pub struct Family {
    /// The family's name, for progress output.
    pub name: &'static str,
    /// The checks this family reports on (besides the transport and 5xx checks).
    pub checks: Vec<&'static str>,
    strategy: BoxedStrategy<Input>,
    judge: Judge,
}

impl Family {
    /// One case is enough: the empty batch is always the same, and one large batch of
    /// megabytes says what many would.
    fn single_case(&self) -> bool {
        matches!(self.name, "empty batch" | "large batches")
    }

    /// Whether failures are worth shrinking. The large batch's size is the point, and each
    /// step would resend megabytes.
    fn shrinks(&self) -> bool {
        self.name != "large batches"
    }
}

/// Options for a run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// API base URL, e.g. `http://127.0.0.1:5000/api/v1`.
    pub target: String,
    /// Extra headers on every request.
    pub headers: Vec<(String, String)>,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Send request bodies gzip-compressed.
    pub gzip: bool,
    /// Seed for every generated case.
    pub seed: u64,
    /// Generated cases per family.
    pub cases: usize,
    /// Check id globs to run (all when empty).
    pub include: Vec<glob::Pattern>,
    /// Check id globs to skip.
    pub exclude: Vec<glob::Pattern>,
    /// Should-tier failures fail the run.
    pub strict: bool,
    /// Known failures of this target.
    pub expectations: Option<Expectations>,
    /// Consecutive timeouts after which the target counts as stalled.
    pub stall_after: usize,
    /// Show a progress bar on stderr.
    pub progress: bool,
    /// Save every request sent here, as JSON lines ([`crate::record`]).
    pub save_requests: Option<std::path::PathBuf>,
}

const BODY_CAP: usize = 1024 * 1024;
const SHRINK_BUDGET: usize = 48;

/// Whether a check id is selected by the include and exclude globs.
pub fn selected(id: &str, include: &[glob::Pattern], exclude: &[glob::Pattern]) -> bool {
    (include.is_empty() || include.iter().any(|p| p.matches(id)))
        && !exclude.iter().any(|p| p.matches(id))
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
fn judge_all(judge: &Judge, input: &Input, observed: &[Observed]) -> Vec<Verdict> {
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

/// Sends requests and tracks whether the target has stalled.
#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    opts: Arc<RunOptions>,
    consecutive_timeouts: Arc<AtomicUsize>,
    stalled: Arc<AtomicBool>,
    sent: Arc<AtomicUsize>,
    recorder: Option<Arc<Recorder>>,
    /// The single and batch endpoints, parsed once rather than per request.
    urls: Arc<(reqwest::Url, reqwest::Url)>,
}

impl Sender {
    fn new(opts: Arc<RunOptions>) -> Result<Self, Error> {
        let client = reqwest::Client::builder()
            .timeout(opts.timeout)
            .connect_timeout(opts.timeout)
            .build()
            .map_err(|e| Error::Usage(format!("cannot build the HTTP client: {e}")))?;
        let recorder = match &opts.save_requests {
            Some(path) => Some(Arc::new(Recorder::create(path)?)),
            None => None,
        };
        let base = opts.target.trim_end_matches('/');
        let parse = |url: String| {
            reqwest::Url::parse(&url)
                .map_err(|e| Error::Usage(format!("--target `{}` is not a URL: {e}", opts.target)))
        };
        let urls = Arc::new((
            parse(format!("{base}/lineage"))?,
            parse(format!("{base}/lineage/batch"))?,
        ));
        Ok(Sender {
            client,
            recorder,
            urls,
            opts,
            consecutive_timeouts: Arc::new(AtomicUsize::new(0)),
            stalled: Arc::new(AtomicBool::new(false)),
            sent: Arc::new(AtomicUsize::new(0)),
        })
    }

    fn url(&self, endpoint: Endpoint) -> &reqwest::Url {
        match endpoint {
            Endpoint::Single => &self.urls.0,
            Endpoint::Batch => &self.urls.1,
        }
    }

    async fn send(&self, req: &Req) -> Observed {
        if self.stalled.load(Ordering::Relaxed) {
            return Observed {
                skipped: true,
                error: Some("not sent: the target had stopped answering".into()),
                ..Observed::default()
            };
        }
        self.sent.fetch_add(1, Ordering::Relaxed);
        let url = self.url(req.endpoint);
        let mut builder = self
            .client
            .post(url.clone())
            .header("content-type", req.content_type);
        for (name, value) in &self.opts.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let body = if self.opts.gzip {
            builder = builder.header("content-encoding", "gzip");
            gzip(&req.body)
        } else {
            req.body.clone()
        };
        if let Some(recorder) = &self.recorder {
            let headers = shown_headers(req, &self.opts.headers, self.opts.gzip);
            recorder.record(&SavedRequest::new(url.as_str(), headers, &body));
        }
        let observed = match builder.body(body).send().await {
            Ok(mut resp) => {
                let status = resp.status().as_u16();
                let content_type = resp
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .map(String::from);
                let mut body = Vec::new();
                let mut error = None;
                let mut timed_out = false;
                loop {
                    match resp.chunk().await {
                        Ok(Some(chunk)) => {
                            let room = BODY_CAP.saturating_sub(body.len());
                            body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                            if room < chunk.len() {
                                break;
                            }
                        }
                        Ok(None) => break,
                        Err(e) => {
                            timed_out = e.is_timeout();
                            error = Some(format!("answer cut off: {e}"));
                            break;
                        }
                    }
                }
                Observed {
                    status: Some(status),
                    content_type,
                    body,
                    error,
                    timed_out,
                    skipped: false,
                }
            }
            Err(e) => Observed {
                error: Some(describe(&e)),
                timed_out: e.is_timeout(),
                ..Observed::default()
            },
        };
        if observed.timed_out {
            let n = self.consecutive_timeouts.fetch_add(1, Ordering::Relaxed) + 1;
            if n >= self.opts.stall_after {
                self.stalled.store(true, Ordering::Relaxed);
            }
        } else {
            self.consecutive_timeouts.store(0, Ordering::Relaxed);
        }
        observed
    }

    async fn send_input(&self, input: &Input) -> Vec<Observed> {
        let mut out = Vec::with_capacity(input.requests.len());
        for req in &input.requests {
            out.push(self.send(req).await);
        }
        out
    }
}

fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text = format!("{text}: {s}");
        source = s.source();
    }
    if e.is_timeout() {
        format!("timed out ({text})")
    } else {
        text
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(bytes);
    enc.finish().unwrap_or_default()
}

/// Checks that something listens at the target; `Err` means the run cannot start. A target that
/// accepts connections but answers garbage is not unreachable: the run reports it as findings.
pub async fn preflight(opts: &RunOptions) -> Result<(), Error> {
    let url = reqwest::Url::parse(&opts.target)
        .map_err(|e| Error::Usage(format!("--target `{}` is not a URL: {e}", opts.target)))?;
    let addrs = url
        .socket_addrs(|| None)
        .map_err(|e| Error::Unreachable(format!("{}: {e}", opts.target)))?;
    let mut last = String::from("no address");
    for addr in addrs {
        match tokio::time::timeout(opts.timeout, tokio::net::TcpStream::connect(addr)).await {
            Ok(Ok(_)) => return Ok(()),
            Ok(Err(e)) => last = format!("{addr}: {e}"),
            Err(_) => last = format!("{addr}: no connection within {:?}", opts.timeout),
        }
    }
    Err(Error::Unreachable(format!("{} ({last})", opts.target)))
}

/// Mixes the run seed with a family name and a case number. Each case can then be made again on
/// its own (to shrink it) and on any thread, and selecting checks does not change other cases.
pub fn case_seed(seed: u64, family: &str, case: usize) -> u64 {
    // FNV-1a over the name, then the splitmix64 finaliser to spread the bits.
    let name = family.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    let mut z = seed ^ name.rotate_left(17) ^ (case as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The value tree of one case, made from its own seed.
fn case_tree(
    family: &Family,
    seed: u64,
    case: usize,
) -> Result<Box<dyn ValueTree<Value = Input>>, Error> {
    family
        .strategy
        .new_tree(&mut seeded_runner(case_seed(seed, family.name, case)))
        .map_err(|e| Error::Usage(format!("cannot generate cases for {}: {e}", family.name)))
}

/// One planned case: which family, which case number, and where it sits in the plan.
#[derive(Debug, Clone, Copy)]
struct Planned {
    family: usize,
    case: usize,
    /// Failures are reported for the earliest case in the plan, so the report does not depend
    /// on which answer came back first.
    position: usize,
}

/// One generated case, ready to send.
struct Case {
    at: Planned,
    input: Input,
}

/// Cases travel in chunks: one channel operation (and at most one thread wake-up) per chunk.
const CHUNK: usize = 16;

/// How many threads generate cases: generation is the runner's own main cost, but the cores
/// are shared with the HTTP client (and, with no `--target`, the embedded server).
fn generator_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).clamp(1, 8))
}

type Chunks = tokio::sync::mpsc::Receiver<Result<Vec<Case>, Error>>;

/// Generates the planned cases on background threads, so requests go out while later cases
/// are still being made. Strategies cannot cross threads, so each thread builds its own
/// families; per-case seeds make the cases independent of the thread count.
fn generate(plan: Vec<Planned>, seed: u64, threads: usize) -> Result<Chunks, Error> {
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    let chunks: Arc<Vec<Vec<Planned>>> = Arc::new(plan.chunks(CHUNK).map(<[_]>::to_vec).collect());
    for t in 0..threads {
        let (tx, chunks) = (tx.clone(), chunks.clone());
        std::thread::Builder::new()
            .name(format!("ol-generate-{t}"))
            .spawn(move || {
                let built = ValueGen::new(GenConfig::MEDIUM)
                    .map_err(Error::from)
                    .and_then(|gen| families(&gen));
                let families = match built {
                    Ok(f) => f,
                    Err(e) => {
                        let _ = tx.blocking_send(Err(e));
                        return;
                    }
                };
                for chunk in chunks.iter().skip(t).step_by(threads) {
                    let made = chunk
                        .iter()
                        .map(|&at| {
                            case_tree(&families[at.family], seed, at.case).map(|tree| Case {
                                at,
                                input: tree.current(),
                            })
                        })
                        .collect();
                    // A closed channel means the run has stopped (an error, or a stall).
                    if tx.blocking_send(made).is_err() {
                        return;
                    }
                }
            })
            .map_err(|e| Error::io("cannot start a case generator thread", e))?;
    }
    Ok(rx)
}

/// Hands generated cases to the send workers one at a time.
struct Queue(tokio::sync::Mutex<(Chunks, VecDeque<Case>)>);

impl Queue {
    /// The next case; `None` when generation is done.
    async fn next(&self) -> Result<Option<Case>, Error> {
        let mut guard = self.0.lock().await;
        let (chunks, ready) = &mut *guard;
        loop {
            if let Some(case) = ready.pop_front() {
                return Ok(Some(case));
            }
            match chunks.recv().await {
                Some(chunk) => ready.extend(chunk?),
                None => return Ok(None),
            }
        }
    }
}

/// The first failing case of one check, in plan order, kept for shrinking and the report.
struct Candidate {
    at: Planned,
    input: Input,
    observed: Vec<Observed>,
    message: String,
}

/// What the answers so far say: how often each check was observed, and each check's first
/// failing case.
#[derive(Default)]
struct Tally {
    /// Cases answered and judged.
    cases: usize,
    observations: BTreeMap<&'static str, usize>,
    candidates: BTreeMap<&'static str, Candidate>,
}

impl Tally {
    fn record(&mut self, case: &Case, observed: &[Observed], verdicts: Vec<Verdict>) {
        self.cases += 1;
        for (check, verdict) in verdicts {
            *self.observations.entry(check).or_default() += 1;
            let Err(message) = verdict else { continue };
            let earlier = |c: &Candidate| case.at.position < c.at.position;
            if self.candidates.get(check).is_none_or(earlier) {
                let candidate = Candidate {
                    at: case.at,
                    input: case.input.clone(),
                    observed: observed.to_vec(),
                    message,
                };
                self.candidates.insert(check, candidate);
            }
        }
    }
}

/// `Err` when fewer cases were judged than planned and the target did not stall.
fn complete(judged: usize, planned: usize, stalled: bool) -> Result<(), Error> {
    if judged < planned && !stalled {
        return Err(Error::Internal(format!(
            "only {judged} of {planned} cases were generated and sent; a generator thread failed"
        )));
    }
    Ok(())
}

/// Sends cases with `concurrency` workers (one request in flight each), judging each answer
/// as it comes. Workers stop early once the target has stalled: the cases left would only be
/// skipped.
async fn send_all(
    sender: &Sender,
    chunks: Chunks,
    judges: Vec<Judge>,
    progress: &indicatif::ProgressBar,
) -> Result<Tally, Error> {
    let queue = Arc::new(Queue(tokio::sync::Mutex::new((chunks, VecDeque::new()))));
    let judges = Arc::new(judges);
    let tally = Arc::new(std::sync::Mutex::new(Tally::default()));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..sender.opts.concurrency.max(1) {
        let (sender, queue, judges, tally) =
            (sender.clone(), queue.clone(), judges.clone(), tally.clone());
        let progress = progress.clone();
        workers.spawn(async move {
            while !sender.stalled.load(Ordering::Relaxed) {
                let Some(case) = queue.next().await? else {
                    break;
                };
                let observed = sender.send_input(&case.input).await;
                let verdicts = judge_all(&judges[case.at.family], &case.input, &observed);
                tally
                    .lock()
                    .map_err(|_| Error::Internal("a request worker panicked".into()))?
                    .record(&case, &observed, verdicts);
                progress.inc(1);
            }
            Ok::<(), Error>(())
        });
    }
    while let Some(joined) = workers.join_next().await {
        joined.map_err(|e| Error::Internal(format!("a request worker failed: {e}")))??;
    }
    drop(queue);
    Arc::into_inner(tally)
        .and_then(|t| t.into_inner().ok())
        .ok_or_else(|| Error::Internal("the tally is still shared after the run".into()))
}

/// Runs the selected checks against the target and builds the report.
pub async fn run(opts: RunOptions) -> Result<Report, Error> {
    let started = Instant::now();
    preflight(&opts).await?;
    let gen = ValueGen::new(GenConfig::MEDIUM)?;
    let families = families(&gen)?;
    let mut plan: Vec<Planned> = Vec::new();
    for (family, f) in families.iter().enumerate() {
        if !f
            .checks
            .iter()
            .any(|c| selected(c, &opts.include, &opts.exclude))
        {
            continue;
        }
        let count = if f.single_case() { 1 } else { opts.cases };
        for case in 0..count {
            let position = plan.len();
            plan.push(Planned {
                family,
                case,
                position,
            });
        }
    }
    let opts = Arc::new(opts);
    let sender = Sender::new(opts.clone())?;
    let planned = plan.len();
    let progress = crate::report::progress_bar(opts.progress, planned);
    let chunks = generate(plan, opts.seed, generator_threads())?;
    let judges = families.iter().map(|f| f.judge.clone()).collect();
    let Tally {
        cases,
        observations,
        candidates,
    } = send_all(&sender, chunks, judges, &progress).await?;
    // Only a stall stops sending early; fewer cases otherwise means a generator thread died,
    // and a report on part of the plan must not pass for a whole one.
    complete(cases, planned, sender.stalled.load(Ordering::Relaxed))?;
    progress.finish_and_clear();
    let mut failures: BTreeMap<&'static str, Failure> = BTreeMap::new();
    for (id, c) in candidates {
        let family = &families[c.at.family];
        let failure = if sender.stalled.load(Ordering::Relaxed)
            || id == "transport.answered"
            || !family.shrinks()
        {
            failure(&sender, &c.input, &c.observed, c.message, 0)
        } else {
            match case_tree(family, opts.seed, c.at.case) {
                // The case is made again from its seed; it must be the one that was sent.
                Ok(mut tree) if tree.current() == c.input => {
                    shrink(
                        &sender,
                        family,
                        &mut tree,
                        id,
                        &c.input,
                        &c.observed,
                        c.message,
                    )
                    .await
                }
                _ => failure(&sender, &c.input, &c.observed, c.message, 0),
            }
        };
        failures.insert(id, failure);
    }
    let stalled = sender.stalled.load(Ordering::Relaxed).then(|| {
        format!("the target stopped answering after {} consecutive timeouts; later requests were not sent", opts.stall_after)
    });
    if let Some(s) = &stalled {
        failures
            .entry("transport.answered")
            .or_insert_with(|| Failure::message_only(s.clone()));
    }
    let results = CHECKS
        .iter()
        .filter(|c| selected(c.id, &opts.include, &opts.exclude))
        .map(|c| {
            let failure = failures.remove(c.id);
            let seen = observations.get(c.id).copied().unwrap_or(0);
            let expectation = opts.expectations.as_ref().and_then(|e| e.reason_for(c.id));
            let outcome = match (&failure, seen, &expectation) {
                (Some(_), _, Some(_)) => Outcome::XFail,
                (Some(_), _, None) => Outcome::Fail,
                (None, 0, _) => Outcome::NotRun,
                (None, _, Some(_)) => Outcome::XPass,
                (None, _, None) => Outcome::Pass,
            };
            CheckResult {
                id: c.id.to_string(),
                tier: c.tier,
                description: c.description.to_string(),
                clause: c.clause.to_string(),
                outcome,
                observations: seen,
                failure,
                expectation,
            }
        })
        .collect();
    if let Some(recorder) = &sender.recorder {
        recorder.finish()?;
    }
    let stale = opts
        .expectations
        .as_ref()
        .map(|e| e.stale(CHECKS.iter().map(|c| c.id)))
        .unwrap_or_default();
    Ok(Report {
        schema_version: 1,
        target: opts.target.clone(),
        seed: opts.seed,
        cases: opts.cases,
        cases_run: cases,
        strict: opts.strict,
        requests: sender.sent.load(Ordering::Relaxed),
        duration_ms: started.elapsed().as_millis() as u64,
        stalled,
        stale_expectations: stale,
        results,
    })
}

/// Shrinks a failing case while the check keeps failing, within a request budget.
async fn shrink(
    sender: &Sender,
    family: &Family,
    tree: &mut Box<dyn ValueTree<Value = Input>>,
    id: &'static str,
    input: &Input,
    observed: &[Observed],
    message: String,
) -> Failure {
    let mut best = (input.clone(), observed.to_vec(), message);
    let mut steps = 0;
    // proptest's own shrink loop: simplify after a failure, complicate after a pass, and test
    // every value the tree moves to.
    let mut more = tree.simplify();
    while more && steps < SHRINK_BUDGET && !sender.stalled.load(Ordering::Relaxed) {
        steps += 1;
        let candidate = tree.current();
        let obs = sender.send_input(&candidate).await;
        let still = judge_all(&family.judge, &candidate, &obs)
            .into_iter()
            .find(|(c, v)| *c == id && v.is_err());
        more = match still {
            Some((_, Err(m))) => {
                best = (candidate, obs, m);
                tree.simplify()
            }
            _ => tree.complicate(),
        };
    }
    failure(sender, &best.0, &best.1, best.2, steps)
}

fn failure(
    sender: &Sender,
    input: &Input,
    observed: &[Observed],
    message: String,
    steps: usize,
) -> Failure {
    // Report the request the check is about: the last one that got a problem, else the last.
    let index = observed
        .iter()
        .rposition(|o| o.error.is_some() || o.status.is_some_and(|s| s >= 300))
        .unwrap_or(observed.len().saturating_sub(1));
    let req = &input.requests[index.min(input.requests.len().saturating_sub(1))];
    let o = observed.get(index).cloned().unwrap_or_default();
    let url = sender.url(req.endpoint).as_str();
    Failure {
        message,
        shrink_steps: steps,
        request: Some(Exchange::request(
            url,
            req,
            &sender.opts.headers,
            sender.opts.gzip,
        )),
        response: Some(Exchange::response(&o)),
        curl: Some(crate::report::curl(
            url,
            req,
            &sender.opts.headers,
            sender.opts.gzip,
        )),
    }
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

    fn all_cases(plan: &[Planned], threads: usize) -> Vec<(usize, Input)> {
        let mut chunks = generate(plan.to_vec(), 7, threads).expect("generators start");
        let mut out = Vec::new();
        while let Some(chunk) = chunks.blocking_recv() {
            out.extend(
                chunk
                    .expect("cases generate")
                    .into_iter()
                    .map(|c| (c.at.position, c.input)),
            );
        }
        out.sort_by_key(|(p, _)| *p);
        out
    }

    #[test]
    fn cases_do_not_depend_on_the_generator_thread_count() {
        let gen = ValueGen::new(GenConfig::MEDIUM).expect("generator");
        let count = families(&gen).expect("families").len();
        let plan: Vec<Planned> = (0..count)
            .flat_map(|family| (0..3).map(move |case| (family, case)))
            .enumerate()
            .map(|(position, (family, case))| Planned {
                family,
                case,
                position,
            })
            .collect();
        let one = all_cases(&plan, 1);
        assert_eq!(one.len(), plan.len());
        assert_eq!(one, all_cases(&plan, 3));
    }

    #[test]
    fn a_run_that_lost_cases_is_an_error_unless_the_target_stalled() {
        assert!(complete(10, 10, false).is_ok());
        assert!(complete(3, 10, true).is_ok());
        let e = complete(3, 10, false).expect_err("cases were lost");
        assert!(e.to_string().contains("only 3 of 10 cases"), "{e}");
    }

    #[test]
    fn the_large_batch_has_hundreds_of_events_and_megabytes() {
        let gen = ValueGen::new(GenConfig::MEDIUM).expect("generator");
        let all = families(&gen).expect("families");
        let family = all
            .iter()
            .find(|f| f.name == "large batches")
            .expect("large batches");
        let input = case_tree(family, 1, 0).expect("case").current();
        let body = &input.requests[0].body;
        let events: Vec<Value> = serde_json::from_slice(body).expect("a JSON array");
        assert_eq!(events.len(), 300);
        assert!(body.len() > 1_000_000, "{} bytes", body.len());
    }

    #[test]
    fn case_seeds_differ_by_family_case_and_run_seed() {
        let seeds = [
            case_seed(1, "valid batches", 0),
            case_seed(1, "valid batches", 1),
            case_seed(1, "mixed batches", 0),
            case_seed(2, "valid batches", 0),
        ];
        let distinct: std::collections::BTreeSet<u64> = seeds.into_iter().collect();
        assert_eq!(distinct.len(), seeds.len());
        assert_eq!(case_seed(1, "valid batches", 0), seeds[0]);
    }
}
