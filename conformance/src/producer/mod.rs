//! Producer conformance: checks what a producer sends, event by event and as a stream.
//!
//! [`collect`] receives events over HTTP (answering exactly as the reference server does) and
//! [`lint`] reads recorded streams; both feed one [`Stream`], which runs the per-event checks
//! with the shared validator and, once the stream ends, the per-run lifecycle and cross-event
//! checks. The result is an ordinary [`Report`] over [`PRODUCER_CHECKS`], with the same tiers,
//! expectations, formats and exit codes as `run`, plus a [`Summary`] of the stream.

pub mod checks;
pub mod collect;
pub mod event;
pub mod lint;
pub mod stream;

use std::time::Duration;

pub use checks::PRODUCER_CHECKS;
pub use stream::{EventLine, RunEvents, Stream, Summary, TimedEvent};

use crate::expectations::Expectations;
use crate::report::Report;

/// A producer report: the checks, and counts over the stream.
#[derive(Debug, Clone, PartialEq)]
pub struct ProducerReport {
    /// Per check, as `run` reports them.
    pub report: Report,
    /// Counts over the stream.
    pub summary: Summary,
}

impl ProducerReport {
    /// Judges a finished stream. `source` names where the events came from; `requests` is the
    /// number of HTTP requests that carried them (0 for files).
    pub fn new(
        stream: Stream,
        source: String,
        requests: usize,
        elapsed: Duration,
        strict: bool,
        expectations: Option<&Expectations>,
    ) -> Self {
        let (results, summary) = stream.finish(expectations, strict);
        let stale = expectations
            .map(|e| e.stale(PRODUCER_CHECKS.iter().map(|c| c.id)))
            .unwrap_or_default();
        let report = Report {
            schema_version: crate::report::REPORT_SCHEMA_VERSION,
            compatibility_notes: crate::checks::ALIASES,
            read_back: None,
            target: source,
            seed: 0,
            cases: summary.events,
            cases_run: summary.events,
            strict,
            requests,
            duration_ms: elapsed.as_millis() as u64,
            stalled: None,
            stale_expectations: stale,
            bodies_dir: None,
            results,
        };
        ProducerReport { report, summary }
    }

    /// 0 when the stream passes, 1 when a check (or the expectations file) fails it.
    pub fn exit_code(&self) -> u8 {
        self.report.exit_code()
    }

    /// The human-readable report: what the stream held, then the checks.
    pub fn human(&self) -> String {
        let s = &self.summary;
        let r = &s.reached;
        let seconds = (self.report.duration_ms as f64 / 1000.0).max(0.001);
        format!(
            "producer stream from {}: {} events ({} duplicates set aside, {} arrived out of order), {} runs, {} parent runs not in the stream  {:.1}s ({:.0} events/s)\n\
             valid at facets tier {}, at formats tier only {}, at core tier only {}, invalid {}\n{}",
            self.report.target,
            s.events,
            s.duplicates,
            s.out_of_order,
            s.runs,
            s.unseen_parents,
            self.report.duration_ms as f64 / 1000.0,
            s.events as f64 / seconds,
            r.facets,
            r.formats,
            r.core,
            r.invalid,
            self.report.human_results()
        )
    }

    /// The JSON report: `run`'s layout with a `producer` object added.
    pub fn json(&self) -> String {
        let mut value = serde_json::to_value(&self.report).unwrap_or_default();
        if let Some(map) = value.as_object_mut() {
            map.insert(
                "producer".into(),
                serde_json::to_value(&self.summary).unwrap_or_default(),
            );
        }
        serde_json::to_string_pretty(&value).unwrap_or_default()
    }

    /// The JUnit XML report, one testcase per check.
    pub fn junit(&self) -> String {
        self.report.junit()
    }

    /// The HTML report: the stream, its runs on a time line, then the checks.
    pub fn html(&self) -> String {
        crate::html::producer_report(&self.report, &self.summary)
    }
}
