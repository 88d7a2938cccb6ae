//! Event dispatch by structure, typed accessors, builders and the facet registry.

use crate::common;

use openlineage_codegen::spec::{facet_files, read_json, Pin};
use openlineage_types::{
    BatchRequest, BatchResponse, BatchResponseStatus, Error, Event, EventKind, FacetKind, RunEvent,
    RunEventType, FACETS, SPEC_TAG,
};
use serde_json::json;

fn base() -> serde_json::Value {
    json!({"eventTime": "2024-01-01T00:00:00Z", "producer": "https://p", "schemaURL": "https://s"})
}

fn with(extra: serde_json::Value) -> String {
    let mut v = base();
    for (k, x) in extra.as_object().expect("object") {
        v[k] = x.clone();
    }
    v.to_string()
}

#[test]
fn kind_is_decided_by_structure() {
    let run = json!({"runId": "0190d5a4-7c6c-7b8e-9f00-000000000001"});
    let job = json!({"namespace": "n", "name": "j"});
    let dataset = json!({"namespace": "n", "name": "d"});
    let cases = [
        (json!({"run": run, "job": job}), Some(EventKind::Run)),
        (
            json!({"run": run, "job": job, "dataset": dataset}),
            Some(EventKind::Run),
        ),
        (json!({"job": job}), Some(EventKind::Job)),
        (json!({"dataset": dataset}), Some(EventKind::Dataset)),
        (
            json!({"dataset": dataset, "run": run}),
            Some(EventKind::Dataset),
        ),
        (json!({"dataset": dataset, "job": job}), None),
        (json!({"run": run}), None),
        (json!({}), None),
    ];
    for (extra, expected) in cases {
        let text = with(extra.clone());
        let got = Event::from_json(&text).map(|e| e.kind()).ok();
        assert_eq!(got, expected, "{extra}");
    }
}

#[test]
fn shape_errors_say_what_was_expected() {
    let err = |text: &str| Event::from_json(text).unwrap_err().to_string();
    assert!(err("[1]").contains("expected a JSON object, found an array"));
    assert!(err(&with(json!({"run": {"runId": "x"}}))).contains("missing field `job`"));
    let ambiguous = err(&with(json!({"job": {"namespace": "n", "name": "j"},
                                      "dataset": {"namespace": "n", "name": "d"}})));
    assert!(
        ambiguous.contains("both DatasetEvent and JobEvent"),
        "{ambiguous}"
    );
    let missing = err(&with(
        json!({"run": {}, "job": {"namespace": "n", "name": "j"}}),
    ));
    assert!(
        missing.contains("invalid RunEvent") && missing.contains("runId"),
        "{missing}"
    );
    assert!(err("{").contains("invalid JSON"));
    assert!(matches!(
        Event::from_slice(b"\xff\xfe"),
        Err(Error::Utf8(_))
    ));
}

#[test]
fn null_in_a_core_field_is_an_error_not_a_loss() {
    let text = with(
        json!({"run": {"runId": "r"}, "job": {"namespace": "n", "name": "j"},
                           "inputs": null}),
    );
    let err = Event::from_json(&text).unwrap_err().to_string();
    assert!(err.contains("`inputs` is null"), "{err}");
    // Through serde as well.
    assert!(serde_json::from_str::<Event>(&text).is_err());
}

#[test]
fn typed_accessors_parse_without_normalising_the_text() {
    let text = with(json!({"eventTime": "2024-05-06T07:08:09.5+02:00",
        "run": {"runId": "0190D5A4-7C6C-7B8E-9F00-00000000000A"},
        "job": {"namespace": "n", "name": "j"}}));
    let Event::Run(e) = Event::from_json(&text).expect("parses") else {
        panic!("run event expected")
    };
    assert_eq!(e.event_time, "2024-05-06T07:08:09.5+02:00");
    assert_eq!(
        e.event_time().expect("rfc3339").offset().local_minus_utc(),
        7200
    );
    let id = e.run_id().expect("uuid");
    assert_eq!(id.get_version_num(), 7);
    assert_eq!(e.run.run_id, "0190D5A4-7C6C-7B8E-9F00-00000000000A");

    let naive = Event::from_json(&with(json!({"eventTime": "2024-05-06T07:08:09",
        "job": {"namespace": "n", "name": "j"}})))
    .expect("parses");
    assert!(naive.event_time().is_err());
    assert_eq!(
        naive.event_time_or_utc().expect("lenient").to_rfc3339(),
        "2024-05-06T07:08:09+00:00"
    );
}

