//! A deterministic corpus of realistic events built from the spec's own facet examples.
//!
//! Benchmarks and tests need events that look like what producers send: each upstream example
//! facet is placed where its kind lives, in RunEvents, JobEvents and DatasetEvents. It reads the
//! spec snapshot from disk, so it is workspace tooling rather than crate API.

use std::path::Path;

use serde_json::{json, Value};

use openlineage_types::{schema_url, EventKind, FacetKind, FACETS};

/// One example facet map from the snapshot with the kinds its facet can appear under.
fn examples(spec_dir: &Path) -> std::io::Result<Vec<(Vec<FacetKind>, Value)>> {
    let mut out = Vec::new();
    let tests = spec_dir.join("tests");
    let mut dirs: Vec<_> = std::fs::read_dir(&tests)?.collect::<Result<_, _>>()?;
    dirs.sort_by_key(|d| d.file_name());
    for dir in dirs.into_iter().filter(|d| d.path().is_dir()) {
        let mut files: Vec<_> = std::fs::read_dir(dir.path())?.collect::<Result<_, _>>()?;
        files.sort_by_key(|f| f.file_name());
        for file in files {
            let text = std::fs::read_to_string(file.path())?;
            let value: Value = serde_json::from_str(&text)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
            out.push((kinds_for(&value), value));
        }
    }
    Ok(out)
}

/// The containers an example facet map fits: where the registry puts each of its keys, narrowed
/// to the definition a facet's `_schemaURL` names when it names one
/// (`...LineageFacet.json#/$defs/LineageJobFacet` is a job facet), whatever folder it sits in.
pub fn kinds_for(map: &Value) -> Vec<FacetKind> {
    let mut kinds: Option<Vec<FacetKind>> = None;
    for (key, payload) in map.as_object().into_iter().flatten() {
        let named = payload["_schemaURL"]
            .as_str()
            .and_then(|u| u.rsplit_once('#'))
            .and_then(|(_, fragment)| fragment.rsplit('/').next());
        let by_key: Vec<_> = FACETS.iter().filter(|f| f.key == key).collect();
        let by_def: Vec<FacetKind> = by_key
            .iter()
            .filter(|f| named == Some(f.def))
            .map(|f| f.kind)
            .collect();
        let chosen = if by_def.is_empty() {
            by_key.iter().map(|f| f.kind).collect()
        } else {
            by_def
        };
        kinds = Some(match kinds {
            None => chosen,
            Some(mut k) => {
                k.retain(|x| chosen.contains(x));
                k
            }
        });
    }
    kinds.unwrap_or_default()
}

/// Builds `count` events (as JSON text) from the snapshot's examples, cycling through kinds.
pub fn events(spec_dir: &Path, count: usize) -> std::io::Result<Vec<String>> {
    let examples = examples(spec_dir)?;
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let kind = match i % 5 {
            3 => EventKind::Job,
            4 => EventKind::Dataset,
            _ => EventKind::Run,
        };
        let mut event = json!({
            "eventTime": format!("2024-01-01T00:00:{:02}.{:03}Z", i % 60, i % 1000),
            "producer": "https://github.com/OpenLineage/OpenLineage/tree/1.52.0/integration/spark",
            "schemaURL": schema_url(kind.def_name()),
        });
        let ds = |n: usize| json!({"namespace": "postgres://db:5432", "name": format!("public.table_{n}")});
        match kind {
            EventKind::Job => {
                event["job"] = json!({"namespace": "scheduler", "name": format!("job_{i}")});
                event["outputs"] = json!([ds(i)]);
            }
            EventKind::Dataset => event["dataset"] = ds(i),
            EventKind::Run => {
                event["eventType"] = json!(["START", "RUNNING", "COMPLETE"][i % 3]);
                event["run"] = json!({"runId": format!("0190d5a4-7c6c-7b8e-9f00-{i:012x}")});
                event["job"] = json!({"namespace": "scheduler", "name": format!("job_{i}")});
                event["inputs"] = json!([ds(i), ds(i + 1)]);
                event["outputs"] = json!([ds(i + 2)]);
            }
        }
        // Attach four examples, each where its kind may go in this kind of event.
        for j in 0..4 {
            let (kinds, facets) = &examples[(i * 4 + j) % examples.len()];
            for facet_kind in kinds {
                // The last place the kind sits in this event (outputs before inputs), with the
                // first dataset for `*`.
                let Some(site) = facet_kind.sites(kind).last() else {
                    continue;
                };
                let site = site.replace('*', "0");
                let (parent, key) = site.rsplit_once('/').unwrap_or_default();
                let Some(parent) = event.pointer_mut(parent).and_then(Value::as_object_mut) else {
                    continue;
                };
                let slot = parent.entry(key).or_insert_with(|| json!({}));
                for (k, v) in facets.as_object().into_iter().flatten() {
                    slot[k] = v.clone();
                }
                break;
            }
        }
        out.push(event.to_string());
    }
    Ok(out)
}

