//! In-process benchmarks behind `cargo xtask bench`: each row compares two things measured in
//! the same run (best of interleaved rounds) and the results go out as one JSON line, which the
//! xtask turns into the README table. `--quick` makes a smoke run: fewer rounds, smaller corpus.

use std::time::{Duration, Instant};

use openlineage_conformance::cli::seeded_runner;
use openlineage_conformance::server::{start, ServerConfig};
use openlineage_types::arb::draw::Draw;
use openlineage_types::arb::{GenConfig, ValueGen};
use openlineage_types::{Event, Tier, Validator};
use serde_json::{json, Value};

use openlineage_testkit::corpus;
use openlineage_testkit::timing::{best, validated_after_parsing};

/// Times `a` and `b` in alternation so machine noise hits both alike.
fn pair(rounds: usize, mut a: impl FnMut(), mut b: impl FnMut()) -> (Duration, Duration) {
    let (mut ta, mut tb) = (Duration::MAX, Duration::MAX);
    for _ in 0..rounds {
        ta = ta.min(best(1, &mut a));
        tb = tb.min(best(1, &mut b));
    }
    (ta, tb)
}

/// `n` generated events, laid out in memory as parsed ones are ([`corpus::as_parsed`]): the
/// loops over values (serialising, validating) then time the code, not the generator's heap.
fn corpus(cfg: GenConfig, n: usize, seed: u64) -> Vec<Value> {
    let gen = ValueGen::new(cfg).expect("generator");
    let strategy = gen.any_event_value().expect("strategy");
    let mut runner = seeded_runner(seed);
    let drawn: Vec<Value> = (0..n)
        .map(|_| strategy.draw(&mut runner).expect("an event"))
        .collect();
    corpus::as_parsed(&drawn)
}

