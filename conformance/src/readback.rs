//! Read-back: what the target stored for the events it was sent, read through an adapter (the
//! reference server's read endpoint, Marquez's API, or a shell command), and the semantic
//! comparison the `readback.*` checks judge it by.
//!
//! A status code says only what a server claims; reading back says whether it kept the lineage.
//! The adapter returns, for one event sent, every event the store holds for that run as JSON,
//! as its users would read them (derived columns rather than a raw copy). Comparison is
//! semantic: the same instant in another offset, a UUID in another case, `1e3` for `1000`, an
//! absent field for an empty one and datasets in another order are all equal.

use std::time::Duration;

use chrono::{DateTime, FixedOffset, NaiveDateTime};
use serde_json::{json, Value};

use crate::wire::{Observed, Req};
use crate::Error;

/// The environment variables a read-back command gets besides its placeholders.
pub const COMMAND_ENV: [(&str, &str); 5] = [
    ("{runId}", "OL_RUN_ID"),
    ("{eventType}", "OL_EVENT_TYPE"),
    ("{eventTime}", "OL_EVENT_TIME"),
    ("{namespace}", "OL_JOB_NAMESPACE"),
    ("{job}", "OL_JOB_NAME"),
];

/// How to enable read-back, for messages that say it is off.
pub const HOW_TO_ENABLE: &str = "needs a read-back adapter: --read-back reference (ol-conformance serve), --read-back marquez, or --read-back 'COMMAND {runId} {eventType} {eventTime}'";

/// Where stored events are read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Adapter {
    /// `GET {target}/events?runId=` of `ol-conformance serve`.
    Reference,
    /// Marquez's public API: `GET {api}/namespaces/{ns}/jobs/{job}/runs` for what its queries
    /// derive, and `GET {api}/events/lineage` for the rest of each event. `None` reads from the
    /// target's own base (`http://host:5000/api/v1`).
    Marquez(Option<reqwest::Url>),
    /// A shell command run with `sh -c`, its placeholders replaced (see [`COMMAND_ENV`]); it
    /// prints the run's stored events as JSON (an array, one object, or one per line), or nothing.
    Command(String),
}

impl Adapter {
    /// Parses `--read-back`: `reference`, `marquez`, `marquez=URL`, `@FILE` (the same, read from
    /// a file) or a command holding `{runId}`.
    pub fn parse(spec: &str) -> Result<Adapter, Error> {
        let spec = spec.trim();
        if let Some(path) = spec.strip_prefix('@') {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Error::io(format!("cannot read --read-back file {path}"), e))?;
            return Adapter::parse(text.trim());
        }
        match spec {
            "reference" => return Ok(Adapter::Reference),
            "marquez" => return Ok(Adapter::Marquez(None)),
            _ => {}
        }
        if let Some(url) = spec.strip_prefix("marquez=") {
            let url = reqwest::Url::parse(url)
                .map_err(|e| Error::Usage(format!("--read-back marquez={url}: not a URL: {e}")))?;
            return Ok(Adapter::Marquez(Some(url)));
        }
        if spec.contains("{runId}") {
            return Ok(Adapter::Command(spec.to_string()));
        }
        Err(Error::Usage(format!(
            "--read-back `{spec}` is neither `reference`, `marquez[=URL]` nor a command with a {{runId}} placeholder"
        )))
    }

    /// The adapter in a few words, for the report.
    pub fn describe(&self) -> String {
        match self {
            Adapter::Reference => "reference (GET {target}/events?runId=)".into(),
            Adapter::Marquez(None) => {
                "marquez (the target's /namespaces/…/runs and /events/lineage)".into()
            }
            Adapter::Marquez(Some(url)) => format!("marquez at {url}"),
            Adapter::Command(c) => format!("command: {c}"),
        }
    }
}

/// Read-back settings of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadBackOptions {
    /// Where stored events come from.
    pub adapter: Adapter,
    /// JSON pointers (into an event) the store does not keep; they are not compared.
    pub not_kept: Vec<String>,
    /// How long an accepted event may take to become readable.
    pub wait: Duration,
}

impl ReadBackOptions {
    /// Settings with the default wait.
    pub fn new(adapter: Adapter) -> Self {
        ReadBackOptions {
            adapter,
            not_kept: Vec::new(),
            wait: Duration::from_secs_f64(crate::options::READ_BACK_WAIT_SECS),
        }
    }
}

