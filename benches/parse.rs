//! Parse and serialise benchmarks: the typed model against `serde_json::Value` on the same bytes.
//!
//! Corpora: the spec's examples in realistic events, the real producer streams recorded in
//! `tests/streams/` (dbt-ol, openlineage-python), and (with the `proptest` feature) generated
//! medium events with unknown fields, custom facets and `_deleted` markers, as the suite bench
//! draws them; for a ratio line only, events with numbers written with exponents. Besides
//! criterion's own report, the bench prints one ratio line per corpus measured in this run
//! (interleaved rounds, best of each), since shared machines make absolute numbers noisy.

use std::path::PathBuf;
use std::time::Duration;

use criterion::{criterion_group, Criterion, Throughput};
use openlineage_codegen::spec::Pin;
use openlineage_types::Event;

use openlineage_testkit::corpus;
use openlineage_testkit::timing::best;

fn corpus() -> Vec<String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let pin = Pin::read(&root).expect("spec/pin.json");
    corpus::events(&pin.resolve_dir(&root), 500).expect("corpus from the spec examples")
}

/// The real producer streams recorded into `tests/streams/`, repeated so one round takes long
/// enough to time.
fn streams() -> Vec<String> {
    corpus::recorded_streams(40)
}

/// Events with numbers written with exponents, as Jackson, Python and JavaScript write them
/// (`testkit/src/corpus.rs`): the path that reads numbers through their raw text. Repeated so
/// one round takes long enough to time; ratio line only.
fn exponents() -> Vec<String> {
    let events = corpus::number_spellings();
    (0..250)
        .flat_map(|_| events.iter().map(|(_, text)| text.clone()))
        .collect()
}

/// Generated medium events, seed 11, as the suite bench draws them.
#[cfg(feature = "proptest")]
fn generated() -> Vec<String> {
    corpus::generated(2000, 11)
        .iter()
        .map(serde_json::Value::to_string)
        .collect()
}

fn bench(c: &mut Criterion) {
    bench_corpus(c, "examples", &corpus());
    bench_corpus(c, "streams", &streams());
    #[cfg(feature = "proptest")]
    bench_corpus(c, "generated", &generated());
}

fn bench_corpus(c: &mut Criterion, name: &str, events: &[String]) {
    let bytes: usize = events.iter().map(String::len).sum();
    let typed: Vec<Event> = events
        .iter()
        .map(|e| Event::from_json(e).expect("valid"))
        .collect();
    let values: Vec<serde_json::Value> = events
        .iter()
        .map(|e| serde_json::from_str(e).expect("valid"))
        .collect();

    let mut g = c.benchmark_group(format!("parse {name}"));
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

    let mut g = c.benchmark_group(format!("serialize {name}"));
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

fn ratios(name: &str, events: &[String]) {
    let bytes: usize = events.iter().map(String::len).sum();
    let mut typed = Duration::MAX;
    let mut value = Duration::MAX;
    for _ in 0..10 {
        typed = typed.min(best(3, || parse_pass(events, true)));
        value = value.min(best(3, || parse_pass(events, false)));
    }
    let mbs = |d: Duration| bytes as f64 / d.as_secs_f64() / 1e6;
    println!(
        "parse ratio ({name}): typed Event {:.1} MB/s, serde_json::Value {:.1} MB/s, typed/Value speed = {:.2}x ({} events, {} bytes)",
        mbs(typed),
        mbs(value),
        value.as_secs_f64() / typed.as_secs_f64(),
        events.len(),
        bytes
    );
}

criterion_group!(benches, bench);

/// `--profile typed|value [examples|streams|generated|FILE] [PASSES]`: parses one corpus (the
/// generated one by default, or the events of a file of JSON lines, such as the suite bench's
/// `target/bench-events.jsonl`) into the typed model or into `serde_json::Value`, for about ten
/// seconds for a profiler to attach to, or PASSES times for instruction counts under callgrind
/// that compare builds whatever else the machine runs.
fn profile(into: &str, corpus_name: Option<&str>, passes: Option<u64>) {
    let events = match corpus_name {
        Some("examples") => corpus(),
        Some("streams") => streams(),
        Some(path) if std::path::Path::new(path).is_file() => {
            corpus::json_lines(std::path::Path::new(path)).expect("a readable file of JSON lines")
        }
        #[cfg(feature = "proptest")]
        _ => generated(),
        #[cfg(not(feature = "proptest"))]
        _ => corpus(),
    };
    let typed = into != "value";
    let started = std::time::Instant::now();
    let mut done = 0u64;
    while passes.map_or(started.elapsed() < Duration::from_secs(10), |n| done < n) {
        parse_pass(&events, typed);
        done += 1;
    }
    println!("{done} passes over {} events", events.len());
}

/// One pass over `events` into the typed model or into `Value`, as [`ratios`] times it and
/// [`profile`] repeats it; apart so that callgrind can count it alone
/// (`--toggle-collect='parse::parse_pass'`), without building the corpus.
#[inline(never)]
fn parse_pass(events: &[String], typed: bool) {
    for e in events {
        if typed {
            std::hint::black_box(Event::from_json(e).ok());
        } else {
            std::hint::black_box(serde_json::from_str::<serde_json::Value>(e).ok());
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--profile") {
        profile(
            args.get(at + 1).map_or("typed", String::as_str),
            args.get(at + 2).map(String::as_str),
            args.get(at + 3).and_then(|n| n.parse().ok()),
        );
        return;
    }
    // `--ratios` prints the ratio lines alone (for profiling and quick comparisons); criterion
    // would refuse the flag, so it does not see the arguments then.
    let only_ratios = std::env::args().any(|a| a == "--ratios");
    if !only_ratios {
        benches();
    }
    ratios("examples", &corpus());
    ratios("streams", &streams());
    #[cfg(feature = "proptest")]
    ratios("generated", &generated());
    ratios("exponents", &exponents());
    if !only_ratios {
        Criterion::default().configure_from_args().final_summary();
    }
}
