//! Hand-made producer streams: a correct one passes every producer check, each broken one
//! fails exactly the check it breaks, and duplicates and out-of-order arrival fail nothing.

use std::collections::BTreeSet;
use std::time::Duration;

use openlineage_conformance::expectations::Expectations;
use openlineage_conformance::producer::{ProducerReport, Stream, PRODUCER_CHECKS};
use openlineage_conformance::report::Outcome;
use openlineage_types::FacetKind;
use serde_json::{json, Value};

const PARENT: &str = "0190b3d4-7a1e-7c3a-9d2e-1f00000000aa";
const CHILD: &str = "0190b3d4-7a1e-7c3a-9d2e-1f00000000bb";
const PRODUCER: &str = "https://example.com/producer/1.0";

fn facet_url(kind: FacetKind, key: &str) -> String {
    let info = openlineage_types::facet(kind, key).expect("facet of the pinned spec");
    let name = info
        .schema_id
        .rsplit('/')
        .next()
        .and_then(|f| f.strip_suffix(".json"))
        .expect("file");
    format!("{}#/$defs/{name}", info.schema_id)
}

fn time(second: u32) -> String {
    format!("2024-05-01T10:00:{second:02}.000Z")
}

fn event(run: &str, job: &str, event_type: &str, second: u32) -> Value {
    json!({
        "eventType": event_type,
        "eventTime": time(second),
        "producer": PRODUCER,
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": run},
        "job": {"namespace": "shop", "name": job},
    })
}

/// The child's events carry a parent facet and an input dataset with a schema facet.
fn child(event_type: &str, second: u32) -> Value {
    let mut e = event(CHILD, "load_orders", event_type, second);
    e["run"]["facets"] = json!({"parent": {
        "_producer": PRODUCER,
        "_schemaURL": facet_url(FacetKind::Run, "parent"),
        "run": {"runId": PARENT},
        "job": {"namespace": "shop", "name": "nightly"},
    }});
    e["inputs"] = json!([{
        "namespace": "postgres://db:5432",
        "name": "shop.public.orders",
        "facets": {"schema": {
            "_producer": PRODUCER,
            "_schemaURL": facet_url(FacetKind::Dataset, "schema"),
            "fields": [{"name": "id", "type": "INT"}],
        }},
    }]);
    e
}

/// A parent run spanning a child run that goes START, RUNNING, COMPLETE.
fn good() -> Vec<Value> {
    vec![
        event(PARENT, "nightly", "START", 0),
        child("START", 1),
        child("RUNNING", 2),
        child("COMPLETE", 3),
        event(PARENT, "nightly", "COMPLETE", 5),
    ]
}

fn judge_with(events: &[Value], expectations: Option<&Expectations>) -> ProducerReport {
    let mut stream = Stream::new();
    for (i, e) in events.iter().enumerate() {
        stream.push(format!("test:{}", i + 1), &e.to_string());
    }
    ProducerReport::new(
        stream,
        "test".into(),
        0,
        Duration::ZERO,
        false,
        expectations,
    )
}

fn judge(events: &[Value]) -> ProducerReport {
    judge_with(events, None)
}

fn failing(report: &ProducerReport) -> BTreeSet<String> {
    report
        .report
        .results
        .iter()
        .filter(|r| !r.distinct.is_empty())
        .map(|r| r.id.clone())
        .collect()
}

#[test]
fn a_correct_stream_passes_every_check() {
    let report = judge(&good());
    assert_eq!(failing(&report), BTreeSet::new(), "{}", report.human());
    let not_run: Vec<_> = report
        .report
        .results
        .iter()
        .filter(|r| r.outcome != Outcome::Pass)
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(not_run, Vec::<&str>::new(), "every check is exercised");
    assert_eq!(report.summary.runs, 2);
    assert_eq!(report.summary.reached.facets, 5);
    assert_eq!(report.exit_code(), 0);
}

