//! Parse and serialise benchmarks: the typed model against `serde_json::Value` on the same bytes.
//!
//! Besides criterion's own report, the bench prints one ratio line measured in this run
//! (interleaved rounds, best of each), since shared machines make absolute numbers noisy.

use std::path::PathBuf;
use std::time::Duration;

use criterion::{criterion_group, Criterion, Throughput};
use openlineage_codegen::spec::Pin;
use openlineage_types::Event;

#[path = "support/timing.rs"]
mod timing;
use timing::best;

#[path = "../tests/support/corpus.rs"]
mod corpus;

fn corpus() -> Vec<String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let pin = Pin::read(&root).expect("spec/pin.json");
    corpus::events(&pin.resolve_dir(&root), 500).expect("corpus from the spec examples")
}

fn bench(c: &mut Criterion) {
    let events = corpus();
    let bytes: usize = events.iter().map(String::len).sum();
    let typed: Vec<Event> = events
        .iter()
        .map(|e| Event::from_json(e).expect("valid"))
        .collect();
    let values: Vec<serde_json::Value> = events
        .iter()
        .map(|e| serde_json::from_str(e).expect("valid"))
        .collect();

    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("typed Event", |b| {
        b.iter(|| {
            events
                .iter()
                .filter(|e| Event::from_json(e).is_ok())
                .count()
        })
    });
    g.bench_function("serde_json::Value", |b| {
        b.iter(|| {
            events
                .iter()
                .filter(|e| serde_json::from_str::<serde_json::Value>(e).is_ok())
                .count()
        })
    });
    g.finish();

    let mut g = c.benchmark_group("serialize");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("typed Event", |b| {
        b.iter(|| {
            typed
                .iter()
                .filter_map(|e| serde_json::to_string(e).ok())
                .map(|s| s.len())
                .sum::<usize>()
        })
    });
    g.bench_function("serde_json::Value", |b| {
        b.iter(|| {
            values
                .iter()
                .filter_map(|e| serde_json::to_string(e).ok())
                .map(|s| s.len())
                .sum::<usize>()
        })
    });
    g.finish();
}

fn ratios() {
    let events = corpus();
    let bytes: usize = events.iter().map(String::len).sum();
    let mut typed = Duration::MAX;
    let mut value = Duration::MAX;
    for _ in 0..10 {
        typed = typed.min(best(3, || {
            for e in &events {
                std::hint::black_box(Event::from_json(e).ok());
            }
        }));
        value = value.min(best(3, || {
            for e in &events {
                std::hint::black_box(serde_json::from_str::<serde_json::Value>(e).ok());
            }
        }));
    }
    let mbs = |d: Duration| bytes as f64 / d.as_secs_f64() / 1e6;
    println!(
        "parse ratio: typed Event {:.1} MB/s, serde_json::Value {:.1} MB/s, typed/Value speed = {:.2}x ({} events, {} bytes)",
        mbs(typed),
        mbs(value),
        value.as_secs_f64() / typed.as_secs_f64(),
        events.len(),
        bytes
    );
}

criterion_group!(benches, bench);

fn main() {
    benches();
    ratios();
    Criterion::default().configure_from_args().final_summary();
}