/// What identifies one sent RunEvent to an adapter.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Key {
    /// `run.runId` as sent.
    pub run_id: String,
    /// `eventType` as sent (empty when absent).
    pub event_type: String,
    /// `eventTime` as sent.
    pub event_time: String,
    /// `job.namespace`.
    pub namespace: String,
    /// `job.name`.
    pub job: String,
}

impl Key {
    /// The key of a RunEvent; `None` for other events.
    pub fn of(event: &Value) -> Option<Key> {
        let text = |p: &str| event.pointer(p).and_then(Value::as_str).map(String::from);
        Some(Key {
            run_id: text("/run/runId")?,
            event_type: text("/eventType").unwrap_or_default(),
            event_time: text("/eventTime").unwrap_or_default(),
            namespace: text("/job/namespace").unwrap_or_default(),
            job: text("/job/name").unwrap_or_default(),
        })
    }

    fn value(&self, placeholder: &str) -> &str {
        match placeholder {
            "{runId}" => &self.run_id,
            "{eventType}" => &self.event_type,
            "{eventTime}" => &self.event_time,
            "{namespace}" => &self.namespace,
            _ => &self.job,
        }
    }
}

/// What was read back for one event of a request.
#[derive(Debug, Clone, PartialEq)]
pub struct Lookup {
    /// The event as sent.
    pub sent: Value,
    /// How it was looked up.
    pub key: Key,
    /// Every event the store holds for the run, or why reading failed.
    pub stored: Result<Vec<Value>, String>,
    /// Pointers the store does not keep (from the options and from the adapter).
    pub not_kept: Vec<String>,
    /// How to read it again by hand: the command or the URLs.
    pub how: String,
    /// Whether the answer refused this event (a 4xx, or listed in `failed_events`).
    pub refused: bool,
}

/// Reads stored events through the configured adapter.
#[derive(Debug, Clone)]
pub struct Reader {
    opts: ReadBackOptions,
    client: reqwest::Client,
    target: reqwest::Url,
}

impl Reader {
    /// A reader for `target` with `client`.
    pub fn new(opts: ReadBackOptions, client: reqwest::Client, target: reqwest::Url) -> Self {
        Reader {
            opts,
            client,
            target,
        }
    }

    /// Reads a run that cannot exist, so a broken adapter (a typo in the command, a wrong URL)
    /// stops the run with its own error instead of failing every check.
    pub async fn preflight(&self) -> Result<(), Error> {
        let key = Key {
            run_id: crate::wire::uuid_from(0x7ead_bac4, 1),
            event_type: "START".into(),
            event_time: "2024-01-01T00:00:00Z".into(),
            namespace: "ol-conformance-preflight".into(),
            job: "read-back".into(),
        };
        let fail = |how: &str, e: &str| {
            Err(Error::Usage(format!(
                "the read-back adapter does not work ({how}): {e}"
            )))
        };
        // A read API that is not there answers 404 like a run that is not stored: the API
        // itself must answer first, or every accepted event would look lost.
        let api = match &self.opts.adapter {
            Adapter::Reference => Some((self.base_join("events"), "a JSON array of events")),
            Adapter::Marquez(base) => Some((
                join(base.as_ref().unwrap_or(&self.target), "namespaces"),
                "Marquez's list of namespaces",
            )),
            Adapter::Command(_) => None,
        };
        if let Some((url, what)) = api {
            let get = format!("GET {url}");
            let body = match self.get(&url).await {
                Ok((status, body)) if status.is_success() => body,
                Ok((status, _)) => return fail(&get, &format!("answered {status}")),
                Err(e) => return fail(&get, &e),
            };
            let ok = match serde_json::from_str::<Value>(&body) {
                Ok(Value::Array(_)) => matches!(self.opts.adapter, Adapter::Reference),
                Ok(Value::Object(o)) => o.contains_key("namespaces"),
                _ => false,
            };
            if !ok {
                return fail(&get, &format!("the answer is not {what}"));
            }
        }
        match self.read(&key).await {
            (Ok(_), _, _) => Ok(()),
            (Err(e), _, how) => fail(&how, &e),
        }
    }

