//! The crate as producers, consumers and collectors use it: facet constructors and schema URLs,
//! facets by type, event accessors, parse errors with pointers, and batch answers.

use openlineage_types::{
    BatchRequest, BatchResponse, BatchResponseStatus, Error, Event, InputDataset, Job,
    OutputDataset, ParentJob, ParentRun, ParentRunFacet, RunEvent, RunEventType,
    SchemaDatasetFacet, SchemaDatasetFacetFields, SqlJobFacet, Tier, Uuid, FACETS,
};
use serde_json::{json, Value};

const PRODUCER: &str = "https://example.com/my-producer";

fn producer_event() -> RunEvent {
    let parent = Uuid::now_v7();
    RunEvent::builder(PRODUCER, "my-namespace", "my-job")
        .event_type(RunEventType::Complete)
        .job_facet(SqlJobFacet::new("INSERT INTO daily SELECT * FROM orders").with_dialect("ansi"))
        .run_facet(ParentRunFacet::new(
            ParentRun::new(parent.to_string()),
            ParentJob::new("scheduler", "nightly"),
        ))
        .input("postgres://db:5432", "public.orders")
        .output_dataset(
            OutputDataset::new("s3://bucket", "reports/daily").with_facet(
                SchemaDatasetFacet::new()
                    .with_fields(vec![SchemaDatasetFacetFields::new("id").with_type("INT")]),
            ),
        )
        .build()
}

#[test]
fn facets_get_their_schema_url_and_the_events_producer() {
    let event = producer_event();
    assert!(
        event.validate(Tier::Facets).is_empty(),
        "{:#?}",
        event.validate(Tier::Facets)
    );
    let value = serde_json::to_value(&event).expect("serialises");
    let sql = &value["job"]["facets"]["sql"];
    assert_eq!(sql["_producer"], PRODUCER);
    assert_eq!(
        sql["_schemaURL"],
        "https://openlineage.io/spec/facets/1-1-0/SQLJobFacet.json#/$defs/SQLJobFacet"
    );
    assert_eq!(sql["dialect"], "ansi");
    assert_eq!(value["run"]["facets"]["parent"]["_producer"], PRODUCER);
    let schema = &value["outputs"][0]["facets"]["schema"];
    assert_eq!(schema["_producer"], PRODUCER);
    assert_eq!(schema["fields"], json!([{"name": "id", "type": "INT"}]));
    // No filler: absent optional fields stay absent.
    assert!(sql.get("_deleted").is_none());
    // Every constant matches the registry's `$id` and definition.
    for (url, key) in [
        (SqlJobFacet::SCHEMA_URL, "sql"),
        (SchemaDatasetFacet::SCHEMA_URL, "schema"),
        (ParentRunFacet::SCHEMA_URL, "parent"),
    ] {
        let info = FACETS.iter().find(|f| f.key == key).expect("registered");
        assert!(url.starts_with(info.schema_id), "{url}");
        assert!(url.contains("#/$defs/"), "{url}");
    }
}

#[test]
fn a_producer_set_on_a_facet_is_kept() {
    let mut facet = SqlJobFacet::new("SELECT 1");
    facet.producer = "https://other".into();
    let event = RunEvent::builder(PRODUCER, "n", "j")
        .job_facet(facet)
        .build();
    let sql = event.job.facet::<SqlJobFacet>().expect("typed sql facet");
    assert_eq!(sql.producer, "https://other");
}

#[test]
fn consumers_read_typed_facets_and_event_fields() {
    let text = serde_json::to_string(&producer_event()).expect("serialises");
    let event = Event::from_json(&text).expect("parses");
    let job = event.job().expect("a run event has a job");
    assert_eq!(
        job.facet::<SqlJobFacet>().map(|f| f.query.as_str()),
        Some("INSERT INTO daily SELECT * FROM orders")
    );
    let parent = event
        .run()
        .and_then(|r| r.facet::<ParentRunFacet>())
        .expect("parent facet");
    assert_eq!(parent.job.name, "nightly");
    assert_eq!(event.event_type(), Some(RunEventType::Complete));
    assert_eq!(
        event.run_id().expect("uuid").map(|u| u.get_version_num()),
        Some(7)
    );
    assert_eq!(event.inputs().len(), 1);
    assert_eq!(
        event.outputs()[0]
            .facet::<SchemaDatasetFacet>()
            .map(|s| s.fields.as_ref().map(Vec::len)),
        Some(Some(1))
    );
    assert!(event.inputs()[0].facet::<SchemaDatasetFacet>().is_none());

    let dataset = Event::from_json(
        &json!({"eventTime": "2024-01-01T00:00:00Z",
        "producer": "p", "schemaURL": "s", "dataset": {"namespace": "n", "name": "d"}})
        .to_string(),
    )
    .expect("parses");
    assert!(dataset.job().is_none() && dataset.run().is_none());
    assert_eq!(dataset.run_id().expect("no run id to parse"), None);
    assert!(dataset.inputs().is_empty() && dataset.outputs().is_empty());
    assert_eq!(dataset.event_type(), None);
}

