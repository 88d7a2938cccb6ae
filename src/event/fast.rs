//! The one-pass event parser behind [`super::Event::from_json`].
//!
//! It reads every top-level field once, keeps the ones that tell the kinds apart, and only then
//! builds the event. Whenever the input is not plainly well-formed it returns `None` (or an
//! error) and the careful parser takes over, so it never decides anything the careful parser
//! would decide differently; a test checks that on generated and hand-written events.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::Deserializer;
use serde_json::Value;

use super::{Event, EventKind};
use crate::de::{next_extra, next_field, AsWritten, Key};
use crate::json::to_value_as_written;
use crate::{
    DatasetEvent, InputDataset, Job, JobEvent, OutputDataset, Run, RunEvent, RunEventType,
    StaticDataset,
};

/// Every top-level field an event of any kind may have.
#[derive(Default)]
struct AnyEvent {
    event_time: Option<String>,
    producer: Option<String>,
    schema_url: Option<String>,
    event_type: Option<AsWritten<Value>>,
    run: Option<Run>,
    job: Option<Job>,
    dataset: Option<StaticDataset>,
    inputs: Option<Vec<InputDataset>>,
    outputs: Option<Vec<OutputDataset>>,
    extra: crate::UnknownFields,
}

/// Parses `text` in one pass; `Ok(None)` means "not plainly well-formed, ask the careful parser".
pub(super) fn parse(text: &str) -> serde_json::Result<Option<Event>> {
    let mut de = serde_json::Deserializer::from_str(text);
    // The visitor fills fields in place: returning the whole set of fields by value copied
    // more than a kilobyte per event, twice (seen in the parse profile of generated events).
    let mut any = AnyEvent::default();
    de.deserialize_map(AnyVisitor(&mut any))?;
    de.end()?;
    Ok(any.into_event())
}

impl AnyEvent {
    fn into_event(self) -> Option<Event> {
        let AnyEvent {
            event_time,
            producer,
            schema_url,
            event_type,
            run,
            job,
            dataset,
            inputs,
            outputs,
            mut extra,
        } = self;
        let (event_time, producer, schema_url) = (event_time?, producer?, schema_url?);
        let kinds = EventKind::from_keys(run.is_some(), job.is_some(), dataset.is_some());
        // Matched on the kind alone, and the parts moved once, straight into the event: a tuple
        // of the parts to match on was one more copy of about a kilobyte.
        match kinds {
            [EventKind::Run] => {
                let event_type = match event_type {
                    None => None,
                    Some(v) => Some(serde_json::from_value::<RunEventType>(v.0).ok()?),
                };
                if let Some(d) = &dataset {
                    extra.insert("dataset".into(), to_value_as_written(d).ok()?);
                }
                Some(Event::Run(RunEvent {
                    event_time,
                    event_type,
                    inputs,
                    job: job?,
                    outputs,
                    producer,
                    run: run?,
                    schema_url,
                    extra,
                }))
            }
            // `from_keys` gives a JobEvent only without `run` and `dataset`.
            [EventKind::Job] => {
                if let Some(v) = event_type {
                    extra.insert("eventType".into(), v.0);
                }
                Some(Event::Job(JobEvent {
                    event_time,
                    inputs,
                    job: job?,
                    outputs,
                    producer,
                    schema_url,
                    extra,
                }))
            }
            // `from_keys` gives a DatasetEvent only without `job`.
            [EventKind::Dataset] => {
                if let Some(v) = event_type {
                    extra.insert("eventType".into(), v.0);
                }
                if let Some(r) = &run {
                    extra.insert("run".into(), to_value_as_written(r).ok()?);
                }
                if let Some(i) = &inputs {
                    extra.insert("inputs".into(), to_value_as_written(i).ok()?);
                }
                if let Some(o) = &outputs {
                    extra.insert("outputs".into(), to_value_as_written(o).ok()?);
                }
                Some(Event::Dataset(DatasetEvent {
                    dataset: dataset?,
                    event_time,
                    producer,
                    schema_url,
                    extra,
                }))
            }
            _ => None,
        }
    }
}

struct AnyVisitor<'a>(&'a mut AnyEvent);

impl<'de> Visitor<'de> for AnyVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an OpenLineage event object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let e = self.0;
        while let Some(key) = map.next_key::<Key<'de>>()? {
            match key.as_str() {
                "eventTime" => next_field(&mut e.event_time, &mut map, "eventTime")?,
                "producer" => next_field(&mut e.producer, &mut map, "producer")?,
                "schemaURL" => next_field(&mut e.schema_url, &mut map, "schemaURL")?,
                "eventType" => next_field(&mut e.event_type, &mut map, "eventType")?,
                "run" => next_field(&mut e.run, &mut map, "run")?,
                "job" => next_field(&mut e.job, &mut map, "job")?,
                "dataset" => next_field(&mut e.dataset, &mut map, "dataset")?,
                "inputs" => next_field(&mut e.inputs, &mut map, "inputs")?,
                "outputs" => next_field(&mut e.outputs, &mut map, "outputs")?,
                _ => next_extra(&mut e.extra, key, &mut map)?,
            }
        }
        Ok(())
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(de::Error::custom("expected an object"))
    }
}

#[cfg(test)]
mod tests {
    use crate::facet::{with_mode, Mode};

    #[test]
    fn generated_events_are_decided_by_the_direct_pass() {
        // Generated events carry `_deleted` markers and custom facets: a facet that lacks a
        // required field is kept raw where it is read, so no such event is read twice. (Text
        // with an exponent starts at the borrowed pass by design.)
        let events = openlineage_testkit::corpus::generated(300, 11);
        let mut markers = 0;
        for text in events.iter().map(serde_json::Value::to_string) {
            if crate::json::has_exponent(&text) {
                continue;
            }
            let direct = crate::json::with_capture(false, || {
                with_mode(Mode::Direct, || super::parse(&text))
            });
            let event = match direct {
                Ok(Some(event)) => event,
                other => panic!("{text}\n{:?}", other.err()),
            };
            markers += serde_json::to_string(&event)
                .unwrap_or_default()
                .matches("\"_deleted\":true")
                .count();
        }
        assert!(markers > 0, "the corpus no longer has `_deleted` markers");
    }
}