    /// Reads back every RunEvent of `req`, which got `observed`: events the answer accepted are
    /// read until found or until the wait is over, refused ones once (a read that fails is
    /// tried again within the wait).
    pub async fn read_request(&self, req: &Req, observed: &Observed) -> Vec<Lookup> {
        let Ok(body) = serde_json::from_slice::<Value>(&req.body) else {
            return Vec::new();
        };
        let (events, batch) = match body {
            Value::Array(items) => (items, true),
            other => (vec![other], false),
        };
        let listed = failed_indices(observed);
        let mut out = Vec::new();
        for (i, sent) in events.into_iter().enumerate() {
            let Some(key) = Key::of(&sent) else { continue };
            let refused = observed.is_4xx() || (batch && listed.contains(&i));
            let accepted = observed.is_2xx() && !refused;
            let started = std::time::Instant::now();
            let mut pause = Duration::from_millis(50);
            let (stored, not_kept, how) = loop {
                let (stored, not_kept, how) = self.read(&key).await;
                // A failed read (a store busy with a write, say) is tried again within the wait.
                let settled = match &stored {
                    Ok(s) => !accepted || !matching(s, &key).is_empty(),
                    Err(_) => false,
                };
                if settled || started.elapsed() >= self.opts.wait {
                    break (stored, not_kept, how);
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(500));
            };
            let mut all_not_kept = self.opts.not_kept.clone();
            all_not_kept.extend(not_kept);
            out.push(Lookup {
                sent,
                key,
                stored,
                not_kept: all_not_kept,
                how,
                refused,
            });
        }
        out
    }

    /// One read: the run's stored events, pointers the adapter says it does not keep, and how
    /// to read it again by hand.
    async fn read(&self, key: &Key) -> (Result<Vec<Value>, String>, Vec<String>, String) {
        match &self.opts.adapter {
            Adapter::Reference => {
                let mut url = self.base_join("events");
                url.query_pairs_mut().append_pair("runId", &key.run_id);
                let how = format!("curl -sS '{url}'");
                let got = self.get_json(&url).await.and_then(|t| parse_output(&t));
                match got {
                    Ok((events, not_kept)) => (Ok(events), not_kept, how),
                    Err(e) => (Err(e), Vec::new(), how),
                }
            }
            Adapter::Marquez(base) => {
                let base = base.clone().unwrap_or_else(|| self.target.clone());
                crate::readback::marquez::read(self, &base, key).await
            }
            Adapter::Command(command) => {
                let (line, result) = run_command(command, key).await;
                match result.and_then(|t| parse_output(&t)) {
                    Ok((events, not_kept)) => (Ok(events), not_kept, line),
                    Err(e) => (Err(e), Vec::new(), line),
                }
            }
        }
    }

    fn base_join(&self, path: &str) -> reqwest::Url {
        join(&self.target, path)
    }

    /// `GET url`: the status and the answer's text, or which step failed.
    async fn get(&self, url: &reqwest::Url) -> Result<(reqwest::StatusCode, String), String> {
        let resp = self
            .client
            .get(url.clone())
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = resp.status();
        let text = resp
            .text()
            .await
            .map_err(|e| format!("reading the answer: {e}"))?;
        Ok((status, text))
    }

    /// `GET url` as text; a 404 is "nothing stored" (`[]`), other non-2xx answers are errors.
    async fn get_json(&self, url: &reqwest::Url) -> Result<String, String> {
        let (status, text) = self.get(url).await.map_err(|e| format!("GET {url}: {e}"))?;
        if status == reqwest::StatusCode::NOT_FOUND {
            return Ok("[]".into());
        }
        if !status.is_success() {
            return Err(format!(
                "GET {url} answered {status}: {}",
                text.chars().take(200).collect::<String>()
            ));
        }
        Ok(text)
    }
}

/// `base` with `path` appended below it (the base keeps its own path, `/api/v1`).
fn join(base: &reqwest::Url, path: &str) -> reqwest::Url {
    let mut url = base.clone();
    let joined = format!("{}/{}", url.path().trim_end_matches('/'), path);
    url.set_path(&joined);
    url
}

/// Indices a 2xx batch answer lists in `failed_events`.
fn failed_indices(observed: &Observed) -> Vec<usize> {
    if !observed.is_2xx() {
        return Vec::new();
    }
    serde_json::from_slice::<Value>(&observed.body)
        .ok()
        .and_then(|b| b.get("failed_events").and_then(Value::as_array).cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|f| f.get("index").and_then(Value::as_u64))
        .map(|i| i as usize)
        .collect()
}

/// Whether a placeholder value can go into a shell command as it is.
fn shell_safe(value: &str) -> bool {
    value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '.' | '+' | '-' | '_'))
}

