//! Judges: how answers are scored, check by check, in plain sentences. Every judge declares the
//! checks it can emit ([`Judge::declares`]), so a family's checks are derived, never restated,
//! and a test proves no judge emits a check it did not declare. [`judge_all`] adds the checks
//! every request gets (an answer, its framing, no 5xx) and those every batch answer gets (its
//! status code, schema and counts), so one answer is judged at one tier wherever it comes.

use std::sync::Arc;

use openlineage_types::{BatchResponse, BatchResponseStatus};
use serde_json::Value;

use crate::checks::CheckId;
use crate::wire::{Endpoint, Input, Observed, Req};

/// What one answer says about one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judgement {
    /// The check holds.
    Pass,
    /// The check is violated, in plain words.
    Fail(String),
    /// The answer says nothing about the check (an optional field was absent, the family's
    /// own checks were not judged because of a 5xx): why, in plain words.
    Moot(String),
}

/// A check's judgement on one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The check judged.
    pub check: CheckId,
    /// What the answer says about it.
    pub judgement: Judgement,
}

/// Verdicts as a judge emits them.
#[derive(Debug, Default)]
pub struct Verdicts(Vec<Verdict>);

impl Verdicts {
    fn push(&mut self, check: CheckId, judgement: Judgement) {
        self.0.push(Verdict { check, judgement });
    }

    /// `check` holds when `cond` does, else fails with `message`.
    pub fn expect(&mut self, check: CheckId, cond: bool, message: impl FnOnce() -> String) {
        let j = if cond {
            Judgement::Pass
        } else {
            Judgement::Fail(message())
        };
        self.push(check, j);
    }

    /// `check` fails with `message`.
    pub fn fail(&mut self, check: CheckId, message: String) {
        self.push(check, Judgement::Fail(message));
    }

    /// `check` could not be judged on this answer, for `why`.
    pub fn moot(&mut self, check: CheckId, why: impl Into<String>) {
        self.push(check, Judgement::Moot(why.into()));
    }

    /// The verdicts, in the order emitted.
    pub fn into_vec(self) -> Vec<Verdict> {
        self.0
    }
}

type JudgeFn = dyn Fn(&Input, &[Observed], &mut Verdicts) + Send + Sync;

/// A family's judge: the checks it can emit and how it emits them. Shared by the send workers,
/// which judge each answer as it arrives.
#[derive(Clone)]
pub struct Judge {
    declares: Vec<CheckId>,
    f: Arc<JudgeFn>,
}

impl Judge {
    /// A judge that emits only `declares`, the first being the check its family exists for.
    pub fn new(
        declares: Vec<CheckId>,
        f: impl Fn(&Input, &[Observed], &mut Verdicts) + Send + Sync + 'static,
    ) -> Self {
        Judge {
            declares,
            f: Arc::new(f),
        }
    }

    /// Every check this judge can emit, its family's own check first.
    pub fn declares(&self) -> &[CheckId] {
        &self.declares
    }

    /// The judge's own verdicts on one case.
    pub fn judge(&self, input: &Input, observed: &[Observed]) -> Vec<Verdict> {
        let mut v = Verdicts::default();
        (self.f)(input, observed, &mut v);
        v.into_vec()
    }
}

/// What a status judge wants of every answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// A 2xx (valid input).
    Accept,
    /// A 4xx (invalid input).
    Reject,
    /// Anything below 500 (input a server may take or refuse).
    Below500,
}

/// What a request carried, in a word or two: its eventType, else `the request`.
fn what(req: &Req) -> String {
    serde_json::from_slice::<Value>(&req.body)
        .ok()
        .and_then(|v| v.get("eventType").and_then(Value::as_str).map(String::from))
        .unwrap_or_else(|| "the request".into())
}

/// The answers in plain words: `status 201` for one request; `START got status 200, then
/// COMPLETE got status 409` for several.
fn answers(input: &Input, o: &[Observed]) -> String {
    if let [one] = o {
        return one.describe();
    }
    input
        .requests
        .iter()
        .zip(o)
        .map(|(r, o)| format!("{} got {}", what(r), o.describe()))
        .collect::<Vec<_>>()
        .join(", then ")
}

