//! The producer engine: checks each event as it arrives (validity tier by tier, schema URLs,
//! dataset names), then each run's lifecycle and the references between runs once the stream
//! ends. Identical redeliveries are set aside as duplicates and arrival order never counts
//! against the producer: the lifecycle is judged by `eventTime`.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};

use chrono::{DateTime, FixedOffset};
use openlineage_types::{Event, EventKind, Tier, Validator};
use serde::Serialize;
use serde_json::Value;

use super::event::{
    check_dataset_name, check_event_schema_url, check_facet_schema_url, datasets, facet_maps,
    UrlVerdict,
};
use crate::checks::ProducerCheck;
use crate::expectations::Expectations;
use crate::options::SHOWN_FAILURES;
use crate::report::{CheckResult, Exchange, Failure, FailureKind};

use ProducerCheck::{
    Core as CORE, DatasetNaming as NAMING, FacetSchemaUrl as FACET_URL, Facets as FACETS,
    Formats as FORMATS, NothingAfterTerminal as AFTER_TERMINAL, ParentJob as PARENT_JOB,
    ParentSeen as PARENT_SEEN, SchemaUrl as SCHEMA_URL, SingleJob as SINGLE_JOB,
    SingleStart as SINGLE_START, SingleTerminal as SINGLE_TERMINAL,
    StableProducer as STABLE_PRODUCER, StartSeen as START_SEEN, TerminalSeen as TERMINAL_SEEN,
    Transitions as TRANSITIONS, VersionsKnown as VERSIONS,
};

/// What one delivered event came to, for the live log.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventLine {
    /// Where it came from: `file:line`, or the request that carried it.
    pub source: String,
    /// Its kind, when it has one.
    pub kind: Option<EventKind>,
    /// `namespace/name` of its job.
    pub job: Option<String>,
    /// Its `runId`.
    pub run: Option<String>,
    /// Its `eventType`.
    pub event_type: Option<String>,
    /// The deepest tier it is valid at; `None` when it is not valid even at the core tier.
    pub reached: Option<Tier>,
    /// An identical redelivery of an earlier event, set aside.
    pub duplicate: bool,
    /// The checks it failed on arrival (run and reference checks come at the end).
    pub failed: Vec<&'static str>,
}

impl fmt::Display for EventLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.kind.map_or("?", EventKind::def_name);
        write!(f, "{}  {kind}", self.source)?;
        if let Some(t) = &self.event_type {
            write!(f, " {t}")?;
        }
        if let Some(job) = &self.job {
            write!(f, "  job {job}")?;
        }
        if let Some(run) = &self.run {
            write!(f, "  run {run}")?;
        }
        if self.duplicate {
            return write!(f, "  duplicate of an earlier event, set aside");
        }
        match self.reached {
            Some(tier) => write!(f, "  valid at {tier}")?,
            None => write!(f, "  invalid")?,
        }
        if !self.failed.is_empty() {
            write!(f, "  failed: {}", self.failed.join(", "))?;
        }
        Ok(())
    }
}

/// How many events reached each tier.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TierCounts {
    /// Valid at every tier.
    pub facets: usize,
    /// Valid at the formats tier, not the facets tier.
    pub formats: usize,
    /// Valid at the core tier only.
    pub core: usize,
    /// Not valid at all (not JSON, no event kind, core violations).
    pub invalid: usize,
}

/// Counts over the whole stream, reported beside the checks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Events delivered, duplicates included.
    pub events: usize,
    /// Identical redeliveries, set aside.
    pub duplicates: usize,
    /// Events that arrived after a later event (by `eventTime`) of the same run.
    pub out_of_order: usize,
    /// Distinct runs.
    pub runs: usize,
    /// The deepest tier each distinct event reached.
    pub reached: TierCounts,
    /// Parent or root references to runs not in the stream.
    pub unseen_parents: usize,
    /// Each run with its events, for the HTML report's time line (the JSON layout leaves it
    /// out: it would repeat the stream).
    #[serde(skip)]
    pub timeline: Vec<RunEvents>,
}

/// One run and its events, in arrival order, duplicates left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunEvents {
    /// Its `runId`, as sent.
    pub run_id: String,
    /// `namespace/name` of its job.
    pub job: String,
    /// Its events.
    pub events: Vec<TimedEvent>,
}