#[test]
fn builders_attach_facets_to_every_container() {
    let input = InputDataset::new("n", "in").with_facet(SchemaDatasetFacet::new());
    assert!(input.facet::<SchemaDatasetFacet>().is_some());
    let job = Job::new("n", "j").with_facet(SqlJobFacet::new("q"));
    assert_eq!(
        job.facet::<SqlJobFacet>().map(|f| f.query.as_str()),
        Some("q")
    );
    // Replacing a facet of the same type keeps one.
    let job = job.with_facet(SqlJobFacet::new("r"));
    assert_eq!(job.facets.as_ref().map(|f| f.len()), Some(1));
}

fn run_event(inputs: Value) -> String {
    json!({"eventTime": "2024-01-01T00:00:00Z", "producer": "https://p",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": "0190d5a4-7c6c-7b8e-9f00-000000000001"},
        "job": {"namespace": "n", "name": "j"}, "inputs": inputs})
    .to_string()
}

#[test]
fn parse_errors_carry_a_json_pointer() {
    let ok = json!({"namespace": "n", "name": "d"});
    let text = run_event(json!([ok, ok, ok, {"name": "d"}]));
    let err = Event::from_json(&text).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("invalid RunEvent: /inputs/3/namespace: missing field `namespace`"),
        "{err}"
    );
    assert_eq!(err.violations()[0].pointer, "/inputs/3/namespace");

    // Text with an exponent is read through raw text; the error is still found where it is.
    let with_x = json!({"namespace": "n", "name": "d", "x": 1000, "facets": {"c": {"n": 1000}}});
    let text = run_event(json!([with_x, {"name": "d", "x": 1000}])).replace("1000", "1e3");
    let err = Event::from_json(&text).unwrap_err();
    assert_eq!(err.violations()[0].pointer, "/inputs/1/namespace", "{err}");

    let mut value: Value = serde_json::from_str(&run_event(json!([]))).expect("json");
    value["eventType"] = json!(1);
    let err = Event::from_json(&value.to_string())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("/eventType: a number is not allowed here"),
        "{err}"
    );

    value["eventType"] = json!("NOPE");
    let err = Event::from_json(&value.to_string())
        .unwrap_err()
        .to_string();
    assert!(err.contains("/eventType: unknown variant `NOPE`"), "{err}");

    let err = "NOPE".parse::<RunEventType>().unwrap_err();
    assert!(
        matches!(err, Error::UnknownValue(ref v) if v == "NOPE"),
        "{err}"
    );
}

/// The pointer and message a parse error had when the path was tracked while deserializing
/// (`serde_path_to_error`), before the crate located errors from their position instead.
fn tracked_error<T: serde::de::DeserializeOwned>(text: &str) -> (String, String) {
    use serde_path_to_error::Segment;
    let mut de = serde_json::Deserializer::from_str(text);
    let Err(tracked) = serde_path_to_error::deserialize::<_, T>(&mut de) else {
        let e = serde_json::from_str::<T>(text)
            .err()
            .expect("the parse fails");
        return (String::new(), e.to_string());
    };
    let mut pointer: String = tracked
        .path()
        .iter()
        .filter_map(|segment| match segment {
            Segment::Seq { index } => Some(format!("/{index}")),
            Segment::Map { key } => Some(format!("/{}", escape(key))),
            Segment::Enum { .. } | Segment::Unknown => None,
        })
        .collect();
    let message = tracked.into_inner().to_string();
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
    {
        pointer = format!("{pointer}/{}", escape(field));
    }
    (pointer, message)
}

/// A JSON pointer segment for `key` (RFC 6901).
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Every place of `value` (as JSON pointers), the root left out.
fn places(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let p = format!("{at}/{}", escape(k));
                out.push(p.clone());
                places(v, p, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let p = format!("{at}/{i}");
                out.push(p.clone());
                places(v, p, out);
            }
        }
        _ => {}
    }
}