/// The judge of a check about status codes alone; `exact` adds the exact-status check that
/// rides along once the class is right (200 for accepted events, 400 or 422 for refused ones).
pub fn status(check: CheckId, want: Want, exact: Option<CheckId>) -> Judge {
    let declares = std::iter::once(check).chain(exact).collect();
    Judge::new(declares, move |input, o, v| {
        status_verdicts(check, want, exact, input, o, v);
    })
}

fn status_verdicts(
    check: CheckId,
    want: Want,
    exact: Option<CheckId>,
    input: &Input,
    o: &[Observed],
    v: &mut Verdicts,
) {
    let ok = |o: &Observed| match want {
        Want::Accept => o.is_2xx(),
        Want::Reject => o.is_4xx(),
        Want::Below500 => o.status.is_some_and(|s| s < 500),
    };
    let all = o.iter().all(ok);
    let label = &input.label;
    v.expect(check, all, || match (want, o) {
        (Want::Accept, [one]) => {
            format!("valid event ({label}) not accepted: got {}", one.describe())
        }
        (Want::Accept, _) => format!("expected every event to be accepted; {}", answers(input, o)),
        (Want::Reject, [one]) => format!(
            "invalid input ({}) not rejected with 4xx: got {}",
            describe_label(label),
            one.describe()
        ),
        (Want::Reject, _) => format!("expected 4xx for each; {}", answers(input, o)),
        (Want::Below500, _) => format!(
            "expected an answer below 500 ({label}); got {}",
            answers(input, o)
        ),
    });
    let Some(exact) = exact else { return };
    if !all {
        let class = if want == Want::Accept { "2xx" } else { "4xx" };
        v.moot(
            exact,
            format!("the answers were not {class} at all (judged by {check} and its kin)"),
        );
        return;
    }
    match want {
        Want::Accept => v.expect(exact, o.iter().all(|o| o.status == Some(200)), || {
            format!("expected 200 for a valid event, got {}", answers(input, o))
        }),
        Want::Reject => v.expect(
            exact,
            o.iter().all(|o| matches!(o.status, Some(400 | 422))),
            || {
                format!(
                    "expected 400 or 422 for invalid input, got {}",
                    answers(input, o)
                )
            },
        ),
        Want::Below500 => {}
    }
}

/// A mutation id with what it means when the id alone is not plain.
pub fn describe_label(label: &str) -> String {
    // The catalogue's own words for the malformed bodies, whose ids say little.
    static MALFORMED: std::sync::OnceLock<Vec<(String, String)>> = std::sync::OnceLock::new();
    let known = MALFORMED.get_or_init(|| {
        crate::mutate::hand_written()
            .into_iter()
            .filter(|m| m.id.starts_with("malformed."))
            .map(|m| (m.id, m.description))
            .collect()
    });
    match known.iter().find(|(id, _)| id == label) {
        Some((_, description)) => description.clone(),
        None => format!("`{label}`"),
    }
}

/// `single.content_encoding.handled`: gzip is accepted or refused with 415 (a server that
/// ignores Content-Encoding and parses the compressed bytes answers 400); identity is accepted.
pub fn content_encoding() -> Judge {
    Judge::new(vec![CheckId::ContentEncoding], |input, o, v| {
        let Some((req, o)) = input.requests.first().zip(o.first()) else {
            return;
        };
        match req.content_encoding {
            Some("gzip") => v.expect(CheckId::ContentEncoding, o.is_2xx() || o.status == Some(415), || {
                format!(
                    "a gzip-encoded valid event got {}; expected 2xx, or 415 when gzip is not supported",
                    o.describe()
                )
            }),
            _ => v.expect(CheckId::ContentEncoding, o.is_2xx(), || {
                format!(
                    "a valid event with Content-Encoding: identity got {}",
                    o.describe()
                )
            }),
        }
    })
}