/// One broken stream per check: (the check, what breaks it).
fn broken() -> Vec<(&'static str, Vec<Value>)> {
    let with = |i: usize, change: &dyn Fn(&mut Value)| {
        let mut events = good();
        change(&mut events[i]);
        events
    };
    let mut cases = vec![
        ("producer.events.received", Vec::new()),
        (
            "producer.event.valid.core",
            with(1, &|e| {
                e.as_object_mut().map(|o| o.remove("producer"));
            }),
        ),
        (
            "producer.event.valid.formats",
            with(2, &|e| e["eventTime"] = json!("2024-05-01T10:00:02")),
        ),
        (
            "producer.event.valid.facets",
            with(1, &|e| {
                e["inputs"][0]["facets"]["schema"]["fields"] = json!([{"type": "INT"}]);
            }),
        ),
        (
            "producer.event.schema_url",
            with(1, &|e| {
                e["schemaURL"] =
                    json!("https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/JobEvent");
            }),
        ),
        (
            "producer.event.facet_schema_url",
            with(1, &|e| {
                e["inputs"][0]["facets"]["schema"]["_schemaURL"] =
                json!("https://openlineage.io/spec/facets/1-0-0/DatasourceDatasetFacet.json#/$defs/DatasourceDatasetFacet");
            }),
        ),
        (
            "producer.event.versions_known",
            with(0, &|e| {
                e["schemaURL"] =
                    json!("https://openlineage.io/spec/9-0-0/OpenLineage.json#/$defs/RunEvent");
            }),
        ),
        (
            "producer.run.single_terminal",
            with(3, &|e| e["eventType"] = json!("FAIL"))
                .into_iter()
                .chain([child("COMPLETE", 4)])
                .collect(),
        ),
        // A deferrable sensor's second START: another eventTime, so not a duplicate.
        (
            "producer.run.single_start",
            good().into_iter().chain([child("START", 2)]).collect(),
        ),
        (
            "producer.run.terminal_seen",
            good()
                .into_iter()
                .filter(|e| e != &child("COMPLETE", 3))
                .collect(),
        ),
        (
            "producer.run.transitions",
            with(2, &|e| e["eventTime"] = json!(time(0))),
        ),
        (
            "producer.run.single_job",
            with(3, &|e| e["job"]["name"] = json!("load_orders_v2")),
        ),
        (
            "producer.run.stable_producer",
            with(3, &|e| {
                e["producer"] = json!("https://example.com/other/2.0")
            }),
        ),
        (
            "producer.refs.parent_job",
            with(2, &|e| {
                e["run"]["facets"]["parent"]["job"]["name"] = json!("hourly");
            }),
        ),
        (
            "producer.refs.parent_seen",
            with(1, &|e| {
                e["run"]["facets"]["parent"]["run"]["runId"] =
                    json!("0190b3d4-7a1e-7c3a-9d2e-1f00000000cc");
            }),
        ),
        (
            "producer.dataset.naming",
            with(1, &|e| e["inputs"][0]["namespace"] = json!("postgres://db")),
        ),
    ];
    // A dataset namespace with no scheme at all, as a dlt probe sends.
    cases.push((
        "producer.dataset.naming",
        with(1, &|e| e["inputs"][0]["namespace"] = json!("dlt-probe")),
    ));
    // A START missing from the stream.
    let mut no_start = good();
    no_start.remove(1);
    cases.push(("producer.run.start_seen", no_start));
    // A terminal event followed by more of the run: RUNNING after COMPLETE.
    let mut after = good();
    after.push(child("RUNNING", 4));
    cases.push(("producer.run.nothing_after_terminal", after));
    cases
}

#[test]
fn each_broken_stream_fails_exactly_its_check() {
    let mut covered = BTreeSet::new();
    for (id, events) in broken() {
        let report = judge(&events);
        assert_eq!(
            failing(&report),
            BTreeSet::from([id.to_string()]),
            "stream breaking {id}:\n{}",
            report.human()
        );
        let result = report
            .report
            .results
            .iter()
            .find(|r| r.id == id)
            .expect("result");
        assert!(result
            .failures
            .first()
            .is_some_and(|f| !f.message.is_empty()));
        covered.insert(id);
    }
    let all: BTreeSet<&str> = PRODUCER_CHECKS.iter().map(|c| c.id).collect();
    assert_eq!(covered, all, "every producer check has a broken stream");
}

