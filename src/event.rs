//! The [`Event`] enum: RunEvent, DatasetEvent or JobEvent, decided by structure.
//!
//! The core schema is a `oneOf` of the three events, kept apart by `required` and `not`:
//! `run` + `job` is a RunEvent, `job` without `run` a JobEvent, `dataset` without both `job` and
//! `run` a DatasetEvent; `dataset` + `job` without `run` matches two branches and is rejected.

use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use serde::de::DeserializeOwned;
use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;
use uuid::Uuid;

use crate::{
    DatasetEvent, Error, InputDataset, Job, JobEvent, OutputDataset, Run, RunEvent, RunEventType,
};

mod fast;
mod locate;

/// One OpenLineage event of any kind.
// Boxing the variants would cost an allocation per parsed event on the hot path; events are
// parsed and passed along, rarely moved around in bulk.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Event {
    /// A run state transition (`run` and `job`).
    Run(RunEvent),
    /// Static metadata about a dataset (`dataset`, no `job` + `run`).
    Dataset(DatasetEvent),
    /// Static metadata about a job (`job`, no `run`).
    Job(JobEvent),
}

/// The three kinds of event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    /// [`RunEvent`].
    Run,
    /// [`DatasetEvent`].
    Dataset,
    /// [`JobEvent`].
    Job,
}

impl EventKind {
    /// Every kind, in the order of the spec's `oneOf`.
    pub const ALL: [EventKind; 3] = [EventKind::Run, EventKind::Dataset, EventKind::Job];

    /// The kinds whose structure an object with these keys matches, as the spec's `oneOf`
    /// tells them apart by `required` and `not`: `run` + `job` is a RunEvent, `job` without
    /// `run` a JobEvent, `dataset` without both a DatasetEvent. `dataset` + `job` without `run`
    /// matches two kinds, and an object with none of the keys matches none.
    pub fn from_keys(run: bool, job: bool, dataset: bool) -> &'static [EventKind] {
        match (run, job, dataset) {
            (true, true, _) => &[EventKind::Run],
            (false, true, true) => &[EventKind::Dataset, EventKind::Job],
            (false, true, false) => &[EventKind::Job],
            (_, false, true) => &[EventKind::Dataset],
            (_, false, false) => &[],
        }
    }

    /// The schema definition name, e.g. `RunEvent`.
    pub fn def_name(self) -> &'static str {
        match self {
            EventKind::Run => "RunEvent",
            EventKind::Dataset => "DatasetEvent",
            EventKind::Job => "JobEvent",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.def_name())
    }
}

/// Which of the keys that tell the event kinds apart are present (with any value, `null` too).
#[derive(Deserialize)]
struct Shape {
    #[serde(default)]
    run: Present,
    #[serde(default)]
    job: Present,
    #[serde(default)]
    dataset: Present,
}

#[derive(Default)]
struct Present(bool);

impl<'de> Deserialize<'de> for Present {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(deserializer).map(|_| Present(true))
    }
}

impl Event {
    /// Decides the event kind from which of `run`, `job` and `dataset` are present.
    pub fn kind_of(text: &str) -> Result<EventKind, Error> {
        // A derived struct also accepts an array, so anything but an object is turned away here.
        if !text.trim_start().starts_with('{') {
            serde_json::from_str::<IgnoredAny>(text)?;
            return Err(Error::Shape(format!(
                "expected a JSON object, found {}",
                json_type_name(text)
            )));
        }
        let shape: Shape = match serde_json::from_str(text) {
            Ok(shape) => shape,
            Err(e) if e.is_data() => {
                return Err(Error::Shape(format!(
                    "expected a JSON object, found {}",
                    json_type_name(text)
                )))
            }
            Err(e) => return Err(Error::Json(e)),
        };
        match EventKind::from_keys(shape.run.0, shape.job.0, shape.dataset.0) {
            [kind] => Ok(*kind),
            [_, _, ..] => Err(Error::Shape(
                "`dataset` and `job` without `run` match both DatasetEvent and JobEvent".into(),
            )),
            [] if shape.run.0 => Err(Error::Shape(
                "missing field `job`: a RunEvent needs both `run` and `job`".into(),
            )),
            [] => Err(Error::Shape(
                "expected `run` and `job` (RunEvent), `job` (JobEvent) or `dataset` (DatasetEvent); found none".into(),
            )),
        }
    }