#[test]
fn builder_makes_a_minimal_valid_run_event() {
    let event = RunEvent::builder("https://example.com/producer", "ns", "job")
        .event_type(RunEventType::Complete)
        .input("pg://db", "public.a")
        .output("s3://bucket", "b")
        .build();
    let value = serde_json::to_value(&event).expect("serialises");
    assert_eq!(value["eventType"], "COMPLETE");
    assert_eq!(value["inputs"][0]["name"], "public.a");
    assert!(value["schemaURL"]
        .as_str()
        .expect("string")
        .ends_with("#/$defs/RunEvent"));
    assert_eq!(event.run_id().expect("uuid").get_version_num(), 7);
    assert!(event.event_time().is_ok());
    assert_eq!(
        Event::from_value(&value).expect("parses"),
        Event::Run(event)
    );
}

#[test]
fn batch_request_is_parsed_event_by_event() {
    let good = with(json!({"job": {"namespace": "n", "name": "j"}}));
    let body = format!("[{good}, {{\"x\": 1}}, {good}]");
    let each = BatchRequest::parse_each(body.as_bytes()).expect("array");
    assert_eq!(
        each.iter().map(Result::is_ok).collect::<Vec<_>>(),
        [true, false, true]
    );
    let err = BatchRequest::parse_each(b"{}").unwrap_err().to_string();
    assert!(err.contains("expected a JSON array"), "{err}");
}

#[test]
fn batch_response_is_typed_and_lossless() {
    let value = json!({"status": "partial_success",
        "summary": {"received": 3, "successful": 2, "failed": 1, "retriable": 0, "non_retriable": 1},
        "failed_events": [{"index": 1, "reason": "bad", "retriable": false}], "vendor": "x"});
    let parsed: BatchResponse = serde_json::from_value(value.clone()).expect("parses");
    assert_eq!(parsed.status, BatchResponseStatus::PartialSuccess);
    assert_eq!(parsed.summary.failed, 1);
    assert_eq!(serde_json::to_value(&parsed).expect("serialises"), value);
}

#[test]
fn every_facet_file_has_a_typed_field() {
    let dir = common::spec_dir();
    let files = facet_files(&dir).expect("facet files");
    // The tag is the pin's, whatever the snapshot's folder is called.
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    assert_eq!(SPEC_TAG, Pin::read(&root).expect("pin").tag);
    let mut declared = 0;
    for file in &files {
        let schema = read_json(&dir.join(file)).expect("facet file parses");
        let keys = schema["properties"].as_object().expect("facet keys");
        declared += keys.len();
        for key in keys.keys() {
            let entries: Vec<_> = FACETS
                .iter()
                .filter(|f| f.file == file && f.key == key)
                .collect();
            assert!(!entries.is_empty(), "{file}: `{key}` has no typed field");
            for e in entries {
                assert!(
                    e.kind.keys().contains(&e.key),
                    "{file}: {} not in its container",
                    e.key
                );
            }
        }
    }
    // Each declared key is in at least one container, and a container holds a key once.
    let mut seen = std::collections::BTreeSet::new();
    for f in FACETS {
        assert!(
            seen.insert((f.kind, f.key)),
            "{} twice in {:?}",
            f.key,
            f.kind
        );
    }
    assert!(FACETS.len() >= declared);
    let total_keys: usize = FacetKind::ALL.iter().map(|k| k.keys().len()).sum();
    assert_eq!(total_keys, FACETS.len());
}
