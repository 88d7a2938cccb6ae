//! The validator: tiers, error locations, and the spec's own examples.

use crate::common;

use openlineage_types::{Event, Tier, Validator};
use serde_json::{json, Value};

fn event() -> Value {
    json!({
        "eventTime": "2024-01-01T00:00:00Z",
        "producer": "https://example.com/p",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": "0190d5a4-7c6c-7b8e-9f00-000000000001"},
        "job": {"namespace": "ns", "name": "job"}
    })
}

/// (tier, pointer, keyword) of each violation at the deepest tier.
fn found(v: &Value) -> Vec<(Tier, String, String)> {
    Validator::global()
        .validate_value(v, Tier::Facets)
        .into_iter()
        .map(|x| (x.tier, x.pointer, x.keyword))
        .collect()
}

#[test]
fn corpus_from_spec_examples_is_valid_at_every_tier() {
    for text in common::corpus::events(&common::spec_dir(), 100).expect("corpus") {
        let value: Value = serde_json::from_str(&text).expect("json");
        let errors = Validator::global().validate_value(&value, Tier::Facets);
        assert!(errors.is_empty(), "{text}\n{errors:#?}");
    }
}

#[test]
fn event_time_without_offset_fails_formats_only() {
    let mut e = event();
    e["eventTime"] = json!("2024-01-01T00:00:00");
    assert!(Validator::global()
        .validate_value(&e, Tier::Core)
        .is_empty());
    assert_eq!(
        found(&e),
        [(Tier::Formats, "/eventTime".into(), "format".into())]
    );
}

#[test]
fn datasource_uri_without_scheme_fails_formats_not_core() {
    let mut e = event();
    e["inputs"] = json!([{"namespace": "n", "name": "d", "facets": {"dataSource": {
        "_producer": "https://p", "_schemaURL": "https://s", "name": "x", "uri": "file"}}}]);
    assert!(Validator::global()
        .validate_value(&e, Tier::Core)
        .is_empty());
    let formats = Validator::global().validate_value(&e, Tier::Formats);
    assert_eq!(formats.len(), 1, "{formats:#?}");
    assert_eq!(formats[0].pointer, "/inputs/0/facets/dataSource/uri");
}

#[test]
fn all_errors_are_reported_with_their_location() {
    let mut e = event();
    e["run"] = json!({});
    e["job"] = json!({"namespace": 5, "name": "j"});
    e["eventType"] = json!("NOPE");
    let mut got = found(&e);
    got.sort();
    let expected: Vec<(Tier, String, String)> = vec![
        (Tier::Core, "/eventType".into(), "enum".into()),
        (Tier::Core, "/job/namespace".into(), "type".into()),
        (Tier::Core, "/run".into(), "required".into()),
    ];
    assert_eq!(got, expected);
}

#[test]
fn facet_rules_are_the_facets_tier() {
    let mut e = event();
    e["job"]["facets"] = json!({"sql": {"_producer": "https://p", "_schemaURL": "https://s"}});
    assert!(Validator::global()
        .validate_value(&e, Tier::Formats)
        .is_empty());
    assert_eq!(
        found(&e),
        [(Tier::Facets, "/job/facets/sql".into(), "required".into())]
    );
    // A deletion marker is not held to the facet's own required fields.
    e["job"]["facets"]["sql"]["_deleted"] = json!(true);
    assert!(found(&e).is_empty());
}

#[test]
fn shapes_follow_one_of() {
    let v = Validator::global();
    assert_eq!(v.validate_value(&json!([1]), Tier::Core)[0].keyword, "type");
    let mut ambiguous = event();
    ambiguous.as_object_mut().expect("object").remove("run");
    ambiguous["dataset"] = json!({"namespace": "n", "name": "d"});
    assert_eq!(v.validate_value(&ambiguous, Tier::Core)[0].keyword, "oneOf");
    // If only one branch holds, `oneOf` is satisfied.
    ambiguous["dataset"] = json!({"namespace": 1});
    assert!(v.validate_value(&ambiguous, Tier::Core).is_empty());
}

#[test]
fn typed_events_validate_through_the_model() {
    let e = Event::from_value(&event()).expect("parses");
    assert!(e.validate(Tier::Facets).is_empty());
}