fn per_s(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

fn mb_s(bytes: usize, d: Duration) -> f64 {
    bytes as f64 / d.as_secs_f64() / 1e6
}

async fn ingest(validate: bool, events: &[String], batch: usize, concurrency: usize) -> f64 {
    let server = start(
        "127.0.0.1:0",
        ServerConfig {
            validate,
            ..ServerConfig::default()
        },
    )
    .await
    .expect("server");
    let client = openlineage_conformance::runner::http_client(std::time::Duration::from_secs(30))
        .expect("http client");
    let bodies: Vec<(String, usize)> = if batch <= 1 {
        events.iter().map(|e| (e.clone(), 1)).collect()
    } else {
        events
            .chunks(batch)
            .map(|c| (format!("[{}]", c.join(",")), c.len()))
            .collect()
    };
    let url = if batch <= 1 {
        format!("{}/lineage", server.base_url)
    } else {
        format!("{}/lineage/batch", server.base_url)
    };
    let started = Instant::now();
    let limit = std::sync::Arc::new(tokio::sync::Semaphore::new(concurrency));
    let mut set = tokio::task::JoinSet::new();
    for (body, _) in &bodies {
        let (client, url, body, limit) = (client.clone(), url.clone(), body.clone(), limit.clone());
        set.spawn(async move {
            let _permit = limit.acquire_owned().await;
            let resp = client
                .post(url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await;
            resp.map(|r| r.status().is_success()).unwrap_or(false)
        });
    }
    let mut ok = 0;
    while let Some(r) = set.join_next().await {
        ok += usize::from(r.unwrap_or(false));
    }
    assert_eq!(ok, bodies.len(), "every request is accepted");
    per_s(bodies.iter().map(|(_, n)| n).sum(), started.elapsed())
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let rounds = if quick { 2 } else { 10 };
    let n = if quick { 200 } else { 2000 };
    let mut out = json!({"quick": quick});

    // Corpus sizes, fixed seed.
    let mut sizes = serde_json::Map::new();
    for (name, cfg) in [
        ("small", GenConfig::SMALL),
        ("medium", GenConfig::MEDIUM),
        ("large", GenConfig::LARGE),
    ] {
        let count = if name == "large" { n / 20 } else { n };
        let c = corpus(cfg, count, 11);
        let bytes: usize = c.iter().map(|v| v.to_string().len()).sum();
        sizes.insert(name.into(), json!({"events": count, "bytes": bytes}));
    }
    out["corpus"] = Value::Object(sizes);

    let events = corpus(GenConfig::MEDIUM, n, 11);
    let texts: Vec<String> = events.iter().map(Value::to_string).collect();
    let bytes: usize = texts.iter().map(String::len).sum();

    // Each row's own data is made right before it and dropped after it: what one row leaves
    // alive changes what another measures (the parse row read 1.00x with the serialise row's
    // 2,000 typed events alive, 1.04x without them).
    let (t_typed, t_value) = pair(
        rounds,
        || {
            texts
                .iter()
                .for_each(|t| drop(std::hint::black_box(Event::from_json(t))))
        },
        || {
            texts
                .iter()
                .for_each(|t| drop(std::hint::black_box(serde_json::from_str::<Value>(t))))
        },
    );
    out["parse"] = json!({"typed_mb_s": mb_s(bytes, t_typed), "value_mb_s": mb_s(bytes, t_value)});

    // The spec's own facet examples in realistic events (no generated noise): what producers send.
    let spec_dir = {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        openlineage_codegen::spec::Pin::read(&root)
            .expect("pin")
            .resolve_dir(&root)
    };
    let examples = corpus::events(&spec_dir, n).expect("spec example corpus");
    let example_bytes: usize = examples.iter().map(String::len).sum();
    let (e_typed, e_value) = pair(
        rounds,
        || {
            examples
                .iter()
                .for_each(|t| drop(std::hint::black_box(Event::from_json(t))))
        },
        || {
            examples
                .iter()
                .for_each(|t| drop(std::hint::black_box(serde_json::from_str::<Value>(t))))
        },
    );
    out["parse_examples"] = json!({"typed_mb_s": mb_s(example_bytes, e_typed), "value_mb_s": mb_s(example_bytes, e_value), "bytes": example_bytes});

    // Real producer streams recorded into the types crate's tests (dbt-ol, openlineage-python),
    // repeated so one round takes long enough to time.
    let streams = corpus::recorded_streams(if quick { 4 } else { 40 });
    let stream_bytes: usize = streams.iter().map(String::len).sum();
    let (r_typed, r_value) = pair(
        rounds,
        || {
            streams
                .iter()
                .for_each(|t| drop(std::hint::black_box(Event::from_json(t))))
        },
        || {
            streams
                .iter()
                .for_each(|t| drop(std::hint::black_box(serde_json::from_str::<Value>(t))))
        },
    );
    out["parse_streams"] = json!({"typed_mb_s": mb_s(stream_bytes, r_typed), "value_mb_s": mb_s(stream_bytes, r_value), "bytes": stream_bytes});

    let typed: Vec<Event> = texts
        .iter()
        .map(|t| Event::from_json(t).expect("valid"))
        .collect();
    let (s_typed, s_value) = pair(
        rounds,
        || {
            typed
                .iter()
                .for_each(|e| drop(std::hint::black_box(serde_json::to_string(e))))
        },
        || {
            events
                .iter()
                .for_each(|e| drop(std::hint::black_box(serde_json::to_string(e))))
        },
    );
    out["serialize"] =
        json!({"typed_mb_s": mb_s(bytes, s_typed), "value_mb_s": mb_s(bytes, s_value)});
    drop(typed);

    let v = Validator::global();
    let (core, facets) = pair(
        rounds,
        || {
            events
                .iter()
                .for_each(|e| drop(std::hint::black_box(v.validate_value(e, Tier::Core))))
        },
        || {
            events
                .iter()
                .for_each(|e| drop(std::hint::black_box(v.validate_value(e, Tier::Facets))))
        },
    );
    out["validate"] = json!({"core_events_s": per_s(n, core), "facets_events_s": per_s(n, facets)});
    let [core, facets] = validated_after_parsing(&texts, [Tier::Core, Tier::Facets], rounds);
    out["validate_after_parse"] =
        json!({"core_events_s": per_s(n, core), "facets_events_s": per_s(n, facets)});

    let gen = ValueGen::new(GenConfig::MEDIUM).expect("generator");
    let strategy = gen.any_event_value().expect("strategy");
    let mut runner = seeded_runner(12);
    let (t_gen, t_ser) = pair(
        rounds.min(3),
        || {
            // Drawn as `run` and `generate` make values: no value tree.
            (0..n).for_each(|_| drop(std::hint::black_box(strategy.draw(&mut runner))))
        },
        || {
            events
                .iter()
                .for_each(|e| drop(std::hint::black_box(serde_json::to_vec(e))))
        },
    );
    out["generate"] = json!({"events_s": per_s(n, t_gen), "serialize_events_s": per_s(n, t_ser)});

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut ingest_rows = serde_json::Map::new();
    for (name, batch) in [("single", 1), ("batch100", 100)] {
        let (mut on, mut off) = (0f64, 0f64);
        for _ in 0..rounds.min(3) {
            on = on.max(rt.block_on(ingest(true, &texts, batch, 8)));
            off = off.max(rt.block_on(ingest(false, &texts, batch, 8)));
        }
        ingest_rows.insert(
            name.into(),
            json!({"validate_events_s": on, "no_validate_events_s": off}),
        );
    }
    out["ingest"] = Value::Object(ingest_rows);

    // The same events for the Python peer, which the xtask times in its own process.
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-events.jsonl");
    let lines: String = texts.iter().map(|t| format!("{t}\n")).collect();
    std::fs::write(&path, lines).expect("write the shared corpus");
    out["events_file"] = json!(path
        .canonicalize()
        .map(|p| p.display().to_string())
        .unwrap_or_default());
    println!("BENCH-JSON {out}");
}