    /// Parses one event from JSON text.
    ///
    /// The result always writes back to the same JSON value. Input the typed model cannot hold,
    /// such as a `null` in an optional core field (facets keep theirs) or a repeated key, is an
    /// error naming the field rather than a silent loss.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        // Fast path: one pass, facets parsed straight into their types. It gives up on anything
        // unusual (a facet that does not fit, a missing field, a `null`, an odd shape); the
        // careful path below then decides, and words the error if there is one.
        use crate::facet::{with_mode, Mode};
        let exponent = crate::json::has_exponent(text);
        // Text without an exponent is read the ordinary way throughout; with one, numbers and
        // unknown fields are read through their raw text (see `crate::json`).
        crate::json::with_capture(exponent, || {
            // The direct pass reads facets straight into their types, with no check that they
            // write an exponent back as sent, so text with one starts at the borrowed pass.
            let direct = if exponent {
                Err(())
            } else {
                with_mode(Mode::Direct, || fast::parse(text)).map_err(drop)
            };
            match direct {
                Ok(Some(event)) => return Ok(event),
                // A facet that does not fit (a `_deleted` marker, another version) is the common
                // reason: one more fast pass decides each facet on its own, borrowing its text.
                Err(()) => {
                    if let Ok(Some(event)) = with_mode(Mode::Borrowed, || fast::parse(text)) {
                        return Ok(event);
                    }
                }
                Ok(None) => {}
            }
            Self::from_json_careful(text)
        })
    }

    /// The reference parse: decide the kind by structure, then parse as that kind with facets
    /// buffered so any that does not fit is kept raw.
    fn from_json_careful(text: &str) -> Result<Self, Error> {
        let kind = Self::kind_of(text)?;
        let event = Self::parse_kind(kind, text)?;
        // The generated types refuse `null` where they could not keep it, so nothing can be
        // lost by construction; debug builds (and so the tests) check that promise.
        debug_assert_eq!(
            lost_at(text, &event).ok().flatten(),
            None,
            "lossy parse of {text}"
        );
        Ok(event)
    }

    fn parse_kind(kind: EventKind, text: &str) -> Result<Self, Error> {
        match kind {
            EventKind::Run => parse_as(kind, text).map(Event::Run),
            EventKind::Dataset => parse_as(kind, text).map(Event::Dataset),
            EventKind::Job => parse_as(kind, text).map(Event::Job),
        }
    }

    /// Parses one event from JSON bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, Error> {
        Self::from_json(std::str::from_utf8(bytes)?)
    }

    /// Converts a JSON value into an event.
    pub fn from_value(value: &Value) -> Result<Self, Error> {
        // Going through text keeps one parser (and its guarantees) for every entry point.
        Self::from_json(&value.to_string())
    }

    /// The event as a JSON value.
    pub fn to_value(&self) -> Value {
        // Every generated type serialises to a JSON object; failure is impossible.
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Which kind of event this is.
    pub fn kind(&self) -> EventKind {
        match self {
            Event::Run(_) => EventKind::Run,
            Event::Dataset(_) => EventKind::Dataset,
            Event::Job(_) => EventKind::Job,
        }
    }

    /// `eventTime` exactly as received.
    pub fn event_time_str(&self) -> &str {
        match self {
            Event::Run(e) => &e.event_time,
            Event::Dataset(e) => &e.event_time,
            Event::Job(e) => &e.event_time,
        }
    }

    /// `eventTime` parsed as RFC 3339 (an offset is required).
    pub fn event_time(&self) -> Result<DateTime<FixedOffset>, Error> {
        parse_event_time(self.event_time_str())
    }

    /// `eventTime` parsed leniently: a time without an offset, as some producers send, is UTC.
    pub fn event_time_or_utc(&self) -> Result<DateTime<FixedOffset>, Error> {
        parse_event_time_or_utc(self.event_time_str())
    }

    /// `producer` as received.
    pub fn producer(&self) -> &str {
        match self {
            Event::Run(e) => &e.producer,
            Event::Dataset(e) => &e.producer,
            Event::Job(e) => &e.producer,
        }
    }

    /// `schemaURL` as received.
    pub fn schema_url(&self) -> &str {
        match self {
            Event::Run(e) => &e.schema_url,
            Event::Dataset(e) => &e.schema_url,
            Event::Job(e) => &e.schema_url,
        }
    }

    /// The run, for a RunEvent.
    pub fn run(&self) -> Option<&Run> {
        match self {
            Event::Run(e) => Some(&e.run),
            Event::Dataset(_) | Event::Job(_) => None,
        }
    }

    /// `run.runId` parsed as a UUID, for a RunEvent; `Ok(None)` for the other kinds.
    pub fn run_id(&self) -> Result<Option<Uuid>, Error> {
        match self {
            Event::Run(e) => e.run_id().map(Some),
            Event::Dataset(_) | Event::Job(_) => Ok(None),
        }
    }

    /// The job, for a RunEvent or a JobEvent.
    pub fn job(&self) -> Option<&Job> {
        match self {
            Event::Run(e) => Some(&e.job),
            Event::Job(e) => Some(&e.job),
            Event::Dataset(_) => None,
        }
    }

    /// `eventType`, for a RunEvent that has one.
    pub fn event_type(&self) -> Option<RunEventType> {
        match self {
            Event::Run(e) => e.event_type,
            Event::Dataset(_) | Event::Job(_) => None,
        }
    }

    /// The input datasets (empty for a DatasetEvent or when there are none).
    pub fn inputs(&self) -> &[InputDataset] {
        let inputs = match self {
            Event::Run(e) => &e.inputs,
            Event::Job(e) => &e.inputs,
            Event::Dataset(_) => return &[],
        };
        inputs.as_deref().unwrap_or_default()
    }

    /// The output datasets (empty for a DatasetEvent or when there are none).
    pub fn outputs(&self) -> &[OutputDataset] {
        let outputs = match self {
            Event::Run(e) => &e.outputs,
            Event::Job(e) => &e.outputs,
            Event::Dataset(_) => return &[],
        };
        outputs.as_deref().unwrap_or_default()
    }
}