/// Indices in plain words: `0, 3 and 5`, or `none`.
pub fn plain_list(items: &[i64]) -> String {
    match items {
        [] => "none".into(),
        [one] => one.to_string(),
        [rest @ .., last] => format!(
            "{} and {last}",
            rest.iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Whether a 2xx batch answer carries a body to judge (a 204, or another 2xx with nothing to
/// say, carries none).
fn has_body(o: &Observed) -> bool {
    !o.body.iter().all(u8::is_ascii_whitespace)
}

/// Parses a 2xx batch answer's body; `Err` says in plain words why it breaks the response schema.
fn batch_response(o: &Observed) -> Result<BatchResponse, String> {
    if !has_body(o) {
        return Err("the 200 answer has an empty body; a 200 batch answer must hold status and summary (a server with nothing to say answers 204)".into());
    }
    let r: BatchResponse = serde_json::from_slice(&o.body).map_err(|e| {
        format!(
            "the {} answer is not a batch response: {e}",
            o.status.unwrap_or_default()
        )
    })?;
    let s = &r.summary;
    let counts = [
        Some(s.received),
        Some(s.successful),
        Some(s.failed),
        s.retriable,
        s.non_retriable,
    ];
    if counts.iter().flatten().any(|n| *n < 0) {
        return Err("the summary has a negative count".into());
    }
    Ok(r)
}

/// The failed_events indices of an answer, sorted: (indices given, entries without an index),
/// or `None` when the answer has no failed_events.
fn failed_indices(r: &BatchResponse) -> Option<(Vec<i64>, usize)> {
    let entries = r.failed_events.as_ref()?;
    let mut indices: Vec<i64> = entries.iter().filter_map(|f| f.index).collect();
    indices.sort_unstable();
    let missing = entries.iter().filter(|f| f.index.is_none()).count();
    Some((indices, missing))
}

fn invalid_positions(input: &Input) -> Vec<i64> {
    input
        .valid
        .iter()
        .enumerate()
        .filter(|(_, ok)| !**ok)
        .map(|(i, _)| i as i64)
        .collect()
}

/// The checks every batch answer gets (besides transport and 5xx).
pub const BATCH_ANSWER: &[CheckId] = &[
    CheckId::BatchStatus,
    CheckId::BatchContentType,
    CheckId::ResponseSchema,
    CheckId::SummaryReceived,
    CheckId::SummaryAddsUp,
    CheckId::SummaryStatus,
    CheckId::SummaryRetriable,
    CheckId::FailedEventsIndices,
    CheckId::MixedValidCounted,
];

/// What a batch answer says, judged for truth and arithmetic: the must checks every 2xx batch
/// answer gets, whatever the batch held. A 2xx other than 200 is judged as a 200 when it has a
/// body; its status code is judged once, by `batch.status_code`.
fn batch_answer(input: &Input, o: &Observed, v: &mut Verdicts) {
    if !o.is_2xx() {
        return;
    }
    v.expect(
        CheckId::BatchStatus,
        matches!(o.status, Some(200 | 204)),
        || {
            format!(
                "a batch answer got {}; the batch endpoint answers 200 or 204",
                o.describe()
            )
        },
    );
    if !has_body(o) && o.status != Some(200) {
        for c in &BATCH_ANSWER[1..] {
            v.moot(*c, "the answer had no body");
        }
        return;
    }
    let json_type = o.content_type.as_deref().is_some_and(|t| {
        t.split(';')
            .next()
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
    });
    v.expect(CheckId::BatchContentType, json_type, || {
        format!(
            "a batch answer with a body has Content-Type {}",
            o.content_type.as_deref().unwrap_or("(none)")
        )
    });
    let r = match batch_response(o) {
        Ok(r) => r,
        Err(e) => {
            v.fail(CheckId::ResponseSchema, e);
            for c in &BATCH_ANSWER[3..] {
                v.moot(*c, "the answer broke the response schema");
            }
            return;
        }
    };
    v.expect(CheckId::ResponseSchema, true, String::new);
    let n = input.valid.len() as i64;
    let s = &r.summary;
    v.expect(CheckId::SummaryReceived, s.received == n, || {
        format!("{n} events were sent, summary.received is {}", s.received)
    });
    v.expect(
        CheckId::SummaryAddsUp,
        s.successful + s.failed == s.received,
        || {
            format!(
                "successful {} plus failed {} is not received {}",
                s.successful, s.failed, s.received
            )
        },
    );
    let partial = r.status == BatchResponseStatus::PartialSuccess;
    v.expect(CheckId::SummaryStatus, partial == (s.failed > 0), || {
        format!("the status is {} with failed {}", r.status, s.failed)
    });
    match (s.retriable, s.non_retriable) {
        (Some(a), Some(b)) => v.expect(CheckId::SummaryRetriable, a + b == s.failed, || {
            format!("retriable {a} plus non_retriable {b} is not failed {}", s.failed)
        }),
        _ => v.moot(
            CheckId::SummaryRetriable,
            "the server's answers never gave both summary.retriable and summary.non_retriable (both optional)",
        ),
    }
    let invalid = invalid_positions(input);
    let listed = failed_indices(&r);
    match &listed {
        Some((indices, unindexed)) => {
            let mut unique = indices.clone();
            unique.dedup();
            let out_of_range: Vec<i64> = indices
                .iter()
                .copied()
                .filter(|i| *i < 0 || *i >= n)
                .collect();
            let entries = indices.len() + unindexed;
            v.expect(
                CheckId::FailedEventsIndices,
                unique.len() == indices.len()
                    && out_of_range.is_empty()
                    && entries as i64 <= s.failed,
                || {
                    let mut why = Vec::new();
                    if unique.len() != indices.len() {
                        why.push(format!("it lists an index twice ({})", plain_list(indices)));
                    }
                    if !out_of_range.is_empty() {
                        why.push(format!(
                            "indices {} are not positions of a batch of {n} (0-based)",
                            plain_list(&out_of_range)
                        ));
                    }
                    if entries as i64 > s.failed {
                        why.push(format!(
                            "it has {entries} entries but failed is {}",
                            s.failed
                        ));
                    }
                    format!("failed_events is wrong: {}", why.join("; "))
                },
            );
        }
        None => v.moot(
            CheckId::FailedEventsIndices,
            "the server's answers never listed failed_events (optional)",
        ),
    }
    let valid_listed: Vec<i64> = listed
        .iter()
        .flat_map(|(i, _)| i.iter().copied())
        .filter(|i| input.valid.get(*i as usize) == Some(&true) && *i >= 0)
        .collect();
    let too_many = s.failed > invalid.len() as i64;
    v.expect(
        CheckId::MixedValidCounted,
        valid_listed.is_empty() && !too_many,
        || {
            if valid_listed.is_empty() {
                format!(
                    "{} events failed, but only {} of the {n} were invalid (at {}): valid events were reported failed",
                    s.failed,
                    invalid.len(),
                    plain_list(&invalid)
                )
            } else {
                format!(
                    "valid events reported failed: {} (the invalid ones are at {})",
                    plain_list(&valid_listed),
                    plain_list(&invalid)
                )
            }
        },
    );
}

/// Batches of valid events (`batch.valid.accepted`, `batch.large.accepted`): accepted with 2xx;
/// what the body says is judged by the checks every batch answer gets.
pub fn valid_batch(check: CheckId) -> Judge {
    Judge::new(vec![check], move |input, o, v| {
        let Some(o) = o.first() else { return };
        v.expect(check, o.is_2xx(), || {
            format!(
                "an all-valid batch of {} events was not accepted: got {}",
                input.valid.len(),
                o.describe()
            )
        });
    })
}

/// Batches with some invalid events: answered 200 with a body, invalid events counted failed,
/// and listed exactly when failed_events is given.
pub fn mixed_batch() -> Judge {
    Judge::new(
        vec![
            CheckId::MixedInvalidCounted,
            CheckId::Mixed200,
            CheckId::MixedIndices,
            CheckId::NotRetriable,
        ],
        |input, o, v| {
            let Some(o) = o.first() else { return };
            let n = input.valid.len() as i64;
            let invalid = invalid_positions(input);
            v.expect(
                CheckId::Mixed200,
                o.status == Some(200) && has_body(o),
                || {
                    format!(
                    "expected 200 with a body for a batch of {n} with invalid events at {}, got {}",
                    plain_list(&invalid),
                    o.describe()
                )
                },
            );
            if o.is_4xx() {
                // Refusing the whole batch refuses its invalid events too.
                v.expect(CheckId::MixedInvalidCounted, true, String::new);
                return;
            }
            let r = match o.is_2xx().then(|| batch_response(o)) {
                Some(Ok(r)) => r,
                Some(Err(_)) if !has_body(o) => {
                    v.fail(
                        CheckId::MixedInvalidCounted,
                        format!(
                            "a batch of {n} with invalid events at {} got {}, which says every event was taken",
                            plain_list(&invalid),
                            o.describe()
                        ),
                    );
                    return;
                }
                _ => return,
            };
            let s = &r.summary;
            v.expect(
                CheckId::MixedInvalidCounted,
                s.failed >= invalid.len() as i64,
                || {
                    format!(
                        "{} of {n} events were invalid (at {}), but failed is {}: invalid events were counted successful",
                        invalid.len(),
                        plain_list(&invalid),
                        s.failed
                    )
                },
            );
            match failed_indices(&r) {
                Some((indices, unindexed)) => v.expect(
                    CheckId::MixedIndices,
                    unindexed == 0 && indices == invalid,
                    || {
                        let extra = if unindexed > 0 {
                            format!(" and {unindexed} entries without an index")
                        } else {
                            String::new()
                        };
                        format!(
                            "failed_events should list {} (0-based); it lists {}{extra}",
                            plain_list(&invalid),
                            plain_list(&indices)
                        )
                    },
                ),
                None => v.moot(
                    CheckId::MixedIndices,
                    "the server's answers never listed failed_events (optional)",
                ),
            }
            not_retriable(&r, &invalid, v);
        },
    )
}

/// Batches whose events are all invalid: refused, or every event counted failed.
pub fn all_failed_batch() -> Judge {
    Judge::new(
        vec![CheckId::AllFailed, CheckId::NotRetriable],
        |input, o, v| {
            let Some(o) = o.first() else { return };
            let n = input.valid.len() as i64;
            if o.is_4xx() {
                v.expect(CheckId::AllFailed, true, String::new);
                return;
            }
            if o.is_2xx() && has_body(o) && batch_response(o).is_err() {
                v.moot(
                    CheckId::AllFailed,
                    "the answer broke the response schema (reported by batch.response.schema)",
                );
                return;
            }
            let counted = o.is_2xx().then(|| batch_response(o).ok()).flatten();
            match counted {
                Some(r) => {
                    v.expect(CheckId::AllFailed, r.summary.failed == n, || {
                        format!(
                            "a batch of {n} invalid events was answered with failed {}: invalid events were counted successful",
                            r.summary.failed
                        )
                    });
                    let all: Vec<i64> = (0..n).collect();
                    not_retriable(&r, &all, v);
                }
                None => v.fail(
                    CheckId::AllFailed,
                    format!(
                        "a batch of {n} invalid events got {}; expected 4xx, or an answer counting every event failed",
                        o.describe()
                    ),
                ),
            }
        },
    )
}

/// `batch.failed.not_retriable`: every failure here is a validation failure, which a retry
/// cannot fix.
fn not_retriable(r: &BatchResponse, invalid: &[i64], v: &mut Verdicts) {
    let entries = r.failed_events.iter().flatten();
    let said = r.summary.retriable.is_some() || entries.clone().any(|f| f.retriable.is_some());
    if !said {
        v.moot(
            CheckId::NotRetriable,
            "the server's answers never said whether failures are retriable (optional)",
        );
        return;
    }
    let marked: Vec<i64> = entries
        .filter(|f| f.retriable == Some(true))
        .filter_map(|f| f.index)
        .filter(|i| invalid.contains(i))
        .collect();
    let counted = r.summary.retriable.unwrap_or(0);
    v.expect(
        CheckId::NotRetriable,
        marked.is_empty() && counted == 0,
        || {
            if marked.is_empty() {
                format!(
                    "summary.retriable is {counted}, but every failure was a validation failure"
                )
            } else {
                format!(
                    "events {} failed validation but are marked retriable",
                    plain_list(&marked)
                )
            }
        },
    );
}

/// The checks [`judge_all`] emits on requests to `endpoint` whatever the family.
pub fn universal(endpoint: Endpoint) -> Vec<CheckId> {
    let mut out = vec![
        CheckId::TransportAnswered,
        CheckId::TransportFraming,
        no_server_error(endpoint),
    ];
    if endpoint == Endpoint::Batch {
        out.extend_from_slice(BATCH_ANSWER);
    }
    out
}

/// The endpoint's no-5xx check.
pub fn no_server_error(endpoint: Endpoint) -> CheckId {
    match endpoint {
        Endpoint::Single => CheckId::SingleNoServerError,
        Endpoint::Batch => CheckId::BatchNoServerError,
    }
}

/// Every verdict on one case. A request that got no answer (or was not sent), a broken answer
/// or a 5xx says nothing more about the family's checks: only `transport.answered`,
/// `transport.framing` or the endpoint's `no_server_error` check hears of it, so one cause is
/// reported once, and the family's checks are moot for that case.
pub fn judge_all(judge: &Judge, input: &Input, observed: &[Observed]) -> Vec<Verdict> {
    let mut v = Verdicts::default();
    let mut sound = true;
    for (req, o) in input.requests.iter().zip(observed) {
        if o.skipped {
            sound = false;
            continue;
        }
        // Worded only when it fails: this runs for every request.
        v.expect(CheckId::TransportAnswered, o.status.is_some(), || {
            format!("{}: {}", describe_label(&input.label), o.describe())
        });
        if o.status.is_some() {
            v.expect(CheckId::TransportFraming, o.framing.is_none(), || {
                format!(
                    "the answer ({}) is framed wrongly: {}",
                    o.describe(),
                    o.framing.as_deref().unwrap_or_default()
                )
            });
        }
        if let Some(status) = o.status {
            v.expect(no_server_error(req.endpoint), status < 500, || {
                format!("server error {status} for {}", describe_label(&input.label))
            });
            if req.endpoint == Endpoint::Batch && o.framing.is_none() {
                batch_answer(input, o, &mut v);
            }
        }
        sound &= o.status.is_some_and(|s| s < 500) && o.framing.is_none();
    }
    let mut out = v.into_vec();
    if sound {
        out.extend(judge.judge(input, observed));
    } else {
        let why = "not judged on a case whose answer was missing, broken or a 5xx (reported by transport.answered, transport.framing or no_server_error)";
        out.extend(judge.declares().iter().map(|c| Verdict {
            check: *c,
            judgement: Judgement::Moot(why.into()),
        }));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Observed {
        Observed {
            status: Some(status),
            content_type: Some("application/json".into()),
            body: body.as_bytes().to_vec(),
            ..Observed::default()
        }
    }

    fn batch_of(valid: &[bool]) -> Input {
        Input {
            label: "x".into(),
            requests: vec![Req::batch(b"[]".to_vec())],
            valid: valid.to_vec(),
            purpose: crate::wire::Purpose::Events,
            reads_back: false,
        }
    }

    fn failing(verdicts: &[Verdict]) -> Vec<&'static str> {
        verdicts
            .iter()
            .filter(|v| matches!(v.judgement, Judgement::Fail(_)))
            .map(|v| v.check.id())
            .collect()
    }

    #[test]
    fn lists_and_empty_bodies_read_as_plain_words() {
        assert_eq!(plain_list(&[]), "none");
        assert_eq!(plain_list(&[0, 0]), "0 and 0");
        assert_eq!(plain_list(&[1, 2, 3]), "1, 2 and 3");
        let e = batch_response(&answer(200, "")).expect_err("empty");
        assert!(e.contains("empty body") && !e.contains("EOF"), "{e}");
    }

    #[test]
    fn an_honest_lenient_answer_fails_only_should_checks() {
        // Two valid events and one invalid, all counted successful, no failed_events.
        let input = batch_of(&[true, false, true]);
        let o = answer(
            200,
            r#"{"status":"success","summary":{"received":3,"successful":3,"failed":0}}"#,
        );
        let all = judge_all(&mixed_batch(), &input, &[o]);
        assert_eq!(failing(&all), ["batch.mixed.invalid_counted"]);
        for v in &all {
            if let Judgement::Fail(_) = v.judgement {
                assert_eq!(v.check.tier(), crate::checks::CheckTier::Should);
            }
        }
    }

    #[test]
    fn answers_that_do_not_add_up_fail_must_checks() {
        let input = batch_of(&[true, false, true]);
        let listed_valid = answer(
            200,
            r#"{"status":"partial_success","summary":{"received":3,"successful":2,"failed":1},"failed_events":[{"index":0}]}"#,
        );
        let all = judge_all(&mixed_batch(), &input, &[listed_valid]);
        assert_eq!(
            failing(&all),
            ["batch.mixed.valid_counted", "batch.mixed.failed_indices"]
        );
        let miscounted = answer(
            200,
            r#"{"status":"partial_success","summary":{"received":4,"successful":2,"failed":1},"failed_events":[{"index":1},{"index":1}]}"#,
        );
        let all = judge_all(&mixed_batch(), &input, &[miscounted]);
        assert_eq!(
            failing(&all),
            [
                "batch.summary.received",
                "batch.summary.adds_up",
                "batch.failed_events.indices",
                "batch.mixed.failed_indices"
            ]
        );
    }

    #[test]
    fn a_202_is_judged_once_by_the_status_check() {
        let input = batch_of(&[false, false]);
        let o = answer(
            202,
            r#"{"status":"partial_success","summary":{"received":2,"successful":0,"failed":2}}"#,
        );
        let all = judge_all(&all_failed_batch(), &input, &[o]);
        assert_eq!(failing(&all), ["batch.status_code"]);
    }

    #[test]
    fn every_judge_emits_only_what_it_declares() {
        let bodies = [
            answer(
                200,
                r#"{"status":"success","summary":{"received":2,"successful":2,"failed":0}}"#,
            ),
            answer(
                200,
                r#"{"status":"partial_success","summary":{"received":2,"successful":1,"failed":1,"retriable":1,"non_retriable":0},"failed_events":[{"index":1,"retriable":true}]}"#,
            ),
            answer(204, ""),
            answer(202, "{}"),
            answer(400, "{}"),
            answer(500, ""),
            Observed::default(),
        ];
        let judges = [
            status(CheckId::ValidRun, Want::Accept, Some(CheckId::Status200)),
            status(
                CheckId::InvalidType,
                Want::Reject,
                Some(CheckId::InvalidStatus),
            ),
            status(CheckId::Empty, Want::Below500, None),
            content_encoding(),
            valid_batch(CheckId::BatchValid),
            mixed_batch(),
            all_failed_batch(),
        ];
        for judge in &judges {
            for endpoint in [Endpoint::Single, Endpoint::Batch] {
                for o in &bodies {
                    let input = Input {
                        label: "x".into(),
                        requests: vec![Req::json(endpoint, b"{}".to_vec())],
                        valid: vec![true, false],
                        purpose: crate::wire::Purpose::Events,
                        reads_back: false,
                    };
                    let allowed = universal(endpoint);
                    for v in judge_all(judge, &input, std::slice::from_ref(o)) {
                        assert!(
                            judge.declares().contains(&v.check) || allowed.contains(&v.check),
                            "{} emitted by a judge declaring {:?}",
                            v.check,
                            judge.declares()
                        );
                    }
                }
            }
        }
    }
}