#[test]
fn tiers_decide_the_exit_code_as_for_run() {
    let codes: Vec<(&str, u8)> = broken()
        .into_iter()
        .map(|(id, events)| (id, judge(&events).exit_code()))
        .collect();
    for (id, code) in codes {
        let tier = PRODUCER_CHECKS
            .iter()
            .find(|c| c.id == id)
            .expect("check")
            .tier;
        let expected = u8::from(tier == openlineage_conformance::checks::CheckTier::Must);
        assert_eq!(code, expected, "{id} ({tier})");
    }
}

#[test]
fn duplicates_and_out_of_order_arrival_are_not_failures() {
    let mut twice = good();
    twice.extend(good());
    let report = judge(&twice);
    assert_eq!(failing(&report), BTreeSet::new(), "{}", report.human());
    assert_eq!(report.summary.duplicates, 5);
    assert_eq!(report.summary.events, 10);

    let mut reversed = good();
    reversed.reverse();
    let report = judge(&reversed);
    assert_eq!(failing(&report), BTreeSet::new(), "{}", report.human());
    assert!(report.summary.out_of_order > 0);

    // A late RUNNING (earlier than the COMPLETE) arriving after it, and OTHER after completion.
    let mut late = good();
    late.push(child("RUNNING", 2).tap(|e| {
        e["run"]["facets"]["extra_note"] =
            json!({"_producer": PRODUCER, "_schemaURL": "https://example.com/note.json"})
    }));
    late.push(child("OTHER", 9));
    let report = judge(&late);
    assert_eq!(failing(&report), BTreeSet::new(), "{}", report.human());
}

#[test]
fn expectations_turn_failures_into_xfails_and_catch_stale_entries() {
    let (_, events) = broken()
        .into_iter()
        .find(|(id, _)| *id == "producer.run.start_seen")
        .expect("case");
    let listed = Expectations::parse(
        "producer.run.start_seen = the START goes to another backend\n",
        "x",
    )
    .expect("parses");
    let report = judge_with(&events, Some(&listed));
    assert_eq!(report.exit_code(), 0, "{}", report.human());
    assert!(report
        .report
        .results
        .iter()
        .any(|r| r.outcome == Outcome::XFail));
    let stale = Expectations::parse("producer.nope = gone\n", "x").expect("parses");
    let report = judge_with(&good(), Some(&stale));
    assert_eq!(report.report.stale_expectations, ["producer.nope"]);
    assert_eq!(report.exit_code(), 1);
}

#[test]
fn json_report_adds_the_stream_summary() {
    let report = judge(&good());
    let json: Value = serde_json::from_str(&report.json()).expect("json");
    assert_eq!(json["schema_version"], 2);
    assert_eq!(json["producer"]["runs"], 2);
    assert_eq!(json["producer"]["reached"]["facets"], 5);
    assert_eq!(
        json["results"].as_array().map(Vec::len),
        Some(PRODUCER_CHECKS.len())
    );
}

trait Tap: Sized {
    fn tap(self, f: impl FnOnce(&mut Self)) -> Self;
}

impl Tap for Value {
    fn tap(mut self, f: impl FnOnce(&mut Self)) -> Self {
        f(&mut self);
        self
    }
}

#[test]
fn every_failing_run_is_named_in_every_format() {
    // Four runs without a START, as one Airflow stream had.
    let runs = [
        "01934b5e-0000-7000-8000-000000000001",
        "01934b5e-0000-7000-8000-000000000002",
        "01934b5e-0000-7000-8000-000000000003",
        "01934b5e-0000-7000-8000-000000000004",
    ];
    let events: Vec<Value> = runs
        .iter()
        .map(|run| event(run, "nightly", "COMPLETE", 3))
        .collect();
    let report = judge(&events);
    let r = report
        .report
        .results
        .iter()
        .find(|r| r.id == "producer.run.start_seen")
        .expect("result");
    assert_eq!(r.distinct.len(), 4, "{}", report.human());
    let (human, json, junit) = (report.human(), report.json(), report.junit());
    for run in runs {
        assert!(human.contains(run), "human lacks {run}");
        assert!(json.contains(run), "JSON lacks {run}");
        assert!(junit.contains(run), "JUnit lacks {run}");
    }
}