/// Runs a read-back command for `key`: the command line as run, and what it printed.
async fn run_command(command: &str, key: &Key) -> (String, Result<String, String>) {
    let mut line = command.to_string();
    for (placeholder, _) in COMMAND_ENV {
        if !line.contains(placeholder) {
            continue;
        }
        let value = key.value(placeholder);
        if !shell_safe(value) {
            return (
                line,
                Err(format!(
                    "{placeholder} is `{value}`, which cannot go into a shell command as it is; read ${} instead",
                    COMMAND_ENV.iter().find(|(p, _)| *p == placeholder).map_or("", |(_, e)| e)
                )),
            );
        }
        line = line.replace(placeholder, value);
    }
    let mut cmd = tokio::process::Command::new("sh");
    cmd.arg("-c").arg(&line).kill_on_drop(true);
    for (placeholder, env) in COMMAND_ENV {
        cmd.env(env, key.value(placeholder));
    }
    let out = match tokio::time::timeout(Duration::from_secs(30), cmd.output()).await {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => return (line, Err(format!("cannot run sh: {e}"))),
        Err(_) => return (line, Err("the command took over 30 s".into())),
    };
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return (
            line,
            Err(format!(
                "the command exited with {}: {}",
                out.status,
                err.trim().chars().take(300).collect::<String>()
            )),
        );
    }
    match String::from_utf8(out.stdout) {
        Ok(text) => (line, Ok(text)),
        Err(_) => (
            line,
            Err("the command printed text that is not UTF-8".into()),
        ),
    }
}

/// What an adapter printed: nothing (no events), a JSON array of events, one event object, an
/// object `{"events": [...], "notKept": [pointers]}`, or one event per line.
pub fn parse_output(text: &str) -> Result<(Vec<Value>, Vec<String>), String> {
    let text = text.trim();
    if text.is_empty() || text == "null" {
        return Ok((Vec::new(), Vec::new()));
    }
    let from_value = |v: Value| -> Result<(Vec<Value>, Vec<String>), String> {
        match v {
            Value::Array(items) => Ok((items, Vec::new())),
            Value::Object(mut o) if o.contains_key("events") && !o.contains_key("eventTime") => {
                let events = match o.remove("events") {
                    Some(Value::Array(items)) => items,
                    _ => return Err("`events` is not an array".into()),
                };
                let not_kept = o
                    .get("notKept")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(String::from)
                            .collect()
                    })
                    .unwrap_or_default();
                Ok((events, not_kept))
            }
            obj @ Value::Object(_) => Ok((vec![obj], Vec::new())),
            other => Err(format!("expected stored events as JSON, got {other}")),
        }
    };
    match serde_json::from_str::<Value>(text) {
        Ok(v) => from_value(v),
        Err(whole) => {
            let mut events = Vec::new();
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                let v: Value = serde_json::from_str(line).map_err(|_| {
                    format!(
                        "the output is not JSON ({whole}): {}",
                        text.chars().take(120).collect::<String>()
                    )
                })?;
                events.push(v);
            }
            Ok((events, Vec::new()))
        }
    }
}

/// The stored events that are this event: the same run and, when both say it, the same
/// eventType.
pub fn matching<'a>(stored: &'a [Value], key: &Key) -> Vec<&'a Value> {
    stored
        .iter()
        .filter(|e| {
            e.pointer("/run/runId")
                .and_then(Value::as_str)
                .is_some_and(|r| same_id(r, &key.run_id))
        })
        .filter(|e| match e.get("eventType").and_then(Value::as_str) {
            Some(t) if !key.event_type.is_empty() => t.eq_ignore_ascii_case(&key.event_type),
            _ => true,
        })
        .collect()
}

/// Stored events of the run at the same instant and eventType: copies of one event.
pub fn copies<'a>(stored: &'a [Value], key: &Key) -> Vec<&'a Value> {
    matching(stored, key)
        .into_iter()
        .filter(|e| {
            e.get("eventTime")
                .and_then(Value::as_str)
                .is_some_and(|t| same_instant(&key.event_time, t))
        })
        .collect()
}

/// Where a stored event first differs from the sent one, and both sides there.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    /// JSON pointer into the event.
    pub pointer: String,
    /// The sent value there (`None`: absent).
    pub sent: Option<Value>,
    /// The stored value there (`None`: absent).
    pub stored: Option<Value>,
}