/// Realistic events whose numbers are spelled as common JSON writers spell them, as text (a
/// `Value` would respell the exponents): Jackson in the Spark integration writes doubles as
/// `1.0E7` and `-1.0E-4`, Python's `json` `1e+16` and `2.5e-07`, JavaScript `1e+21` and `5e-7`;
/// row counts past 2^64 and `-0` come from warehouses. Each names who writes it that way.
// The benches that include this file use only `events`.
#[allow(dead_code)]
pub fn number_spellings() -> Vec<(&'static str, String)> {
    let run_event = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent";
    let quality = "https://openlineage.io/spec/facets/1-0-3/DataQualityMetricsInputDatasetFacet.json#/$defs/DataQualityMetricsInputDatasetFacet";
    let output_stats = "https://openlineage.io/spec/facets/1-0-2/OutputStatisticsOutputDatasetFacet.json#/$defs/OutputStatisticsOutputDatasetFacet";
    let input_stats = "https://openlineage.io/spec/facets/1-0-0/InputStatisticsInputDatasetFacet.json#/$defs/InputStatisticsInputDatasetFacet";
    let spark = "https://github.com/OpenLineage/OpenLineage/tree/1.52.0/integration/spark";
    let python = "https://github.com/OpenLineage/OpenLineage/tree/1.52.0/client/python";
    vec![
        (
            "Jackson (Spark): doubles in data quality metrics, longs as doubles, a custom run facet",
            format!(
                concat!(
                    r#"{{"eventTime":"2024-05-06T07:08:09.123Z","eventType":"COMPLETE","#,
                    r#""inputs":[{{"inputFacets":{{"dataQualityMetrics":{{"_producer":"{spark}","_schemaURL":"{quality}","#,
                    r#""columnMetrics":{{"amount":{{"max":9.99999E7,"min":-1.0E-4,"nullCount":0,"sum":1.2345678E7,"#,
                    r#""quantiles":{{"0.5":4.2E1,"0.99":9.9E6}}}}}},"rowCount":1.0E7}}}},"name":"public.orders","namespace":"postgres://db:5432"}}],"#,
                    r#""job":{{"name":"spark_job.orders","namespace":"spark"}},"#,
                    r#""outputs":[{{"name":"daily","namespace":"s3://bucket","outputFacets":{{"outputStatistics":"#,
                    r#"{{"_producer":"{spark}","_schemaURL":"{output_stats}","rowCount":1.0E7,"size":2.5E9}}}}}}],"#,
                    r#""producer":"{spark}","run":{{"facets":{{"spark_properties":{{"_producer":"{spark}","#,
                    r#""_schemaURL":"https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunFacet","#,
                    r#""properties":{{"spark.sql.autoBroadcastJoinThreshold":1.048576E7}}}}}},"#,
                    r#""runId":"0190d5a4-7c6c-7b8e-9f00-00000000000e"}},"schemaURL":"{run_event}"}}"#
                ),
                spark = spark, quality = quality, output_stats = output_stats, run_event = run_event
            ),
        ),
        (
            "Python json: floats with exponents in a custom job facet and an unknown field",
            format!(
                concat!(
                    r#"{{"eventTime":"2024-05-06T07:08:09.123456+02:00","eventType":"START","#,
                    r#""inputs":[{{"inputFacets":{{"inputStatistics":{{"_producer":"{python}","_schemaURL":"{input_stats}","#,
                    r#""rowCount":1e+16,"size":123456789012345678901234567891}}}},"name":"raw.events","namespace":"bigquery"}}],"#,
                    r#""job":{{"facets":{{"myCo_tuning":{{"_producer":"{python}","_schemaURL":"https://example.com/tuning.json#/Tuning","#,
                    r#""learningRate":2.5e-07,"epsilon":1e-05,"bias":-0.0,"limit":1.5e+300}}}},"name":"train","namespace":"ml"}},"#,
                    r#""producer":"{python}","run":{{"runId":"0190d5a4-7c6c-7b8e-9f00-00000000001e"}},"#,
                    r#""schemaURL":"{run_event}","x-python-score":1e+22}}"#
                ),
                python = python, input_stats = input_stats, run_event = run_event
            ),
        ),
        (
            "JavaScript: exponents in a dataset event's custom facet, upper case from a hand-written producer",
            concat!(
                r#"{"dataset":{"facets":{"myCo_sizes":{"_producer":"https://example.com/js","_schemaURL":"https://example.com/sizes.json#/S","#,
                r#""bytes":1e+21,"ratio":5e-7,"zero":-0,"count":1E3}},"name":"events","namespace":"kafka://broker:9092"},"#,
                r#""eventTime":"2024-05-06T07:08:09Z","producer":"https://example.com/js","#,
                r#""schemaURL":"https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent"}"#
            )
            .to_string(),
        ),
        (
            "a job event with exponents in unknown fields at every level",
            concat!(
                r#"{"eventTime":"2024-05-06T07:08:09Z","job":{"name":"j","namespace":"n","x-weight":1E+2},"#,
                r#""outputs":[{"name":"o","namespace":"n","x-rows":1e3}],"producer":"https://example.com/p","#,
                r#""schemaURL":"https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/JobEvent","x-top":[1e400,{"e":-2E-2}]}"#
            )
            .to_string(),
        ),
    ]
}

