//! The read-back families: the cases whose stored form is read back, and their judges.
//!
//! Every event is a START RunEvent of its own run, with plain job and dataset names (odd
//! names have families of their own) and two extensions the should-tier check looks for. The
//! families send only with `--read-back`; without it their checks are not run.

use openlineage_types::arb::draw::{leaf, Gen};
use openlineage_types::arb::{GenConfig, ValueGen};
use openlineage_types::EventKind;
use proptest::prelude::*;
use serde_json::{json, Value};

use super::{add_extras, copies, first_difference, is_extra, matching, not_kept, Lookup};
use crate::checks::CheckId;
use crate::families::{body_of, normalise, Family};
use crate::judge::{Judge, Verdicts};
use crate::wire::{Endpoint, Input, Observed, Purpose, Req};
use crate::Error;

/// The eventTime forms the stored-and-kept family sends, one kind each (stores that parse
/// times by hand keep some and not others): a label, the offset in seconds east of UTC, and
/// the format.
const TIME_FORMS: [(&str, i32, &str); 5] = [
    (
        "eventTime in UTC with milliseconds",
        0,
        "%Y-%m-%dT%H:%M:%S%.3fZ",
    ),
    (
        "eventTime with a +05:30 offset",
        19_800,
        "%Y-%m-%dT%H:%M:%S%.3f%:z",
    ),
    (
        "eventTime with lower-case t and z",
        0,
        "%Y-%m-%dt%H:%M:%S%.3fz",
    ),
    ("eventTime with nanoseconds", 0, "%Y-%m-%dT%H:%M:%S%.9fZ"),
    (
        "eventTime with a -08:00 offset and no fraction",
        -28_800,
        "%Y-%m-%dT%H:%M:%S%:z",
    ),
];

/// An instant in 2024 (to the nanosecond) written in one of [`TIME_FORMS`].
fn time_in(seconds: i64, nanos: u32, offset: i32, format: &str) -> String {
    let utc = chrono::DateTime::from_timestamp(1_704_067_200 + seconds, nanos).unwrap_or_default();
    let zone = chrono::FixedOffset::east_opt(offset)
        .unwrap_or(chrono::FixedOffset::east_opt(0).expect("UTC"));
    utc.with_timezone(&zone).format(format).to_string()
}

/// A clean START RunEvent with plain names and the read-back extensions.
fn base(gen: &ValueGen) -> Result<BoxedStrategy<Value>, Error> {
    Ok(gen
        .event_value(EventKind::Run)?
        .prop_map(|mut v| {
            normalise(&mut v);
            v["eventType"] = json!("START");
            let run = v
                .pointer("/run/runId")
                .and_then(Value::as_str)
                .unwrap_or("run")
                .chars()
                .take(8)
                .collect::<String>();
            v["job"]["namespace"] = json!("ol-conformance");
            v["job"]["name"] = json!(format!("readback-{run}"));
            for list in ["inputs", "outputs"] {
                if let Some(items) = v.get_mut(list).and_then(Value::as_array_mut) {
                    for (i, d) in items.iter_mut().enumerate() {
                        d["namespace"] = json!("ol-conformance");
                        d["name"] = json!(format!("{list}.table_{i}"));
                    }
                }
            }
            v
        })
        .boxed())
}

/// Read-back cases are few and sent only with `--read-back`: plain proptest strategies,
/// drawn through their trees.
fn rare(kinds: Vec<BoxedStrategy<Input>>) -> Vec<Gen<Input>> {
    kinds.into_iter().map(leaf).collect()
}

fn reading(label: String, requests: Vec<Req>, valid: Vec<bool>) -> Input {
    Input {
        label,
        requests,
        valid,
        purpose: Purpose::Events,
        reads_back: true,
    }
}