impl Difference {
    /// `at /eventTime: sent "…", read back "…"`.
    pub fn describe(&self) -> String {
        let side = |v: &Option<Value>| match v {
            Some(v) => {
                let t = v.to_string();
                if t.chars().count() > 120 {
                    format!("{}…", t.chars().take(120).collect::<String>())
                } else {
                    t
                }
            }
            None => "nothing".into(),
        };
        format!(
            "at {}: sent {}, read back {}",
            if self.pointer.is_empty() {
                "/"
            } else {
                &self.pointer
            },
            side(&self.sent),
            side(&self.stored)
        )
    }
}

/// The first difference between `sent` and `stored` at a pointer `include` accepts, in
/// document order, by the semantic equality of this module.
pub fn first_difference(
    sent: &Value,
    stored: &Value,
    include: &dyn Fn(&str) -> bool,
) -> Option<Difference> {
    diff_at("", Some(sent), Some(stored), include)
}

fn is_nothing(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::Object(o)) => o.is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        _ => false,
    }
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn diff_at(
    at: &str,
    sent: Option<&Value>,
    stored: Option<&Value>,
    include: &dyn Fn(&str) -> bool,
) -> Option<Difference> {
    let here = || {
        include(at).then(|| Difference {
            pointer: at.to_string(),
            sent: sent.cloned(),
            stored: stored.cloned(),
        })
    };
    if is_nothing(sent) && is_nothing(stored) {
        return None;
    }
    match (sent, stored) {
        // What the store adds (its own ids, fields derived from other events of the run) is
        // not a loss: only what was sent is looked for.
        (Some(Value::Object(a)), Some(Value::Object(b))) => a
            .iter()
            .find_map(|(k, v)| diff_at(&format!("{at}/{}", escape(k)), Some(v), b.get(k), include)),
        // A part the store does not keep at all is compared leaf by leaf, so that `include`
        // decides at the level it names.
        (Some(Value::Object(a)), None | Some(Value::Null)) => a
            .iter()
            .find_map(|(k, v)| diff_at(&format!("{at}/{}", escape(k)), Some(v), None, include)),
        (Some(Value::Array(a)), Some(Value::Array(b))) if is_dataset_list(at) => {
            // Datasets are matched by identity: a store may list them in another order.
            a.iter().enumerate().find_map(|(i, d)| {
                let found = b.iter().find(|s| same_dataset(d, s));
                diff_at(&format!("{at}/{i}"), Some(d), found, include)
            })
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) => (0..a.len().max(b.len()))
            .find_map(|i| diff_at(&format!("{at}/{i}"), a.get(i), b.get(i), include)),
        (Some(a), Some(b)) if same_scalar(a, b) => None,
        (None, Some(_)) => None,
        _ => here(),
    }
}

fn is_dataset_list(at: &str) -> bool {
    at == "/inputs" || at == "/outputs"
}

fn same_dataset(a: &Value, b: &Value) -> bool {
    a.get("namespace") == b.get("namespace") && a.get("name") == b.get("name")
}

fn same_scalar(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => {
            x == y || same_id(x, y) || (looks_like_time(x) && same_instant(x, y))
        }
        (Value::Number(x), Value::Number(y)) => {
            canonical_number(&x.to_string()) == canonical_number(&y.to_string())
        }
        _ => a == b,
    }
}

/// Two UUIDs that differ only in the case of their hex digits.
fn same_id(a: &str, b: &str) -> bool {
    a == b || (a.eq_ignore_ascii_case(b) && uuid::Uuid::parse_str(a).is_ok())
}

fn looks_like_time(s: &str) -> bool {
    s.len() >= 19 && s.as_bytes().get(4) == Some(&b'-') && s.as_bytes().get(13) == Some(&b':')
}

/// Parses a time as stores print it: RFC 3339 (either case), or with a space for `T`; a time
/// without an offset is read as UTC.
pub fn parse_time(s: &str) -> Option<DateTime<FixedOffset>> {
    let upper = s.trim().to_ascii_uppercase().replacen(' ', "T", 1);
    if let Ok(t) = DateTime::parse_from_rfc3339(&upper) {
        return Some(t);
    }
    if let Ok(t) = DateTime::parse_from_str(&upper, "%Y-%m-%dT%H:%M:%S%.f%#z") {
        return Some(t);
    }
    NaiveDateTime::parse_from_str(&upper, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|n| n.and_utc().fixed_offset())
}

