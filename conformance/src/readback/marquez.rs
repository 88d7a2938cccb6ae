//! The Marquez read-back adapter: a run as Marquez's API gives it back.
//!
//! Marquez keeps each event as sent and derives runs from them; its users read the derived
//! runs (`GET {api}/namespaces/{ns}/jobs/{job}/runs`: state, `startedAt`, `endedAt`, run
//! facets), so those decide the event type, the instant and the run facets read back. The rest
//! of the event (datasets, job facets, unknown fields) comes from the stored copy
//! (`GET {api}/events/lineage`, newest first), which Marquez writes back from what it parsed:
//! known fields it did not get come back as `null`, and times in UTC (both equal by the
//! comparison's rules).

use serde_json::{json, Value};

use super::{join, parse_time, same_id, Key, Reader};

/// How many runs of a job, and how many events of a page, are read per lookup.
const PAGE: usize = 100;
/// Pages of events read at most per lookup.
const PAGES: usize = 10;

/// The run state Marquez derives from an eventType, and which timestamp holds the eventTime.
fn derived(event_type: &str) -> Option<(&'static [&'static str], &'static str)> {
    match event_type {
        "START" | "RUNNING" | "" => {
            Some((&["RUNNING", "COMPLETED", "FAILED", "ABORTED"], "startedAt"))
        }
        "COMPLETE" => Some((&["COMPLETED"], "endedAt")),
        "FAIL" => Some((&["FAILED"], "endedAt")),
        "ABORT" => Some((&["ABORTED"], "endedAt")),
        _ => None,
    }
}

/// The eventType a Marquez run state stands for, given the one sent (a RUNNING run may have
/// come from a START or a RUNNING event).
fn event_type_of(state: &str, sent: &str) -> &'static str {
    match state {
        "COMPLETED" => "COMPLETE",
        "FAILED" => "FAIL",
        "ABORTED" => "ABORT",
        // Marquez turns START, RUNNING and OTHER alike into a running run.
        "RUNNING" if sent == "RUNNING" => "RUNNING",
        "RUNNING" if sent == "OTHER" => "OTHER",
        "RUNNING" => "START",
        _ => "OTHER",
    }
}

fn path_segment(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `GET url` as JSON.
async fn get_value(reader: &Reader, url: &reqwest::Url) -> Result<Value, String> {
    let text = reader.get_json(url).await?;
    serde_json::from_str(&text).map_err(|e| format!("GET {url}: not JSON: {e}"))
}

/// One lookup: the run as Marquez derives it merged over the stored copy of the event.
pub(crate) async fn read(
    reader: &Reader,
    base: &reqwest::Url,
    key: &Key,
) -> (Result<Vec<Value>, String>, Vec<String>, String) {
    let mut runs_url = join(
        base,
        &format!(
            "namespaces/{}/jobs/{}/runs",
            path_segment(&key.namespace),
            path_segment(&key.job)
        ),
    );
    runs_url
        .query_pairs_mut()
        .append_pair("limit", &PAGE.to_string());
    // Marquez filters events by eventTime only: a window around the instant sent keeps the
    // pages few (a store that moved the instant is caught on the run's own timestamps).
    let mut events_url = join(base, "events/lineage");
    {
        let mut q = events_url.query_pairs_mut();
        q.append_pair("limit", &PAGE.to_string())
            .append_pair("sortDirection", "desc");
        if let Some(t) = parse_time(&key.event_time) {
            let utc = |d: chrono::Duration| {
                (t + d)
                    .with_timezone(&chrono::Utc)
                    .format("%Y-%m-%dT%H:%M:%S%.6fZ")
                    .to_string()
            };
            q.append_pair("after", &utc(-chrono::Duration::seconds(2)))
                .append_pair("before", &utc(chrono::Duration::seconds(2)));
        }
    }
    let how = format!("curl -sS '{runs_url}'; curl -sS '{events_url}'");
    let runs = match get_value(reader, &runs_url).await {
        Ok(v) => v,
        Err(e) => return (Err(e), Vec::new(), how),
    };
    let run = runs
        .get("runs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|r| {
            r.get("id")
                .and_then(Value::as_str)
                .is_some_and(|id| same_id(id, &key.run_id))
        });
    let Some(run) = run else {
        return (Ok(Vec::new()), Vec::new(), how);
    };
    let mut copies: Vec<Value> = Vec::new();
    for page in 0..PAGES {
        let mut url = events_url.clone();
        url.query_pairs_mut()
            .append_pair("offset", &(page * PAGE).to_string());
        let raw = match get_value(reader, &url).await {
            Ok(v) => v,
            Err(e) => return (Err(e), Vec::new(), how),
        };
        let events = raw
            .get("events")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let n = events.len();
        copies.extend(events.into_iter().filter(|e| {
            e.pointer("/run/runId")
                .and_then(Value::as_str)
                .is_some_and(|id| same_id(id, &key.run_id))
        }));
        if n < PAGE || !copies.is_empty() {
            break;
        }
    }
    (Ok(merge(run, &copies, key)), Vec::new(), how)
}

/// The event read back: the newest stored copy of the event, with what the run derives in place
/// of its own eventType, eventTime and run facets (or the derived run alone when no copy is
/// listed).
fn merge(run: &Value, copies: &[Value], key: &Key) -> Vec<Value> {
    let state = run.get("state").and_then(Value::as_str).unwrap_or("");
    let event_type = event_type_of(state, &key.event_type);
    let time_field = derived(&key.event_type)
        .filter(|(states, _)| states.contains(&state))
        .map_or("startedAt", |(_, field)| field);
    let instant = run
        .get(time_field)
        .and_then(Value::as_str)
        .filter(|t| parse_time(t).is_some())
        .map(String::from);
    let facets = run.get("facets").cloned().unwrap_or_else(|| json!({}));
    let overlay = |mut e: Value| {
        e["eventType"] = json!(event_type);
        match &instant {
            Some(t) => e["eventTime"] = json!(t),
            None => e["eventTime"] = Value::Null,
        }
        e["run"]["facets"] = facets.clone();
        e
    };
    let same_type: Vec<Value> = copies
        .iter()
        .filter(|c| c.get("eventType").and_then(Value::as_str) == Some(&key.event_type))
        .cloned()
        .collect();
    // Users read one run, however many copies of an event the raw log holds: the newest
    // copy (the answer is newest first) stands for them.
    match same_type.into_iter().next() {
        Some(copy) => vec![overlay(copy)],
        None => vec![overlay(json!({
            "run": {"runId": run.get("id").cloned().unwrap_or(Value::Null)},
            "job": {"namespace": key.namespace, "name": key.job},
        }))],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_map_back_to_event_types() {
        assert_eq!(event_type_of("RUNNING", "START"), "START");
        assert_eq!(event_type_of("COMPLETED", "START"), "COMPLETE");
        assert_eq!(derived("COMPLETE").map(|d| d.1), Some("endedAt"));
        assert_eq!(path_segment("my ns/x"), "my%20ns%2Fx");
    }
}
