//! Judges: how each family's answers are scored, check by check, in plain sentences. One status
//! judge serves every family whose check is about the status alone; the batch judges read the
//! batch answer's body.

use std::sync::Arc;

use openlineage_types::{BatchResponse, BatchResponseStatus};
use serde_json::Value;

use crate::checks::id;
use crate::wire::{Endpoint, Input, Observed, Req};

/// A check's verdict on one case.
pub type Verdict = (&'static str, Result<(), String>);
/// Judges are shared by the send workers, which judge each answer as it arrives.
pub type Judge = Arc<dyn Fn(&Input, &[Observed]) -> Vec<Verdict> + Send + Sync>;

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

fn expect(cond: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    if cond {
        Ok(())
    } else {
        Err(message())
    }
}

/// What a request carried, in a word or two: its eventType, else `the request`.
fn what(req: &Req) -> String {
    serde_json::from_slice::<Value>(&req.body)
        .ok()
        .and_then(|v| v.get("eventType").and_then(Value::as_str).map(String::from))
        .unwrap_or_else(|| "the request".into())
}

/// Each request and its answer, in order: `START got status 200, then COMPLETE got status 409`.
fn sequence(input: &Input, o: &[Observed]) -> String {
    input
        .requests
        .iter()
        .zip(o)
        .map(|(r, o)| format!("{} got {}", what(r), o.describe()))
        .collect::<Vec<_>>()
        .join(", then ")
}

/// The judge of a check about status codes alone; `rider` adds the exact-status check that
/// rides along (200 for accepted events, 400 or 422 for rejected ones).
pub fn status(check: &'static str, want: Want, rider: bool) -> Judge {
    Arc::new(move |input, o| status_verdicts(check, want, rider, input, o))
}

fn status_verdicts(
    check: &'static str,
    want: Want,
    rider: bool,
    input: &Input,
    o: &[Observed],
) -> Vec<Verdict> {
    let ok = |o: &Observed| match want {
        Want::Accept => o.is_2xx(),
        Want::Reject => o.is_4xx(),
        Want::Below500 => o.status.is_some_and(|s| s < 500),
    };
    let all = o.iter().all(ok);
    let label = &input.label;
    let verdict = expect(all, || match (want, o) {
        (Want::Accept, [one]) => {
            format!("valid event ({label}) not accepted: got {}", one.describe())
        }
        (Want::Accept, _) => format!(
            "expected every event to be accepted; {}",
            sequence(input, o)
        ),
        (Want::Reject, [one]) => format!(
            "invalid input ({}) not rejected with 4xx: got {}",
            describe_label(label),
            one.describe()
        ),
        (Want::Reject, _) => format!("expected 4xx for each; {}", sequence(input, o)),
        (Want::Below500, _) => format!(
            "expected an answer below 500 ({label}); {}",
            sequence(input, o)
        ),
    });
    let mut out = vec![(check, verdict)];
    if rider && all {
        match want {
            Want::Accept => out.push((
                id::STATUS_200,
                expect(o.iter().all(|o| o.status == Some(200)), || {
                    format!("expected 200 for a valid event, got {}", sequence(input, o))
                }),
            )),
            Want::Reject => out.push((
                id::INVALID_STATUS,
                expect(
                    o.iter().all(|o| matches!(o.status, Some(400 | 422))),
                    || {
                        format!(
                            "expected 400 or 422 for {}, got {}",
                            describe_label(label),
                            sequence(input, o)
                        )
                    },
                ),
            )),
            Want::Below500 => {}
        }
    }
    out
}

/// A mutation id with what it means when the id alone is not plain.
fn describe_label(label: &str) -> String {
    match label {
        "malformed.empty" => "an empty body".into(),
        "malformed.truncated" => "JSON cut off half way".into(),
        "malformed.invalid_utf8" => "bytes that are not UTF-8".into(),
        "malformed.deep_nesting" => "JSON nested 100000 arrays deep".into(),
        "malformed.trailing_content" => "text after the JSON value".into(),
        "malformed.concatenated" => "two JSON values back to back".into(),
        "malformed.duplicate_keys" => "a repeated key".into(),
        other => format!("`{other}`"),
    }
}

/// `single.content_encoding.handled`: gzip is accepted or refused with 415 (a server that
/// ignores Content-Encoding and parses the compressed bytes answers 400); identity is accepted.
pub fn content_encoding(input: &Input, o: &[Observed]) -> Vec<Verdict> {
    let Some((req, o)) = input.requests.first().zip(o.first()) else {
        return vec![];
    };
    let verdict = match req.content_encoding {
        Some("gzip") => expect(o.is_2xx() || o.status == Some(415), || {
            format!(
                "a gzip-encoded valid event got {}; expected 2xx, or 415 when gzip is not supported",
                o.describe()
            )
        }),
        _ => expect(o.is_2xx(), || {
            format!(
                "a valid event with Content-Encoding: identity got {}",
                o.describe()
            )
        }),
    };
    vec![(id::CONTENT_ENCODING, verdict)]
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

/// Parses a 200 batch answer; `Err` says in plain words why it breaks the response schema.
fn batch_response(o: &Observed) -> Result<BatchResponse, String> {
    if o.body.iter().all(u8::is_ascii_whitespace) {
        return Err("the 200 answer has an empty body; a 200 batch answer must hold status and summary (a server with nothing to say answers 204)".into());
    }
    let r: BatchResponse = serde_json::from_slice(&o.body)
        .map_err(|e| format!("the 200 answer is not a batch response: {e}"))?;
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

/// The failed_events indices of an answer: (indices given, entries without an index).
fn failed_indices(r: &BatchResponse) -> (Vec<i64>, usize) {
    let entries = r.failed_events.iter().flatten();
    let mut indices: Vec<i64> = entries.clone().filter_map(|f| f.index).collect();
    indices.sort_unstable();
    let missing = entries.filter(|f| f.index.is_none()).count();
    (indices, missing)
}

/// Batches of valid events (`batch.valid.accepted`, `batch.large.accepted`).
pub fn valid_batch(check: &'static str, input: &Input, o: &[Observed]) -> Vec<Verdict> {
    let Some(o) = o.first() else { return vec![] };
    let n = input.valid.len() as i64;
    let mut out = Vec::new();
    if o.is_2xx() && check == id::BATCH_VALID {
        out.push((
            id::BATCH_STATUS,
            expect(matches!(o.status, Some(200 | 204)), || {
                format!("expected 200 or 204, got {}", o.describe())
            }),
        ));
    }
    match o.status {
        Some(200) => match batch_response(o) {
            // The body breaking the schema is one finding, reported once.
            Err(e) => out.push((id::RESPONSE_SCHEMA, Err(e))),
            Ok(r) => {
                out.push((id::RESPONSE_SCHEMA, Ok(())));
                let s = &r.summary;
                out.push((check, expect(
                    r.status == BatchResponseStatus::Success
                        && s.received == n
                        && s.successful == n
                        && s.failed == 0,
                    || format!("{n} valid events: expected success with received {n}, successful {n} and failed 0; got {}, received {}, successful {}, failed {}", r.status, s.received, s.successful, s.failed),
                )));
            }
        },
        _ if o.is_2xx() => out.push((check, Ok(()))),
        _ => out.push((
            check,
            Err(format!(
                "an all-valid batch of {n} events was not accepted: got {}",
                o.describe()
            )),
        )),
    }
    out
}

/// Batches with some invalid events.
pub fn mixed_batch(input: &Input, o: &[Observed]) -> Vec<Verdict> {
    let Some(o) = o.first() else { return vec![] };
    let n = input.valid.len() as i64;
    let invalid = invalid_positions(input);
    let mut out = vec![(
        id::MIXED_200,
        expect(o.status == Some(200), || {
            format!(
                "expected 200 with a body for a batch of {n} with invalid events at {}, got {}",
                plain_list(&invalid),
                o.describe()
            )
        }),
    )];
    if o.status != Some(200) {
        return out;
    }
    let r = match batch_response(o) {
        Ok(r) => r,
        Err(e) => {
            out.push((id::RESPONSE_SCHEMA, Err(e)));
            return out;
        }
    };
    out.push((id::RESPONSE_SCHEMA, Ok(())));
    let s = &r.summary;
    let failed_expected = invalid.len() as i64;
    out.push((id::MIXED_SUMMARY, expect(
        s.received == n && s.failed == failed_expected && s.successful + s.failed == s.received,
        || format!("{n} events, {failed_expected} invalid (at {}): expected received {n}, successful {}, failed {failed_expected}; got received {}, successful {}, failed {}", plain_list(&invalid), n - failed_expected, s.received, s.successful, s.failed),
    )));
    out.push((
        id::MIXED_STATUS,
        expect(r.status == BatchResponseStatus::PartialSuccess, || {
            format!(
                "{failed_expected} events failed but the status is {}",
                r.status
            )
        }),
    ));
    let (indices, unindexed) = failed_indices(&r);
    out.push((
        id::MIXED_INDICES,
        expect(unindexed == 0 && indices == invalid, || {
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
        }),
    ));
    let valid_failed: Vec<i64> = indices
        .iter()
        .copied()
        .filter(|i| !invalid.contains(i))
        .collect();
    out.push((
        id::MIXED_VALID_COUNTED,
        expect(
            valid_failed.is_empty() && s.successful == n - failed_expected,
            || {
                format!(
                    "valid events reported failed: {}; successful {} of {} valid",
                    plain_list(&valid_failed),
                    s.successful,
                    n - failed_expected
                )
            },
        ),
    ));
    if let (Some(a), Some(b)) = (s.retriable, s.non_retriable) {
        out.push((
            id::MIXED_RETRIABLE,
            expect(a + b == s.failed, || {
                format!(
                    "retriable {a} plus non_retriable {b} is not failed {}",
                    s.failed
                )
            }),
        ));
    }
    out.push(not_retriable(&r, &invalid));
    out
}

/// Batches whose events are all invalid.
pub fn all_failed_batch(input: &Input, o: &[Observed]) -> Vec<Verdict> {
    let Some(o) = o.first() else { return vec![] };
    let n = input.valid.len() as i64;
    let all: Vec<i64> = (0..n).collect();
    match o.status {
        Some(200) => {}
        _ if o.is_4xx() => return vec![(id::ALL_FAILED, Ok(()))],
        _ => {
            return vec![(
                id::ALL_FAILED,
                Err(format!(
                    "a batch of {n} invalid events got {}; expected 4xx, or 200 with every event counted failed",
                    o.describe()
                )),
            )]
        }
    }
    let r = match batch_response(o) {
        Ok(r) => r,
        Err(e) => return vec![(id::RESPONSE_SCHEMA, Err(e))],
    };
    let s = &r.summary;
    let (indices, unindexed) = failed_indices(&r);
    vec![
        (id::RESPONSE_SCHEMA, Ok(())),
        (
            id::ALL_FAILED,
            expect(
                r.status != BatchResponseStatus::Success
                    && s.received == n
                    && s.failed == n
                    && s.successful == 0
                    && unindexed == 0
                    && indices == all,
                || {
                    format!(
                        "{n} invalid events: expected received {n}, failed {n}, successful 0, every index listed and a status other than success; got {}, received {}, successful {}, failed {}, indices listed {}",
                        r.status, s.received, s.successful, s.failed, plain_list(&indices)
                    )
                },
            ),
        ),
        not_retriable(&r, &all),
    ]
}

/// `batch.failed.not_retriable`: every failure here is a validation failure, which a retry
/// cannot fix.
fn not_retriable(r: &BatchResponse, invalid: &[i64]) -> Verdict {
    let marked: Vec<i64> = r
        .failed_events
        .iter()
        .flatten()
        .filter(|f| f.retriable == Some(true))
        .filter_map(|f| f.index)
        .filter(|i| invalid.contains(i))
        .collect();
    let counted = r.summary.retriable.unwrap_or(0);
    (
        id::NOT_RETRIABLE,
        expect(marked.is_empty() && counted == 0, || {
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
        }),
    )
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

/// Every verdict on one case. A request that got no answer (or was not sent) or a 5xx says
/// nothing more about the family's checks: only `transport.answered` or the endpoint's
/// `no_server_error` check hears of it, so one cause is reported once.
pub fn judge_all(judge: &Judge, input: &Input, observed: &[Observed]) -> Vec<Verdict> {
    let mut out = universal(input, observed);
    if observed
        .iter()
        .all(|o| o.status.is_some_and(|s| s < 500) && o.error.is_none() && !o.skipped)
    {
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
            id::TRANSPORT_ANSWERED,
            expect(o.status.is_some() && o.error.is_none(), || {
                format!("{}: {}", describe_label(&input.label), o.describe())
            }),
        ));
        if let Some(status) = o.status {
            let check = match req.endpoint {
                Endpoint::Single => id::SINGLE_NO_5XX,
                Endpoint::Batch => id::BATCH_NO_5XX,
            };
            out.push((
                check,
                expect(status < 500, || {
                    format!("server error {status} for {}", describe_label(&input.label))
                }),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_empty_bodies_read_as_plain_words() {
        assert_eq!(plain_list(&[]), "none");
        assert_eq!(plain_list(&[0, 0]), "0 and 0");
        assert_eq!(plain_list(&[1, 2, 3]), "1, 2 and 3");
        let empty = Observed {
            status: Some(200),
            ..Observed::default()
        };
        let e = batch_response(&empty).expect_err("empty");
        assert!(e.contains("empty body") && !e.contains("EOF"), "{e}");
    }
}