#[test]
fn facets_forwarded_inside_the_parent_facet_are_checked_too() {
    let producer = "https://example.com/p";
    let base = |schema: &str| json!({"_producer": producer, "_schemaURL": format!("https://openlineage.io/spec/facets/{schema}")});
    let mut nominal = base("1-0-1/NominalTimeRunFacet.json");
    nominal["nominalStartTime"] = json!("2024-01-01T00:00:00Z");
    let mut parent = base("1-2-0/ParentRunFacet.json");
    parent["run"] = json!({"runId": "0190d5a4-7c6c-7b8e-9f00-000000000002", "facets": {"nominalTime": nominal}});
    parent["job"] = json!({"namespace": "ns", "name": "parent"});
    parent["root"] = json!({
        "run": {"runId": "0190d5a4-7c6c-7b8e-9f00-000000000003"},
        "job": {"namespace": "ns", "name": "root", "facets": {"sql": {"_producer": producer, "_schemaURL": "https://openlineage.io/spec/facets/1-1-0/SQLJobFacet.json", "query": "select 1"}}}
    });
    let mut e = event();
    e["run"]["facets"] = json!({"parent": parent});
    assert!(found(&e).is_empty(), "{:?}", found(&e));

    // The forwarded facets break their own schemas; the core and formats tiers do not mind.
    let mut bad = e.clone();
    let forwarded = &mut bad["run"]["facets"]["parent"];
    forwarded["run"]["facets"]["nominalTime"]
        .as_object_mut()
        .map(|o| o.remove("nominalStartTime"));
    forwarded["root"]["job"]["facets"]["sql"]["query"] = json!(42);
    let mut got = found(&bad);
    got.sort();
    assert_eq!(
        got,
        vec![
            (
                Tier::Facets,
                "/run/facets/parent/root/job/facets/sql/query".to_string(),
                "type".to_string()
            ),
            (
                Tier::Facets,
                "/run/facets/parent/run/facets/nominalTime".to_string(),
                "required".to_string()
            ),
        ]
    );
    assert!(Validator::global()
        .validate_value(&bad, Tier::Formats)
        .is_empty());
}

#[test]
fn a_facet_missing_its_producer_is_reported_at_its_key_without_the_map() {
    let mut e = event();
    e["run"]["facets"] = json!({
        "nominalTime": {"_producer": "https://p", "_schemaURL": "https://s",
            "nominalStartTime": "2024-01-01T00:00:00Z"},
        "custom": {"_schemaURL": "https://s", "note": "x".repeat(400)}
    });
    let violations = Validator::global().validate_value(&e, Tier::Core);
    let got: Vec<(&str, &str)> = violations
        .iter()
        .map(|v| (v.pointer.as_str(), v.keyword.as_str()))
        .collect();
    assert_eq!(got, [("/run/facets/custom", "required")], "{violations:#?}");
    assert!(
        violations[0].message.contains("_producer"),
        "{violations:#?}"
    );
    assert!(violations[0].message.len() < 200, "{violations:#?}");
}

#[test]
fn integers_in_every_spelling_meet_type_and_minimum_exactly() {
    // `windowDuration` is an integer with `minimum: 1`.
    let with = |duration: &str| {
        let mut e = event();
        e["job"]["facets"] = json!({"jobType": {
            "_producer": "https://p",
            "_schemaURL": "https://openlineage.io/spec/facets/2-0-4/JobTypeJobFacet.json",
            "processingType": "STREAMING", "integration": "KAFKA", "jobType": "JOB",
            "emissionPattern": {"eventTrigger": "PERIODIC", "eventContentMode": "COMPLETE_SNAPSHOT",
                                "windowDuration": serde_json::from_str::<Value>(duration).expect("number")}
        }});
        found(&e)
    };
    let at = "/job/facets/jobType/emissionPattern/windowDuration".to_string();
    for ok in [
        "300",
        "1e3",
        "1E+2",
        "1000.0",
        "1e400",
        "123456789012345678901234567891",
        "1",
    ] {
        assert!(with(ok).is_empty(), "{ok}: {:?}", with(ok));
    }
    for (bad, keyword) in [
        ("0", "minimum"),
        ("-0", "minimum"),
        ("0.0e0", "minimum"),
        ("-1e400", "minimum"),
        ("1.5", "type"),
        ("1.0000000000000000001", "type"),
    ] {
        assert_eq!(
            with(bad),
            [(Tier::Facets, at.clone(), keyword.to_string())],
            "{bad}"
        );
    }
}

/// Every embedded schema compiles, here in a test rather than in a program at run time: a spec
/// the validator cannot take fails the build's tests, and `global()` then never stands in.
#[test]
fn every_embedded_schema_compiles() {
    let validator = Validator::new().expect("the embedded spec schemas compile");
    assert!(format!("{validator:?}").contains("facet_schemas"));
    Validator::try_global().expect("the global validator is the compiled one");
}
