//! The examples: what they produce and read, and the line budgets they are held to.

#[allow(dead_code)]
#[path = "../examples/producer.rs"]
mod producer;

#[allow(dead_code)]
#[path = "../examples/consumer.rs"]
mod consumer;

use openlineage_types::{Tier, Uuid};

/// Lines that are neither blank nor comments.
fn code_lines(path: &str) -> usize {
    let text = std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR")))
        .unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .count()
}

#[test]
fn the_examples_stay_short() {
    assert!(code_lines("examples/producer.rs") <= 25);
    assert!(code_lines("examples/collector.rs") <= 60);
    // The collector leaves error joining and batch arithmetic to the crate.
    let collector = std::fs::read_to_string(format!(
        "{}/examples/collector.rs",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("readable");
    for glue in ["join(", "summary", "failed_events", "violations()", " - "] {
        assert!(
            !collector.contains(glue),
            "the collector computes `{glue}` itself"
        );
    }
}

#[test]
fn the_consumer_reads_what_the_producer_writes() {
    let parent = Uuid::now_v7();
    let event = producer::event(parent);
    assert!(event.validate(Tier::Facets).is_empty());
    let lines = format!(
        "{}\n\n{}\n",
        serde_json::to_string(&event).expect("serialises"),
        r#"{"eventTime": "2024-01-01T00:00:00Z", "producer": "p", "schemaURL": "s", "dataset": {"namespace": "n", "name": "d"}}"#
    );
    let text = consumer::describe(lines.as_bytes(), "events.jsonl").expect("reads");
    assert_eq!(
        text,
        "COMPLETE analytics/daily sql=\"INSERT INTO daily SELECT * FROM orders\" \
         parent=scheduler/nightly\n  -> postgres://db:5432/public.daily [day, total]\n"
    );
    let err = consumer::describe(&b"{\"job\": 1}\n"[..], "bad.jsonl").unwrap_err();
    assert!(err.starts_with("bad.jsonl:1: "), "{err}");
}