/// The same instant: equal, or within a millisecond (stores keep micro- or milliseconds), or
/// within a second of a leap second (which most stores cannot hold).
pub fn same_instant(sent: &str, stored: &str) -> bool {
    if sent == stored {
        return true;
    }
    let (Some(a), Some(b)) = (parse_time(sent), parse_time(stored)) else {
        return false;
    };
    let apart = (a - b).num_microseconds().map_or(i64::MAX, i64::abs);
    let leap = sent.get(17..19) == Some("60");
    apart < 1_000 || (leap && apart <= 1_000_000)
}

/// A JSON number's value as text with no spelling left: `1e3`, `1000` and `1000.0` are alike.
fn canonical_number(text: &str) -> String {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text),
    };
    let (mantissa, exp) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], rest[i + 1..].parse::<i64>().unwrap_or(0)),
        None => (rest, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{int}{frac}");
    let mut exp = exp - frac.len() as i64;
    let digits = digits.trim_start_matches('0');
    let trimmed = digits.trim_end_matches('0');
    exp += (digits.len() - trimmed.len()) as i64;
    if trimmed.is_empty() {
        return "0".into();
    }
    format!("{}{trimmed}e{exp}", if negative { "-" } else { "" })
}

/// What the read-back families add to every event they send: a top-level field the schema does
/// not name and a custom run facet, whose survival the should-tier check judges.
pub const EXTRA_FIELD: &str = "olConformanceNote";
/// The custom facet key the read-back families add.
pub const CUSTOM_FACET: &str = "olconformance_readback";

/// Adds [`EXTRA_FIELD`] and [`CUSTOM_FACET`] to `event`.
pub fn add_extras(event: &mut Value, label: &str) {
    event[EXTRA_FIELD] = json!({"case": label, "n": 7});
    if let Some(facets) = event.pointer_mut("/run").and_then(Value::as_object_mut) {
        let map = facets.entry("facets").or_insert_with(|| json!({}));
        if let Some(map) = map.as_object_mut() {
            map.insert(
                CUSTOM_FACET.into(),
                json!({
                    "_producer": "https://github.com/openlineage-rs/openlineage-rs/conformance",
                    "_schemaURL": "https://github.com/openlineage-rs/openlineage-rs/conformance/ReadbackFacet.json",
                    "case": label,
                }),
            );
        }
    }
}

/// Whether a pointer belongs to what the should-tier check judges: the added extras, and the
/// event's producer and schemaURL (which the must list leaves out).
pub fn is_extra(pointer: &str) -> bool {
    pointer == format!("/{EXTRA_FIELD}")
        || pointer.starts_with(&format!("/{EXTRA_FIELD}/"))
        || pointer.contains(&format!("/facets/{CUSTOM_FACET}"))
        || pointer == "/producer"
        || pointer == "/schemaURL"
}

/// Whether `pointer` is at or below one of `not_kept`.
pub fn not_kept(pointer: &str, not_kept: &[String]) -> bool {
    not_kept.iter().any(|n| {
        let n = n.trim_end_matches('/');
        pointer == n || pointer.starts_with(&format!("{n}/"))
    })
}