/// Every read-back family.
pub(crate) fn families() -> Result<Vec<Family>, Error> {
    let gen = ValueGen::new(GenConfig {
        extensions: false,
        ..GenConfig::MEDIUM
    })?;
    let run = base(&gen)?;
    let mut out = Vec::new();
    let kinds = TIME_FORMS
        .iter()
        .map(|&(label, offset, format)| {
            (run.clone(), 0..366 * 86_400i64, 0..1_000_000_000u32)
                .prop_map(move |(mut v, seconds, nanos)| {
                    v["eventTime"] = json!(time_in(seconds, nanos, offset, format));
                    add_extras(&mut v, label);
                    reading(label.into(), vec![Req::single(body_of(&v))], vec![true])
                })
                .boxed()
        })
        .collect();
    out.push(Family {
        name: "read-back of accepted events",
        endpoint: Endpoint::Single,
        fixed_cases: None,
        shrinks: true,
        kinds: rare(kinds),
        judge: Judge::new(
            vec![
                CheckId::ReadBackStored,
                CheckId::ReadBackKept,
                CheckId::ReadBackExtras,
            ],
            judge_accepted,
        ),
    });
    type Break = fn(&mut Value);
    let breaks: [(&str, Break); 2] = [
        ("an event without producer", |v| {
            if let Some(o) = v.as_object_mut() {
                o.remove("producer");
            }
        }),
        ("an event whose eventType is not in the enum", |v| {
            v["eventType"] = json!("FINISHED")
        }),
    ];
    let kinds = breaks
        .iter()
        .map(|&(label, broken)| {
            run.clone()
                .prop_map(move |mut v| {
                    broken(&mut v);
                    reading(label.into(), vec![Req::single(body_of(&v))], vec![false])
                })
                .boxed()
        })
        .collect();
    out.push(Family {
        name: "read-back of refused events",
        endpoint: Endpoint::Single,
        fixed_cases: None,
        shrinks: true,
        kinds: rare(kinds),
        judge: Judge::new(vec![CheckId::ReadBackRefused], judge_refused),
    });
    let kinds = vec![(run.clone(), run.clone())
        .prop_map(|(mut good, mut bad)| {
            add_extras(&mut good, "a batch of a valid and an invalid event");
            if let Some(o) = bad.as_object_mut() {
                o.remove("producer");
            }
            reading(
                "a batch of a valid and an invalid event".into(),
                vec![Req::batch(body_of(&json!([good, bad])))],
                vec![true, false],
            )
        })
        .boxed()];
    out.push(Family {
        name: "read-back of a mixed batch",
        endpoint: Endpoint::Batch,
        fixed_cases: None,
        shrinks: true,
        kinds: rare(kinds),
        judge: Judge::new(
            vec![CheckId::ReadBackRefused, CheckId::ReadBackStored],
            judge_refused,
        ),
    });
    let kinds = vec![(run, 0..366 * 86_400i64)
        .prop_map(|(mut v, seconds)| {
            v["eventTime"] = json!(time_in(seconds, 0, 0, "%Y-%m-%dT%H:%M:%S%.3fZ"));
            add_extras(&mut v, "the same event sent twice");
            let req = Req::single(body_of(&v));
            reading(
                "the same event sent twice".into(),
                vec![req.clone(), req],
                vec![true, true],
            )
        })
        .boxed()];
    out.push(Family {
        name: "read-back of a retried event",
        endpoint: Endpoint::Single,
        fixed_cases: None,
        shrinks: true,
        kinds: rare(kinds),
        judge: Judge::new(vec![CheckId::ReadBackOnce], judge_retried),
    });
    Ok(out)
}

/// Why a lookup says nothing about storage, if it does not.
fn unreadable(l: &Lookup) -> Option<String> {
    l.stored
        .as_ref()
        .err()
        .map(|e| format!("the read-back failed: {e}"))
}

fn stored_count(l: &Lookup) -> usize {
    l.stored.as_ref().map_or(0, Vec::len)
}

/// Stored, and kept as sent: the must checks on what identifies the event and its facets,
/// the should check on the rest.
fn judge_accepted(_: &Input, observed: &[Observed], v: &mut Verdicts) {
    let all = [
        CheckId::ReadBackStored,
        CheckId::ReadBackKept,
        CheckId::ReadBackExtras,
    ];
    let Some(o) = observed.last() else { return };
    if !o.is_2xx() {
        for c in all {
            v.moot(c, "the target did not accept the event");
        }
        return;
    }
    for l in &o.stored {
        judge_stored(l, o, v);
    }
}

/// Judges `readback.stored` for one lookup, `answered` saying what the target's answer told
/// the client. Returns the stored copies of the event, or why there are none to judge further.
fn judge_found<'a>(
    l: &'a Lookup,
    o: &Observed,
    answered: &str,
    v: &mut Verdicts,
) -> Result<Vec<&'a Value>, String> {
    if let Some(why) = unreadable(l) {
        v.moot(CheckId::ReadBackStored, why.clone());
        return Err(why);
    }
    let stored = l.stored.as_deref().unwrap_or_default();
    let found = matching(stored, &l.key);
    v.expect(CheckId::ReadBackStored, !found.is_empty(), || {
        format!(
            "the target answered {}{answered}, but reading back run {} found {}",
            o.status.unwrap_or_default(),
            l.key.run_id,
            match stored.len() {
                0 => "nothing".to_string(),
                n => format!("{n} stored events, none a {}", l.key.event_type),
            }
        )
    });
    if found.is_empty() {
        return Err("the event was not stored".into());
    }
    Ok(found)
}

