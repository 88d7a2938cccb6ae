//! Validation benchmarks: each tier's cost on the same events, and where the facets tier spends.
//!
//! Corpora: generated medium events (seed 11, as the suite bench draws them) and the real
//! producer streams recorded in `tests/streams/`. Besides criterion's own report, the bench
//! prints one ratio line per corpus measured in this run (interleaved rounds, best of each), the
//! same ratios `cargo xtask bench` reports for the facets tier against the core tier.

use std::time::Duration;

use criterion::{criterion_group, Criterion, Throughput};
use openlineage_types::{Tier, Validator};
use serde_json::Value;

use openlineage_testkit::corpus::{generated, recorded_streams};
use openlineage_testkit::timing::{best, validated_after_parsing};

/// The recorded producer streams as values.
fn streams() -> Vec<Value> {
    recorded_streams(40)
        .iter()
        .map(|l| serde_json::from_str(l).expect("a recorded event"))
        .collect()
}

fn validate_all(v: &Validator, events: &[Value], tier: Tier) -> usize {
    events
        .iter()
        .map(|e| std::hint::black_box(v.validate_value(e, tier)).len())
        .sum()
}

fn bench(c: &mut Criterion) {
    let v = Validator::global();
    for (name, events) in [("generated", generated(2000, 11)), ("streams", streams())] {
        let mut g = c.benchmark_group(format!("validate {name}"));
        g.throughput(Throughput::Elements(events.len() as u64));
        for tier in [Tier::Core, Tier::Formats, Tier::Facets] {
            g.bench_function(format!("{tier:?}"), |b| {
                b.iter(|| validate_all(v, &events, tier))
            });
        }
        g.finish();
    }
}

fn ratios(name: &str, events: &[Value]) {
    let v = Validator::global();
    let mut times = [Duration::MAX; 3];
    let tiers = [Tier::Core, Tier::Formats, Tier::Facets];
    for _ in 0..10 {
        for (time, tier) in times.iter_mut().zip(tiers) {
            *time = (*time).min(best(3, || {
                validate_all(v, events, tier);
            }));
        }
    }
    let rate = |d: Duration| events.len() as f64 / d.as_secs_f64();
    let [core, formats, facets] = times;
    println!(
        "validate ratio ({name}): core {:.0} ev/s, formats {:.0} ev/s, facets {:.0} ev/s, facets/core speed = {:.2}x, formats/core speed = {:.2}x ({} events)",
        rate(core),
        rate(formats),
        rate(facets),
        core.as_secs_f64() / facets.as_secs_f64(),
        core.as_secs_f64() / formats.as_secs_f64(),
        events.len()
    );
}

/// Like [`ratios`], but each event is validated right after it is parsed from its text
/// ([`validated_after_parsing`]), so it is in the cache, as in the tools that validate.
fn hot_ratios(name: &str, events: &[Value]) {
    let texts: Vec<String> = events.iter().map(Value::to_string).collect();
    let [core, facets] = validated_after_parsing(&texts, [Tier::Core, Tier::Facets], 7);
    let per = |d: Duration| d.as_secs_f64() * 1e6 / events.len() as f64;
    println!(
        "validate hot ratio ({name}): core {:.2} µs/event, facets {:.2} µs/event, facets/core speed = {:.2}x ({} events)",
        per(core),
        per(facets),
        core.as_secs_f64() / facets.as_secs_f64(),
        events.len()
    );
}

criterion_group!(benches, bench);

/// `--profile TIER [generated|streams|FILE] [PASSES] [--hot]`: validates the generated corpus
/// (the recorded streams, or the events of a file of JSON lines) at one tier for about ten
/// seconds, for a profiler to attach to (`perf record`), or PASSES times: under `valgrind
/// --tool=callgrind` a fixed count gives instruction counts per pass that compare builds (or
/// corpora: the same events with one facet left out, say) whatever else the machine runs.
fn profile(tier: &str, corpus: Option<&str>, passes: Option<u64>, hot: bool) {
    let tier = match tier {
        "core" => Tier::Core,
        "formats" => Tier::Formats,
        _ => Tier::Facets,
    };
    let events = match corpus {
        Some("streams") => streams(),
        Some(path) if std::path::Path::new(path).is_file() => {
            openlineage_testkit::corpus::json_lines(std::path::Path::new(path))
                .expect("a readable file of JSON lines")
                .iter()
                .map(|l| serde_json::from_str(l).expect("one JSON event a line"))
                .collect()
        }
        _ => generated(2000, 11),
    };
    let v = Validator::global();
    let started = std::time::Instant::now();
    let mut done = 0u64;
    // `--hot`: each event parsed from its text right before it is validated, as in
    // [`hot_ratios`]; the texts are written only then.
    let texts: Vec<String> = if hot {
        events.iter().map(Value::to_string).collect()
    } else {
        Vec::new()
    };
    while passes.map_or(started.elapsed() < Duration::from_secs(10), |n| done < n) {
        if hot {
            for text in &texts {
                let event: Value = serde_json::from_str(text).expect("an event the corpus wrote");
                std::hint::black_box(v.validate_value(&event, tier));
            }
        } else {
            validate_all(v, &events, tier);
        }
        done += 1;
    }
    // With `perf stat`, counts per pass compare builds whatever else the machine runs.
    println!("{done} passes over {} events", events.len());
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--profile") {
        profile(
            args.get(at + 1).map_or("facets", String::as_str),
            args.get(at + 2).map(String::as_str),
            args.get(at + 3).and_then(|n| n.parse().ok()),
            args.iter().any(|a| a == "--hot"),
        );
        return;
    }
    // `--ratios` prints the ratio lines alone (for profiling and quick comparisons); criterion
    // would refuse the flag, so it does not see the arguments then.
    let only_ratios = std::env::args().any(|a| a == "--ratios");
    if !only_ratios {
        benches();
    }
    let (generated, streams) = (generated(2000, 11), streams());
    ratios("generated", &generated);
    ratios("streams", &streams);
    hot_ratios("generated", &generated);
    hot_ratios("streams", &streams);
    // What a process pays once, before its first event.
    let compile = best(3, || drop(Validator::new().expect("schemas compile")));
    println!(
        "validator compile: {:.1} ms (best of 3)",
        compile.as_secs_f64() * 1e3
    );
    if !only_ratios {
        Criterion::default().configure_from_args().final_summary();
    }
}