pub(crate) mod family;
pub(crate) mod marquez;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adapters_parse_and_bad_ones_say_why() {
        assert_eq!(Adapter::parse("reference").unwrap(), Adapter::Reference);
        assert_eq!(Adapter::parse("marquez").unwrap(), Adapter::Marquez(None));
        assert!(matches!(
            Adapter::parse("marquez=http://127.0.0.1:5000/api/v1").unwrap(),
            Adapter::Marquez(Some(_))
        ));
        assert!(matches!(
            Adapter::parse("sqlite3 db 'select 1 where x={runId}'").unwrap(),
            Adapter::Command(_)
        ));
        let err = Adapter::parse("cat stored.json").unwrap_err().to_string();
        assert!(err.contains("{runId}"), "{err}");
        let err = Adapter::parse("@/nonexistent/read-back")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("cannot read --read-back file /nonexistent/read-back"),
            "{err}"
        );
    }

    #[test]
    fn outputs_in_every_form() {
        let e = json!({"run": {"runId": "x"}});
        assert_eq!(parse_output("").unwrap().0, Vec::<Value>::new());
        assert_eq!(parse_output(" [] \n").unwrap().0, Vec::<Value>::new());
        assert_eq!(parse_output(&format!("[{e}]")).unwrap().0, vec![e.clone()]);
        assert_eq!(parse_output(&e.to_string()).unwrap().0, vec![e.clone()]);
        assert_eq!(parse_output(&format!("{e}\n{e}\n")).unwrap().0.len(), 2);
        let (events, not_kept) =
            parse_output(&json!({"events": [e], "notKept": ["/producer"]}).to_string()).unwrap();
        assert_eq!((events.len(), not_kept), (1, vec!["/producer".to_string()]));
        let err = parse_output("run not found").unwrap_err();
        assert!(err.starts_with("the output is not JSON"), "{err}");
        assert!(parse_output("42").is_err());
    }

    #[test]
    fn instants_compare_by_value_with_store_precision() {
        assert!(same_instant(
            "2024-01-01T10:00:00Z",
            "2024-01-01T12:00:00+02:00"
        ));
        assert!(same_instant("2024-01-01t10:00:00z", "2024-01-01T10:00:00Z"));
        assert!(same_instant(
            "2024-01-01T10:00:00.123456789Z",
            "2024-01-01 10:00:00.123456"
        ));
        assert!(same_instant(
            "2024-01-01T10:00:00.5Z",
            "2024-01-01T10:00:00.500+00:00"
        ));
        assert!(same_instant("2016-12-31T23:59:60Z", "2017-01-01T00:00:00Z"));
        assert!(!same_instant(
            "2024-01-01T10:00:00Z",
            "2024-01-01T10:00:01Z"
        ));
        assert!(!same_instant(
            "2024-01-01T10:00:00+01:00",
            "2024-01-01T10:00:00"
        ));
        assert!(!same_instant("2024-01-01T10:00:00Z", "yesterday"));
    }

    #[test]
    fn numbers_compare_by_value() {
        for (a, b) in [
            ("1e3", "1000"),
            ("1000.0", "1000"),
            ("-0", "0"),
            ("1.50", "15e-1"),
        ] {
            assert_eq!(canonical_number(a), canonical_number(b), "{a} {b}");
        }
        assert_ne!(
            canonical_number("123456789012345678901234567891"),
            canonical_number("123456789012345678901234567892")
        );
    }

    #[test]
    fn the_first_difference_is_named_by_pointer() {
        let all = |_: &str| true;
        let sent = json!({"eventTime": "2024-01-01T10:00:00Z", "run": {"runId": "0190d5a4-7c6c-7b8e-9f00-00000000000A"},
            "inputs": [{"namespace": "n", "name": "a"}, {"namespace": "n", "name": "b", "facets": {"x": {"n": 1e3}}}],
            "job": {"namespace": "n", "name": "j", "facets": {}}});
        let same = json!({"eventTime": "2024-01-01T11:00:00+01:00", "run": {"runId": "0190d5a4-7c6c-7b8e-9f00-00000000000a", "facets": {}},
            "inputs": [{"namespace": "n", "name": "b", "facets": {"x": {"n": 1000}}}, {"namespace": "n", "name": "a"}],
            "job": {"namespace": "n", "name": "j"}});
        assert_eq!(first_difference(&sent, &same, &all), None);
        let mut moved = same.clone();
        moved["eventTime"] = json!("2026-12-05T03:00:00Z");
        let d = first_difference(&sent, &moved, &all).unwrap();
        assert_eq!(d.pointer, "/eventTime");
        assert!(
            d.describe().starts_with(
                "at /eventTime: sent \"2024-01-01T10:00:00Z\", read back \"2026-12-05T03:00:00Z\""
            ),
            "{}",
            d.describe()
        );
        let mut lost = same.clone();
        lost["inputs"][0]["facets"] = json!({});
        let d = first_difference(&sent, &lost, &all).unwrap();
        assert_eq!(
            (d.pointer.as_str(), d.stored.clone()),
            ("/inputs/1/facets/x/n", None)
        );
        // A pointer left out is not compared.
        assert_eq!(
            first_difference(&sent, &lost, &|p| !p.starts_with("/inputs")),
            None
        );
    }

    #[test]
    fn shell_placeholders_are_only_safe_characters() {
        assert!(shell_safe("0190d5a4-7c6c-7b8e-9f00-00000000000a"));
        assert!(shell_safe("2024-01-01T10:00:00.5+02:00"));
        assert!(!shell_safe("x'; rm -rf ~"));
    }
}