#[test]
fn parse_errors_are_located_where_path_tracking_put_them() {
    let events =
        crate::common::corpus::events(&crate::common::spec_dir(), 10).expect("spec examples");
    let replacements = [
        json!(null),
        json!(1),
        json!("x"),
        json!([]),
        json!({}),
        json!(true),
    ];
    let mut compared = 0;
    // Missing, null and repeated fields: serde raises those with no position of their own.
    let mut by_kind = [0; 3];
    for (n, text) in events.iter().enumerate() {
        let event: Value = serde_json::from_str(text).expect("json");
        let mut at = Vec::new();
        places(&event, String::new(), &mut at);
        for place in &at {
            let (parent, key) = place.rsplit_once('/').expect("a pointer");
            let mut mutants = Vec::new();
            for r in &replacements {
                let mut m = event.clone();
                *m.pointer_mut(place).expect("a place") = r.clone();
                mutants.push(m);
            }
            if let Some(Value::Object(map)) = event.pointer(parent) {
                let mut m = event.clone();
                let key = key.replace("~1", "/").replace("~0", "~");
                if let Some(Value::Object(map_m)) = m.pointer_mut(parent) {
                    map_m.remove(&key);
                }
                assert!(map.contains_key(&key));
                mutants.push(m);
            }
            let mut texts: Vec<String> = mutants
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    // Lines and columns as well as single-line text.
                    if (n + i) % 2 == 0 {
                        m.to_string()
                    } else {
                        serde_json::to_string_pretty(m).expect("json")
                    }
                })
                .collect();
            // A repeated key, known or not, in the middle of its object and at its end.
            if let Some(Value::Object(map)) = event.pointer(parent) {
                let compact = event.to_string();
                let key = key.replace("~1", "/").replace("~0", "~");
                let member = format!("{}:{}", json!(key), map[&key]);
                for extra in [format!(",{member}"), ",\"x\":1,\"x\":2".to_string()] {
                    if let Some(at) = compact.find(&member) {
                        let at = at + member.len();
                        texts.push(format!("{}{extra}{}", &compact[..at], &compact[at..]));
                    }
                }
            }
            for text in texts {
                let Err(Error::Event {
                    kind,
                    pointer,
                    message,
                }) = Event::from_json(&text)
                else {
                    continue;
                };
                let (want_pointer, want_message) = match kind {
                    "RunEvent" => tracked_error::<RunEvent>(&text),
                    "JobEvent" => tracked_error::<openlineage_types::JobEvent>(&text),
                    _ => tracked_error::<openlineage_types::DatasetEvent>(&text),
                };
                assert_eq!(pointer, want_pointer, "{place} in {text}: {message}");
                if !message.contains("is not allowed here") {
                    assert_eq!(message, want_message, "{place} in {text}");
                }
                compared += 1;
                for (i, what) in ["missing field", "is null", "duplicate field"]
                    .iter()
                    .enumerate()
                {
                    by_kind[i] += usize::from(message.contains(what));
                }
            }
        }
    }
    assert!(compared > 1000, "only {compared} errors compared");
    assert!(
        by_kind.iter().all(|&n| n > 20),
        "errors of each kind: {by_kind:?}"
    );
}

#[test]
fn one_call_parses_and_validates_and_the_rejection_lists_every_violation() {
    let mut value: Value = serde_json::from_str(&run_event(json!([]))).expect("json");
    value["run"]["runId"] = json!("not-a-uuid");
    value["eventTime"] = json!("yesterday");
    let body = value.to_string();
    assert!(Event::parse_validated(body.as_bytes(), Tier::Core).is_ok());
    let err = Event::parse_validated(body.as_bytes(), Tier::Formats).unwrap_err();
    let mut pointers: Vec<String> = err.violations().into_iter().map(|v| v.pointer).collect();
    pointers.sort();
    assert_eq!(pointers, ["/eventTime", "/run/runId"]);
    let rejection = serde_json::to_value(err.rejection()).expect("serialises");
    assert_eq!(rejection["violations"].as_array().map(Vec::len), Some(2));
    assert!(rejection["error"]
        .as_str()
        .is_some_and(|e| e.contains("/run/runId")));

    // A parse failure is one violation at the place it broke.
    let err = Event::parse_validated(br#"{"job": {"namespace": "n"}}"#, Tier::Core).unwrap_err();
    assert_eq!(err.violations().len(), 1);
}

#[test]
fn the_batch_answer_is_built_from_per_event_results() {
    let good = run_event(json!([]));
    let body = format!(
        r#"[{good}, {{"job": 1}}, {good}, {}]"#,
        good.replace("0190d5a4", "zzzz")
    );
    let results = BatchRequest::parse_validated(body.as_bytes(), Tier::Formats).expect("array");
    let answer = BatchResponse::from_results(&results);
    assert_eq!(answer.status, BatchResponseStatus::PartialSuccess);
    let summary = &answer.summary;
    assert_eq!(
        (
            summary.received,
            summary.successful,
            summary.failed,
            summary.retriable,
            summary.non_retriable
        ),
        (4, 2, 2, Some(0), Some(2))
    );
    let failed = answer.failed_events.expect("listed");
    let indices: Vec<Option<i64>> = failed.iter().map(|f| f.index).collect();
    assert_eq!(indices, [Some(1), Some(3)]);
    assert!(failed[1]
        .reason
        .as_deref()
        .is_some_and(|r| r.contains("/run/runId")));

    let all_good: Vec<Result<(), Error>> = vec![Ok(()), Ok(())];
    let answer = BatchResponse::from_results(&all_good);
    assert_eq!(answer.status, BatchResponseStatus::Success);
    assert_eq!(answer.failed_events.map(|f| f.len()), Some(0));
}
