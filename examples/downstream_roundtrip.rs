//! Round-trips a built RunEvent and generated events of every kind through the typed model:
//! each parses, writes back to the same JSON value and validates. `cargo xtask package --check`
//! builds this file as the main program of a downstream crate against the packaged
//! openlineage-types; as an example here it is compiled (and run by `cargo run --example`) against
//! the workspace's.
use openlineage_types::arb::{GenConfig, ValueGen};
use openlineage_types::{Event, RunEvent, RunEventType, Tier, SPEC_TAG};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;

fn main() {
    let event = RunEvent::builder("https://example.com/downstream", "ns", "job")
        .event_type(RunEventType::Complete)
        .input("postgres://db:5432", "public.orders")
        .output("s3://bucket", "reports/daily")
        .build();
    let json = serde_json::to_string(&event).expect("serialize");
    let parsed = Event::from_json(&json).expect("parse");
    assert_eq!(parsed, Event::Run(event));
    assert!(parsed.validate(Tier::Facets).is_empty());
    let gen = ValueGen::new(GenConfig::SMALL).expect("generator");
    let events = gen.any_event_value().expect("strategy");
    let mut runner = TestRunner::deterministic();
    let count = 200;
    for _ in 0..count {
        let value = events.new_tree(&mut runner).expect("tree").current();
        let event = Event::from_json(&value.to_string()).expect("a generated event parses");
        assert_eq!(serde_json::to_value(&event).expect("serialize"), value);
        assert!(event.validate(Tier::Facets).is_empty());
    }
    println!("round-trip ok: 1 built and {count} generated events, spec {SPEC_TAG}");
}