fn judge_stored(l: &Lookup, o: &Observed, v: &mut Verdicts) {
    let found = match judge_found(l, o, " to the event", v) {
        Ok(found) => found,
        Err(why) => {
            for c in [CheckId::ReadBackKept, CheckId::ReadBackExtras] {
                v.moot(c, why.clone());
            }
            return;
        }
    };
    // Of several stored copies, the one closest to what was sent is judged.
    let closest = |include: &dyn Fn(&str) -> bool| {
        let diffs: Vec<_> = found
            .iter()
            .map(|s| first_difference(&l.sent, s, include))
            .collect();
        if diffs.iter().any(Option::is_none) {
            None
        } else {
            diffs.into_iter().flatten().next()
        }
    };
    let must = |p: &str| !is_extra(p) && !not_kept(p, &l.not_kept);
    let should = |p: &str| is_extra(p) && !not_kept(p, &l.not_kept);
    match closest(&must) {
        Some(d) => v.fail(
            CheckId::ReadBackKept,
            format!("the event was stored changed: {}", d.describe()),
        ),
        None => v.expect(CheckId::ReadBackKept, true, String::new),
    }
    match closest(&should) {
        Some(d) => v.fail(
            CheckId::ReadBackExtras,
            format!(
                "the event was stored without all it carried: {}",
                d.describe()
            ),
        ),
        None => v.expect(CheckId::ReadBackExtras, true, String::new),
    }
}

/// Refused events are not stored; in a batch, the accepted ones are.
fn judge_refused(input: &Input, observed: &[Observed], v: &mut Verdicts) {
    let Some(o) = observed.last() else { return };
    let batch = input.requests.first().map(|r| r.endpoint) == Some(Endpoint::Batch);
    let mut refused_any = false;
    for l in &o.stored {
        if !l.refused {
            if batch && o.is_2xx() {
                judge_stored_only(l, o, v);
            }
            continue;
        }
        refused_any = true;
        if let Some(why) = unreadable(l) {
            v.moot(CheckId::ReadBackRefused, why);
            continue;
        }
        let n = stored_count(l);
        let how = if o.is_4xx() {
            format!("refused the event with {}", o.status.unwrap_or_default())
        } else {
            "listed the event in failed_events".to_string()
        };
        v.expect(CheckId::ReadBackRefused, n == 0, || {
            format!(
                "the target {how}, yet reading back run {} found {n} stored event{}: a client that trusts the answer will not resend it, or will resend it and have it twice",
                l.key.run_id,
                if n == 1 { "" } else { "s" }
            )
        });
    }
    if !refused_any {
        v.moot(
            CheckId::ReadBackRefused,
            if o.is_2xx() {
                "the target accepted the invalid event"
            } else {
                "the target answered neither 2xx nor 4xx"
            },
        );
    }
}

/// A valid event of a batch the target did not list in `failed_events` is stored.
fn judge_stored_only(l: &Lookup, o: &Observed, v: &mut Verdicts) {
    // What was stored is judged by the accepted family; only its presence is judged here.
    let _ = judge_found(
        l,
        o,
        " and did not list the valid event in failed_events",
        v,
    );
}

/// A retried event is one event.
fn judge_retried(_: &Input, observed: &[Observed], v: &mut Verdicts) {
    if observed.len() < 2 || !observed.iter().all(Observed::is_2xx) {
        v.moot(
            CheckId::ReadBackOnce,
            "the target did not accept both deliveries",
        );
        return;
    }
    let Some(l) = observed.last().and_then(|o| o.stored.first()) else {
        return;
    };
    if let Some(why) = unreadable(l) {
        v.moot(CheckId::ReadBackOnce, why);
        return;
    }
    let stored = l.stored.as_deref().unwrap_or_default();
    let n = copies(stored, &l.key).len();
    if n == 0 {
        v.moot(CheckId::ReadBackOnce, "the event was not stored");
        return;
    }
    v.expect(CheckId::ReadBackOnce, n == 1, || {
        format!(
            "the same event was delivered twice (a retried request) and reading back run {} found it stored {n} times",
            l.key.run_id
        )
    });
}