/// The real producer streams recorded into the types crate's `tests/streams/` (dbt-ol on the
/// DuckDB project and the openlineage-python client), one event per line, each stream read
/// `repeat` times so a benchmark round takes long enough to time.
pub fn recorded_streams(repeat: usize) -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/streams");
    let mut events = Vec::new();
    for file in ["dbt-ol.jsonl", "openlineage-python.jsonl"] {
        let path = dir.join(file);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read the recorded stream {}: {e}", path.display()));
        events.extend(
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .map(String::from),
        );
    }
    (0..repeat).flat_map(|_| events.iter().cloned()).collect()
}

/// The lines of a file of JSON lines (one event a line, blank lines skipped), such as the suite
/// bench's `target/bench-events.jsonl`, for the benches' `--profile` modes.
pub fn json_lines(path: &Path) -> std::io::Result<Vec<String>> {
    let text = std::fs::read_to_string(path)?;
    Ok(text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(String::from)
        .collect())
}

/// `values` as a program holds them: each written out and parsed back from its text, so its
/// nodes sit together in memory as a parse leaves them.
///
/// A value the generator builds is assembled over a heap that drawing and discarding other
/// values churned, so its maps and strings lie scattered, and a loop over such values timed
/// memory stalls rather than the code: the facets tier over the first 200 generated events ran
/// at 0.65x the core tier as the generator left them and at 0.71–0.72x on the same events
/// parsed back, which is what every program that reads events (`validate`, `lint`, the server)
/// validates.
pub fn as_parsed(values: &[Value]) -> Vec<Value> {
    values
        .iter()
        .map(|v| serde_json::from_str(&v.to_string()).expect("a value parses from its own text"))
        .collect()
}

/// `count` generated medium events from `seed`, as the benchmarks draw them, laid out as
/// parsed events are ([`as_parsed`]).
#[cfg(feature = "generated")]
pub fn generated(count: usize, seed: u64) -> Vec<Value> {
    use openlineage_types::arb::{GenConfig, ValueGen};
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let gen = ValueGen::new(GenConfig::MEDIUM).expect("the generator builds from the spec");
    let strategy = gen.any_event_value().expect("an event strategy");
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::XorShift, &bytes),
    );
    let drawn: Vec<Value> = (0..count)
        .map(|_| {
            strategy
                .new_tree(&mut runner)
                .expect("a value tree")
                .current()
        })
        .collect();
    as_parsed(&drawn)
}