/// One event of a run on the time line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimedEvent {
    /// Its `eventType`.
    pub event_type: Option<String>,
    /// Its `eventTime`, when it parses.
    pub time: Option<DateTime<FixedOffset>>,
    /// Where it came from: `file:line`, or the request that carried it.
    pub source: String,
}

/// One event of a run, as the lifecycle checks see it.
struct RunStep {
    event_type: Option<String>,
    time: Option<DateTime<FixedOffset>>,
    source: String,
}

struct RunState {
    run_id: String,
    job: (String, String),
    producer: Option<String>,
    first_source: String,
    max_time: Option<DateTime<FixedOffset>>,
    events: Vec<RunStep>,
}

struct Reference {
    from_run: String,
    source: String,
    role: &'static str,
    run_id: String,
    job: Option<(String, String)>,
}

/// One failing event or run: its message, where it is, and the failure shown for it.
struct Finding {
    source: String,
    failure: Failure,
}

/// A stream of events being checked.
pub struct Stream {
    validator: &'static Validator,
    summary: Summary,
    seen: HashSet<u128>,
    observations: BTreeMap<ProducerCheck, usize>,
    findings: BTreeMap<ProducerCheck, Vec<Finding>>,
    runs: BTreeMap<String, RunState>,
    refs: Vec<Reference>,
    /// What the receiver saw instead of events (requests to other paths), for the finding
    /// when nothing arrives.
    nothing_received: Option<String>,
}

impl Default for Stream {
    fn default() -> Self {
        Self::new()
    }
}

impl Stream {
    /// An empty stream, checked with the global validator.
    pub fn new() -> Self {
        Stream {
            validator: Validator::global(),
            summary: Summary::default(),
            seen: HashSet::new(),
            observations: BTreeMap::new(),
            findings: BTreeMap::new(),
            runs: BTreeMap::new(),
            refs: Vec::new(),
            nothing_received: None,
        }
    }

    /// Says what arrived instead of events, for the finding when no event arrives at all.
    pub fn explain_nothing(&mut self, what: String) {
        self.nothing_received = Some(what);
    }

    /// Events delivered so far, duplicates included.
    pub fn delivered(&self) -> usize {
        self.summary.events
    }

    /// Records one failing event or run: every one is named in the report, the first few
    /// shown in full.
    fn fail(&mut self, id: ProducerCheck, message: String, source: &str, body: &[u8]) {
        let list = self.findings.entry(id).or_default();
        let failure = Failure {
            request: (list.len() < SHOWN_FAILURES && !body.is_empty())
                .then(|| Exchange::event(source.to_string(), body)),
            ..Failure::message_only(message)
        };
        list.push(Finding {
            source: source.to_string(),
            failure,
        });
    }

    fn observe(&mut self, id: ProducerCheck) {
        *self.observations.entry(id).or_default() += 1;
    }

    /// Records a delivery that holds no event to check (a request refused before its events
    /// were read, a batch body that is not an array) as one invalid event.
    pub fn push_refused(&mut self, source: String, body: &[u8], reason: &str) -> EventLine {
        self.summary.events += 1;
        self.summary.reached.invalid += 1;
        self.observe(CORE);
        self.fail(CORE, format!("{source}: {reason}"), &source, body);
        EventLine {
            source,
            failed: vec![CORE.id()],
            ..EventLine::default()
        }
    }

