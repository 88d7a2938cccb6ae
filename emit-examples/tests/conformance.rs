//! The client's streams against `ol-conformance collect --strict`, run in-process: `emit_load`'s
//! events in single and batch mode, gzip on and off, and queued; the producer example on its
//! success and failure paths, beside the same program written with openlineage-python, which
//! must not be shorter.

use openlineage_testkit::pyenv;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use openlineage_conformance::producer::collect::{CollectOptions, Collector};
use openlineage_conformance::producer::ProducerReport;
use openlineage_conformance::server::ServerConfig;
use openlineage_emit_examples::load::{run, LoadOptions};

/// Starts a strict collector that stops after `events`; returns its server root (what
/// `OPENLINEAGE_URL` takes) and the report it will give.
async fn collector(events: usize) -> (String, tokio::task::JoinHandle<ProducerReport>) {
    let collector = Collector::bind(CollectOptions {
        listen: "127.0.0.1:0".into(),
        server: ServerConfig::default(),
        until_idle: Some(Duration::from_secs(60)),
        first_event_timeout: Some(Duration::from_secs(60)),
        max_events: Some(events),
        live: false,
        progress: false,
        strict: true,
    })
    .await
    .expect("the collector binds");
    let root = collector
        .base_url
        .strip_suffix("/api/v1")
        .expect("the default prefix")
        .to_string();
    let report = tokio::spawn(async move { collector.run(None).await.expect("collect runs") });
    (root, report)
}

fn assert_passes(report: &ProducerReport, events: usize) {
    assert_eq!(report.exit_code(), 0, "{}", report.human());
    assert_eq!(report.summary.events, events, "{}", report.human());
    assert_eq!(report.summary.reached.facets, events, "{}", report.human());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_stream_passes_collect_strict_single_and_batch_gzip_on_and_off() {
    const EVENTS: usize = 200;
    let modes = [
        (None, false, None, 1),
        (None, true, None, 1),
        (Some(50), false, None, 1),
        (Some(50), true, None, 1),
        (Some(50), true, Some(1_000), 1),
        (None, false, None, 4),
        (Some(50), true, None, 4),
    ];
    for (batch, gzip, queue, concurrency) in modes {
        let (url, report) = collector(EVENTS).await;
        let opts = LoadOptions {
            url,
            count: EVENTS,
            batch,
            gzip,
            queue,
            drain: Duration::from_secs(60),
            concurrency,
        };
        // The blocking client refuses to run on a runtime thread: the load runs on its own.
        let sent = std::thread::spawn(move || run(&opts).expect("the load runs"))
            .join()
            .expect("the load thread");
        assert_eq!(sent["delivered"], EVENTS, "{sent}");
        let report = report.await.expect("the collector's task");
        let mode = format!("batch {batch:?}, gzip {gzip}, queue {queue:?}, {concurrency} at once");
        assert_passes(&report, EVENTS);
        match (batch, queue) {
            (None, _) => assert_eq!(report.report.requests, EVENTS, "{mode}"),
            (Some(size), None) => assert_eq!(report.report.requests, EVENTS / size, "{mode}"),
            // Queued batches hold whatever piled up: at least one request, at most one per event.
            (Some(_), Some(_)) => assert!(report.report.requests <= EVENTS, "{mode}"),
        }
    }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Lines that are neither blank nor comments.
fn code_lines(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .expect("the program's source")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//") && !l.starts_with('#'))
        .count()
}

/// Runs a producer command on its success path and with `--fail`, against a collector.
async fn both_paths(program: impl Fn(&str) -> Command) -> ProducerReport {
    let (url, report) = collector(4).await;
    for args in [&[][..], &["--fail"][..]] {
        let mut cmd = program(&url);
        cmd.args(args);
        let out = tokio::task::spawn_blocking(move || cmd.output().expect("the producer runs"))
            .await
            .expect("the producer's task");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    report.await.expect("the collector's task")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_producer_example_passes_and_is_not_longer_than_the_python_one() {
    let rust = both_paths(|url| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_producer"));
        cmd.env_clear().env("OPENLINEAGE_URL", url);
        cmd
    })
    .await;
    assert_passes(&rust, 4);
    assert_eq!(rust.summary.runs, 2);
    let requirements = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../conformance/tests/producers/requirements-python.txt");
    let env = pyenv::ensure(&requirements).unwrap_or_else(|e| panic!("{e}"));
    let python = both_paths(|url| {
        let mut cmd = Command::new(&env.python);
        cmd.arg(fixture("producer.py"))
            .env_clear()
            .env("OPENLINEAGE_URL", url);
        cmd
    })
    .await;
    assert_passes(&python, 4);
    assert_eq!(python.summary.runs, 2);
    let ours = code_lines(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src/bin/producer.rs"));
    let theirs = code_lines(&fixture("producer.py"));
    eprintln!("producer: Rust {ours} lines, Python {theirs} lines");
    assert!(ours <= theirs, "Rust {ours} lines, Python {theirs}");
}

#[test]
fn the_file_transport_writes_what_lint_reads() {
    let path = std::env::temp_dir().join(format!("emit-producer-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&path);
    for args in [&[][..], &["--fail"][..]] {
        let out = Command::new(env!("CARGO_BIN_EXE_producer"))
            .args(args)
            .env_clear()
            .env("OPENLINEAGE__TRANSPORT__TYPE", "file")
            .env("OPENLINEAGE__TRANSPORT__LOG_FILE_PATH", &path)
            .env("OPENLINEAGE__TRANSPORT__APPEND", "true")
            .output()
            .expect("the producer runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let report =
        openlineage_conformance::producer::lint::lint(std::slice::from_ref(&path), true, None)
            .expect("lint reads the file");
    let _ = std::fs::remove_file(&path);
    assert_passes(&report, 4);
    assert_eq!(report.summary.runs, 2);
}