/// Parses `text` as one event type; on failure, the error's position in the text gives the
/// pointer (`locate`), so neither a successful parse nor the code size pays for path tracking.
fn parse_as<T: DeserializeOwned>(kind: EventKind, text: &str) -> Result<T, Error> {
    serde_json::from_str(text).map_err(|e| {
        let mut message = e.to_string();
        let pointer = locate::error_pointer(text, &e);
        // serde_json says only "expected value" for a value of the wrong JSON type for an enum.
        if message.starts_with("expected value") {
            if let Some(found) = serde_json::from_str::<Value>(text)
                .ok()
                .and_then(|v| v.pointer(&pointer).map(json_value_name))
            {
                message = format!("{found} is not allowed here ({message})");
            }
        }
        Error::Event {
            kind: kind.def_name(),
            pointer,
            message,
        }
    })
}

/// A word for a JSON value's type, for error messages.
pub(crate) fn json_value_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // The kind is decided by structure, which needs the whole object first.
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        Event::from_json(raw.get()).map_err(serde::de::Error::custom)
    }
}

impl From<RunEvent> for Event {
    fn from(e: RunEvent) -> Self {
        Event::Run(e)
    }
}

impl From<DatasetEvent> for Event {
    fn from(e: DatasetEvent) -> Self {
        Event::Dataset(e)
    }
}

impl From<JobEvent> for Event {
    fn from(e: JobEvent) -> Self {
        Event::Job(e)
    }
}

impl RunEvent {
    /// `run.runId` parsed as a UUID (any version, any letter case).
    pub fn run_id(&self) -> Result<Uuid, Error> {
        Uuid::parse_str(&self.run.run_id).map_err(|e| Error::RunId {
            value: self.run.run_id.clone(),
            reason: e.to_string(),
        })
    }

    /// `eventTime` parsed as RFC 3339.
    pub fn event_time(&self) -> Result<DateTime<FixedOffset>, Error> {
        parse_event_time(&self.event_time)
    }
}

fn parse_event_time(text: &str) -> Result<DateTime<FixedOffset>, Error> {
    DateTime::parse_from_rfc3339(text).map_err(|e| Error::EventTime {
        value: text.to_string(),
        reason: e.to_string(),
    })
}

fn parse_event_time_or_utc(text: &str) -> Result<DateTime<FixedOffset>, Error> {
    parse_event_time(text).or_else(|err| {
        ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
            .map(|naive| naive.and_utc().fixed_offset())
            .ok_or(err)
    })
}

/// A batch request body: the array `POST /lineage/batch` takes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BatchRequest(pub Vec<Event>);

impl BatchRequest {
    /// Parses a batch body element by element, so one bad event does not hide the others: the
    /// outer error is for a body that is not a JSON array, the inner ones are per event.
    pub fn parse_each(bytes: &[u8]) -> Result<Vec<Result<Event, Error>>, Error> {
        let text = std::str::from_utf8(bytes)?;
        let items: Vec<Box<RawValue>> = serde_json::from_str(text).map_err(|e| {
            if e.is_data() {
                Error::Shape(format!(
                    "expected a JSON array of events, found {}",
                    json_type_name(text)
                ))
            } else {
                Error::Json(e)
            }
        })?;
        Ok(items
            .iter()
            .map(|raw| Event::from_json(raw.get()))
            .collect())
    }
}

/// Where writing `event` back would differ from `text`, if anywhere.
fn lost_at(text: &str, event: &Event) -> Result<Option<String>, Error> {
    let original: Value = serde_json::from_str(text)?;
    let back = event.to_value();
    if original == back {
        return Ok(None);
    }
    Ok(first_difference(&original, &back, String::new()))
}

/// A word for the JSON type `text` starts with, for error messages.
fn json_type_name(text: &str) -> &'static str {
    match text.trim_start().as_bytes().first() {
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        Some(b'{') => "an object",
        Some(_) => "a number",
        None => "nothing",
    }
}

/// JSON pointer of the first place where `a` and `b` differ, if any.
fn first_difference(a: &Value, b: &Value, at: String) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => x
            .iter()
            .find_map(|(k, v)| match y.get(k) {
                Some(w) => first_difference(v, w, format!("{at}/{}", escape(k))),
                None => Some(format!("{at}/{}", escape(k))),
            })
            .or_else(|| {
                y.keys()
                    .find(|k| !x.contains_key(*k))
                    .map(|k| format!("{at}/{}", escape(k)))
            }),
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (v, w))| first_difference(v, w, format!("{at}/{i}"))),
        _ if a == b => None,
        _ => Some(if at.is_empty() { "/".into() } else { at }),
    }
}

/// A JSON pointer segment for `key` (RFC 6901): `~` and `/` escaped.
pub(crate) fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The current time as an RFC 3339 `eventTime` with milliseconds and `Z`.
pub(crate) fn now_event_time() -> String {
    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