    /// Checks one delivered event (JSON text); `source` says where it came from.
    pub fn push(&mut self, source: String, text: &str) -> EventLine {
        self.summary.events += 1;
        let mut line = EventLine {
            source: source.clone(),
            ..EventLine::default()
        };
        let mut judged: Vec<ProducerCheck> = Vec::new();
        let mut found: Vec<(ProducerCheck, String)> = Vec::new();
        let value: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                self.summary.reached.invalid += 1;
                self.observe(CORE);
                self.fail(
                    CORE,
                    format!("{source}: not JSON: {e}"),
                    &source,
                    text.as_bytes(),
                );
                line.failed.push(CORE.id());
                return line;
            }
        };
        describe(&value, &mut line);
        if !self.seen.insert(fingerprint(&value)) {
            self.summary.duplicates += 1;
            line.duplicate = true;
            return line;
        }
        self.check_validity(text, &value, &mut line, &mut judged, &mut found);
        if line.reached.is_some() {
            if let Some(kind) = line.kind {
                self.check_urls(kind, &value, &mut judged, &mut found);
            }
            let named = datasets(&value);
            if !named.is_empty() {
                judged.push(NAMING);
            }
            let names: Vec<String> = named
                .into_iter()
                .filter_map(|(at, ns, name)| {
                    check_dataset_name(ns, name).map(|m| format!("{at}: {m}"))
                })
                .collect();
            if !names.is_empty() {
                found.push((NAMING, names.join("; ")));
            }
        }
        if line.kind == Some(EventKind::Run) {
            self.track_run(&source, &value, &mut found);
        }
        for id in judged {
            self.observe(id);
        }
        for (id, message) in found {
            self.fail(id, format!("{source}: {message}"), &source, text.as_bytes());
            if !line.failed.contains(&id.id()) {
                line.failed.push(id.id());
            }
        }
        line
    }

    /// The core, formats and facets tiers; sets the event's kind and the tier it reaches.
    fn check_validity(
        &mut self,
        text: &str,
        value: &Value,
        line: &mut EventLine,
        judged: &mut Vec<ProducerCheck>,
        found: &mut Vec<(ProducerCheck, String)>,
    ) {
        judged.push(CORE);
        match Event::from_json(text) {
            Ok(event) => line.kind = Some(event.kind()),
            Err(e) => {
                // The kind, when the shape gives one, still lets the run be followed.
                line.kind = Event::kind_of(text).ok();
                self.summary.reached.invalid += 1;
                found.push((CORE, format!("not an event the spec allows: {e}")));
                return;
            }
        }
        let violations = self.validator.validate_value(value, Tier::Facets);
        let at = |tier: Tier| {
            violations
                .iter()
                .filter(|v| v.tier == tier)
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        };
        let (core, formats, facets) = (at(Tier::Core), at(Tier::Formats), at(Tier::Facets));
        if !core.is_empty() {
            self.summary.reached.invalid += 1;
            found.push((CORE, core.join("; ")));
            return;
        }
        judged.extend([FORMATS, FACETS]);
        if !formats.is_empty() {
            found.push((FORMATS, formats.join("; ")));
        }
        if !facets.is_empty() {
            found.push((FACETS, facets.join("; ")));
        }
        let reached = if !formats.is_empty() {
            self.summary.reached.core += 1;
            Tier::Core
        } else if !facets.is_empty() {
            self.summary.reached.formats += 1;
            Tier::Formats
        } else {
            self.summary.reached.facets += 1;
            Tier::Facets
        };
        line.reached = Some(reached);
    }

    fn check_urls(
        &mut self,
        kind: EventKind,
        value: &Value,
        judged: &mut Vec<ProducerCheck>,
        found: &mut Vec<(ProducerCheck, String)>,
    ) {
        let mut newer = Vec::new();
        if let Some(url) = value.get("schemaURL").and_then(Value::as_str) {
            judged.push(SCHEMA_URL);
            match check_event_schema_url(url, kind) {
                UrlVerdict::Ok => {}
                UrlVerdict::Newer(m) => newer.push(m),
                UrlVerdict::Wrong(m) => found.push((SCHEMA_URL, m)),
            }
        }
        let mut wrong = Vec::new();
        let mut any = false;
        for (pointer, facet_kind, map) in facet_maps(value) {
            for (key, payload) in map {
                if payload.get("_deleted") == Some(&Value::Bool(true)) {
                    continue;
                }
                let (Some(info), Some(url)) = (
                    openlineage_types::facet(facet_kind, key),
                    payload.get("_schemaURL").and_then(Value::as_str),
                ) else {
                    continue;
                };
                any = true;
                match check_facet_schema_url(url, info) {
                    UrlVerdict::Ok => {}
                    UrlVerdict::Newer(m) => newer.push(format!("{pointer}/{key}: {m}")),
                    UrlVerdict::Wrong(m) => wrong.push(format!("{pointer}/{key}: {m}")),
                }
            }
        }
        if any {
            judged.push(FACET_URL);
        }
        if !wrong.is_empty() {
            found.push((FACET_URL, wrong.join("; ")));
        }
        judged.push(VERSIONS);
        if !newer.is_empty() {
            found.push((VERSIONS, newer.join("; ")));
        }
    }

    fn track_run(&mut self, source: &str, value: &Value, found: &mut Vec<(ProducerCheck, String)>) {
        let text = |p: &str| value.pointer(p).and_then(Value::as_str);
        let (Some(run_id), Some(ns), Some(name)) = (
            text("/run/runId"),
            text("/job/namespace"),
            text("/job/name"),
        ) else {
            return;
        };
        let job = (ns.to_string(), name.to_string());
        // A missing producer is a core failure already, not a change of producer.
        let producer = text("/producer").map(str::to_string);
        let time = text("/eventTime").and_then(parse_time);
        let key = run_id.to_ascii_lowercase();
        let event = RunStep {
            event_type: text("/eventType").map(str::to_string),
            time,
            source: source.to_string(),
        };
        match self.runs.get_mut(&key) {
            Some(run) => {
                if run.job != job {
                    found.push((
                        SINGLE_JOB,
                        format!(
                            "run {run_id} names job {ns}/{name}, but was job {}/{} at {}",
                            run.job.0, run.job.1, run.first_source
                        ),
                    ));
                }
                match (&run.producer, &producer) {
                    (Some(first), Some(now)) if first != now => found.push((
                        STABLE_PRODUCER,
                        format!(
                            "run {run_id} names producer `{now}`, but `{first}` at {}",
                            run.first_source
                        ),
                    )),
                    (None, Some(_)) => run.producer = producer,
                    _ => {}
                }
                if let (Some(t), Some(max)) = (time, run.max_time) {
                    if t < max {
                        self.summary.out_of_order += 1;
                    }
                }
                run.max_time = run.max_time.max(time);
                run.events.push(event);
            }
            None => {
                self.runs.insert(
                    key.clone(),
                    RunState {
                        run_id: run_id.to_string(),
                        job,
                        producer,
                        first_source: source.to_string(),
                        max_time: time,
                        events: vec![event],
                    },
                );
            }
        }
        for (role, base) in [
            ("parent", "/run/facets/parent"),
            ("root", "/run/facets/parent/root"),
        ] {
            let Some(target) = text(&format!("{base}/run/runId")) else {
                continue;
            };
            if target.eq_ignore_ascii_case(run_id) {
                continue;
            }
            let job = text(&format!("{base}/job/namespace"))
                .zip(text(&format!("{base}/job/name")))
                .map(|(n, m)| (n.to_string(), m.to_string()));
            self.refs.push(Reference {
                from_run: run_id.to_string(),
                source: source.to_string(),
                role,
                run_id: target.to_string(),
                job,
            });
        }
    }

    /// Runs the lifecycle and reference checks and judges every producer check.
    pub fn finish(
        mut self,
        expectations: Option<&Expectations>,
        strict: bool,
    ) -> (Vec<CheckResult>, Summary) {
        let runs = std::mem::take(&mut self.runs);
        self.summary.runs = runs.len();
        for run in runs.values() {
            self.check_lifecycle(run);
        }
        self.summary.timeline = runs
            .values()
            .map(|run| RunEvents {
                run_id: run.run_id.clone(),
                job: format!("{}/{}", run.job.0, run.job.1),
                events: run
                    .events
                    .iter()
                    .map(|e| TimedEvent {
                        event_type: e.event_type.clone(),
                        time: e.time,
                        source: e.source.clone(),
                    })
                    .collect(),
            })
            .collect();
        let refs = std::mem::take(&mut self.refs);
        let mut unseen = HashSet::new();
        for r in &refs {
            match runs.get(&r.run_id.to_ascii_lowercase()) {
                Some(target) => {
                    self.observe(PARENT_JOB);
                    self.observe(PARENT_SEEN);
                    if let Some(job) = r.job.as_ref().filter(|j| **j != target.job) {
                        self.fail(
                            PARENT_JOB,
                            format!(
                                "{}: run {} names {} run {} as job {}/{}, but that run is job {}/{} ({})",
                                r.source, r.from_run, r.role, r.run_id, job.0, job.1, target.job.0, target.job.1, target.first_source
                            ),
                            &r.source,
                            b"",
                        );
                    }
                }
                None => {
                    self.observe(PARENT_SEEN);
                    unseen.insert(r.run_id.to_ascii_lowercase());
                    self.fail(
                        PARENT_SEEN,
                        format!(
                            "{}: run {} names {} run {}, which is not in the stream (it may come from another producer)",
                            r.source, r.from_run, r.role, r.run_id
                        ),
                        &r.source,
                        b"",
                    );
                }
            }
        }
        self.summary.unseen_parents = unseen.len();
        self.observe(ProducerCheck::EventsReceived);
        if self.summary.events == 0 {
            let message = self.nothing_received.clone().unwrap_or_else(|| {
                "no event arrived: the producer sent nothing, or sent it somewhere else".into()
            });
            self.fail(ProducerCheck::EventsReceived, message, "the stream", b"");
        }
        let results = ProducerCheck::ALL
            .iter()
            .map(|&c| {
                let findings = self.findings.remove(&c).unwrap_or_default();
                let kinds = findings
                    .iter()
                    .enumerate()
                    .map(|(k, f)| FailureKind {
                        signature: f.failure.message.clone(),
                        cases: 1,
                        example: f.source.clone(),
                        shown: k < SHOWN_FAILURES,
                    })
                    .collect();
                let shown = findings
                    .into_iter()
                    .take(SHOWN_FAILURES)
                    .map(|f| f.failure)
                    .collect();
                let seen = self.observations.get(&c).copied().unwrap_or(0);
                CheckResult::judge(c.check(), seen, shown, kinds, expectations, strict)
            })
            .collect();
        (results, self.summary)
    }

    fn check_lifecycle(&mut self, run: &RunState) {
        for id in [
            START_SEEN,
            TERMINAL_SEEN,
            SINGLE_START,
            SINGLE_TERMINAL,
            TRANSITIONS,
            AFTER_TERMINAL,
            SINGLE_JOB,
            STABLE_PRODUCER,
        ] {
            self.observe(id);
        }
        let who = format!("run {} (job {}/{})", run.run_id, run.job.0, run.job.1);
        let of = |pred: &dyn Fn(&str) -> bool| {
            run.events
                .iter()
                .filter(|e| e.event_type.as_deref().is_some_and(pred))
                .collect::<Vec<_>>()
        };
        let starts = of(&|t| t == "START");
        let terminals = of(&|t| matches!(t, "COMPLETE" | "ABORT" | "FAIL"));
        let running = of(&|t| t == "RUNNING");
        let sources = |events: &[&RunStep]| {
            events
                .iter()
                .map(|e| e.source.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        // Which event of the run came first, and when: a harness that starts mid-run (a
        // `dags test` that sends COMPLETE alone) reads differently from a producer bug.
        let first = run.events.first().map_or_else(String::new, |e| {
            format!(
                "; the run's first event was {} at {}{}",
                e.event_type
                    .as_deref()
                    .unwrap_or("an event without eventType"),
                e.source,
                e.time
                    .map(|t| format!(", eventTime {}", t.to_rfc3339()))
                    .unwrap_or_default()
            )
        });
        if starts.is_empty() {
            let message = format!("{who} has no START event in the stream{first}");
            self.fail(START_SEEN, message, &run.first_source, b"");
        }
        if starts.len() > 1 {
            let message = format!(
                "{who} has {} START events that differ: {}",
                starts.len(),
                sources(&starts)
            );
            self.fail(SINGLE_START, message, &run.first_source, b"");
        }
        if terminals.is_empty() {
            let message =
                format!("{who} has no COMPLETE, ABORT or FAIL event in the stream{first}");
            self.fail(TERMINAL_SEEN, message, &run.first_source, b"");
        }
        if terminals.len() > 1 {
            let message = format!(
                "{who} has {} terminal events that differ: {}",
                terminals.len(),
                sources(&terminals)
            );
            self.fail(SINGLE_TERMINAL, message, &run.first_source, b"");
        }
        if let [start] = starts.as_slice() {
            if let Some(t0) = start.time {
                let early = running
                    .iter()
                    .chain(&terminals)
                    .find(|e| e.time.is_some_and(|t| t < t0));
                if let Some(e) = early {
                    self.fail(
                        TRANSITIONS,
                        format!(
                            "{who}: {} at {} is earlier than its START at {}",
                            e.event_type.as_deref().unwrap_or("?"),
                            e.source,
                            start.source
                        ),
                        &e.source,
                        b"",
                    );
                }
            }
        }
        if let [end] = terminals.as_slice() {
            if let Some(t1) = end.time {
                if let Some(e) = running.iter().find(|e| e.time.is_some_and(|t| t > t1)) {
                    self.fail(
                        AFTER_TERMINAL,
                        format!(
                            "{who}: RUNNING at {} is later than its {} at {} (the spec adds metadata after completion with OTHER events)",
                            e.source,
                            end.event_type.as_deref().unwrap_or("?"),
                            end.source
                        ),
                        &e.source,
                        b"",
                    );
                }
            }
        }
    }
}

/// The kind-independent fields of the live log line.
fn describe(value: &Value, line: &mut EventLine) {
    let text = |p: &str| value.pointer(p).and_then(Value::as_str).map(str::to_string);
    line.event_type = text("/eventType");
    line.run = text("/run/runId");
    line.job = text("/job/namespace")
        .zip(text("/job/name"))
        .map(|(ns, name)| format!("{ns}/{name}"))
        .or_else(|| {
            text("/dataset/namespace")
                .zip(text("/dataset/name"))
                .map(|(ns, name)| format!("dataset {ns}/{name}"))
        });
}

/// `eventTime` as RFC 3339, or without an offset (read as UTC), as some producers send it.
fn parse_time(text: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(text).ok().or_else(|| {
        ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
            .iter()
            .find_map(|f| chrono::NaiveDateTime::parse_from_str(text, f).ok())
            .map(|naive| naive.and_utc().fixed_offset())
    })
}

/// A 128-bit fingerprint of a JSON value that ignores object key order, so a redelivery is
/// recognised whatever serializer wrote it.
fn fingerprint(value: &Value) -> u128 {
    let hash = |salt: u8| {
        let mut h = DefaultHasher::new();
        h.write_u8(salt);
        hash_value(value, &mut h);
        h.finish()
    };
    (u128::from(hash(1)) << 64) | u128::from(hash(2))
}

fn hash_value(value: &Value, h: &mut DefaultHasher) {
    match value {
        Value::Null => h.write_u8(0),
        Value::Bool(b) => (1u8, b).hash(h),
        Value::Number(n) => (2u8, n.to_string()).hash(h),
        Value::String(s) => (3u8, s).hash(h),
        Value::Array(items) => {
            (4u8, items.len()).hash(h);
            for item in items {
                hash_value(item, h);
            }
        }
        Value::Object(map) => {
            // Entries are hashed apart and summed, so their order does not matter.
            let mut sum = 0u64;
            for (k, v) in map {
                let mut entry = h.clone();
                k.hash(&mut entry);
                hash_value(v, &mut entry);
                sum = sum.wrapping_add(entry.finish());
            }
            (5u8, map.len(), sum).hash(h);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENT: &str = r#"{"eventType":"START","eventTime":"2024-05-01T10:00:00Z","producer":"https://example.com/p","schemaURL":"https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent","run":{"runId":"0190b3d4-7a1e-7c3a-9d2e-1f00000000aa"},"job":{"namespace":"shop","name":"nightly"}}"#;

    #[test]
    fn the_live_line_names_kind_type_job_run_and_verdict() {
        let mut stream = Stream::new();
        let line = stream.push("POST /api/v1/lineage #1".into(), EVENT);
        assert_eq!(
            line.to_string(),
            "POST /api/v1/lineage #1  RunEvent START  job shop/nightly  run 0190b3d4-7a1e-7c3a-9d2e-1f00000000aa  valid at facets"
        );
        let again = stream.push("POST /api/v1/lineage #2".into(), EVENT);
        assert!(again.duplicate);
        assert!(again
            .to_string()
            .ends_with("duplicate of an earlier event, set aside"));
        let bad = stream.push("f:3".into(), "{\"job\": {}}");
        assert_eq!(bad.reached, None);
        assert_eq!(bad.failed, ["producer.event.valid.core"]);
        assert!(
            bad.to_string()
                .contains("JobEvent  invalid  failed: producer.event.valid.core"),
            "{bad}"
        );
    }

    #[test]
    fn redeliveries_are_recognised_whatever_the_key_order() {
        let a: Value = serde_json::from_str(r#"{"a":1,"b":{"c":[1,2],"d":"x"}}"#).expect("json");
        let b: Value = serde_json::from_str(r#"{"b":{"d":"x","c":[1,2]},"a":1}"#).expect("json");
        let c: Value = serde_json::from_str(r#"{"b":{"d":"x","c":[2,1]},"a":1}"#).expect("json");
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a), fingerprint(&c));
    }
}
