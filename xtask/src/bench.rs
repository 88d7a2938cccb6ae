//! `cargo xtask bench`: runs the benchmarks and prints one table of ratios measured in one run.
//!
//! In-process rows come from the `suite` bench of the conformance crate (one JSON line); the
//! Python peer runs in a virtualenv under `target/`; the runner is compared with `wrk` on the
//! same reference server and payload; build times are whole `cargo build`s in scratch target
//! folders. `--quick` is a smoke run for CI: small corpus, no build timing, no speed assertions.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::tasks::{replace_between, root, run as run_cmd};

struct Row {
    name: &'static str,
    ours: String,
    theirs: String,
    ratio: String,
}

fn row(name: &'static str, ours: f64, theirs: f64, unit: &str) -> Row {
    Row {
        name,
        ours: format!("{ours:.1} {unit}"),
        theirs: format!("{theirs:.1} {unit}"),
        ratio: if theirs > 0.0 {
            format!("{:.2}x", ours / theirs)
        } else {
            "n/a".into()
        },
    }
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn num(v: &Value, pointer: &str) -> Result<f64> {
    v.pointer(pointer)
        .and_then(Value::as_f64)
        .with_context(|| format!("bench output lacks {pointer}"))
}

/// Runs the benchmarks; the full run also refreshes the README table.
pub fn run(quick: bool) -> Result<i32> {
    let root = root();
    let mut bench = cargo();
    // The smoke run reuses the debug build the tests made (same profile, same feature
    // unification across the workspace): it checks that the bench runs, not how fast.
    if quick {
        bench.args([
            "bench",
            "-q",
            "--workspace",
            "--all-features",
            "--profile",
            "dev",
        ]);
        bench.args(["--bench", "suite", "--", "--quick"]);
    } else {
        bench.args([
            "bench",
            "-q",
            "-p",
            "openlineage-conformance",
            "--bench",
            "suite",
        ]);
    }
    let out = bench
        .current_dir(&root)
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run cargo bench")?;
    if !out.status.success() {
        bail!("the suite bench failed");
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("BENCH-JSON "))
        .context("the suite bench printed no results")?;
    let r: Value = serde_json::from_str(line)?;
    let mut rows = vec![
        row(
            "parse spec-example events into the typed model (MB/s) vs serde_json::Value",
            num(&r, "/parse_examples/typed_mb_s")?,
            num(&r, "/parse_examples/value_mb_s")?,
            "MB/s",
        ),
        row(
            "parse generated medium events (unknown fields, `_deleted` markers) vs serde_json::Value",
            num(&r, "/parse/typed_mb_s")?,
            num(&r, "/parse/value_mb_s")?,
            "MB/s",
        ),
        row(
            "serialize typed events (MB/s) vs serde_json::Value",
            num(&r, "/serialize/typed_mb_s")?,
            num(&r, "/serialize/value_mb_s")?,
            "MB/s",
        ),
    ];
    let core = num(&r, "/validate/core_events_s")?;
    match python_core_rate(
        &root,
        r["events_file"].as_str().unwrap_or_default(),
        if quick { 1 } else { 3 },
    ) {
        Ok(py) => rows.push(row(
            "core validation (events/s) vs Python jsonschema",
            core,
            py,
            "ev/s",
        )),
        Err(e) => {
            eprintln!("python peer unavailable: {e:#}");
            rows.push(Row {
                name: "core validation (events/s) vs Python jsonschema",
                ours: format!("{core:.1} ev/s"),
                theirs: "unavailable".into(),
                ratio: "n/a".into(),
            });
        }
    }
    rows.push(row(
        "facets-tier validation (events/s) vs core tier",
        num(&r, "/validate/facets_events_s")?,
        core,
        "ev/s",
    ));
    rows.push(row(
        "generate medium valid events (events/s) vs serializing them",
        num(&r, "/generate/events_s")?,
        num(&r, "/generate/serialize_events_s")?,
        "ev/s",
    ));
    rows.push(row(
        "reference server ingest, single (events/s) vs validation off",
        num(&r, "/ingest/single/validate_events_s")?,
        num(&r, "/ingest/single/no_validate_events_s")?,
        "ev/s",
    ));
    rows.push(row(
        "reference server ingest, batch of 100 (events/s) vs validation off",
        num(&r, "/ingest/batch100/validate_events_s")?,
        num(&r, "/ingest/batch100/no_validate_events_s")?,
        "ev/s",
    ));
    match runner_vs_wrk(&root, quick) {
        Ok((runner, wrk)) => rows.push(row(
            "ol-conformance run vs wrk on the reference server (requests/s)",
            runner,
            wrk,
            "req/s",
        )),
        Err(e) => {
            eprintln!("runner comparison unavailable: {e:#}");
            rows.push(Row {
                name: "ol-conformance run vs wrk on the reference server (requests/s)",
                ours: "n/a".into(),
                theirs: format!("unavailable ({e})"),
                ratio: "n/a".into(),
            });
        }
    }
    if !quick {
        let types = build_time(&root, &["-p", "openlineage-types"], "bench-build-types")?;
        let workspace = build_time(&root, &["--workspace"], "bench-build-workspace")?;
        rows.push(Row {
            name: "clean debug build: types crate / whole workspace (s)",
            ours: format!("{types:.1} s"),
            theirs: format!("{workspace:.1} s"),
            ratio: format!("{:.2}x", types / workspace),
        });
    }
    let corpus = &r["corpus"];
    let sizes = ["small", "medium", "large"]
        .iter()
        .map(|s| {
            format!(
                "{s}: {} events, {} bytes",
                corpus[s]["events"], corpus[s]["bytes"]
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let machine = machine();
    let mut table = format!("Machine: {machine}. Corpus (seed 11): {sizes}.\n\n| row | this project | compared with | ratio |\n|---|---|---|---|\n");
    for r in &rows {
        table.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            r.name, r.ours, r.theirs, r.ratio
        ));
    }
    println!("{table}");
    if !quick {
        let readme = root.join("README.md");
        let text = std::fs::read_to_string(&readme)?;
        if let Some(updated) =
            replace_between(&text, "<!-- bench:start -->", "<!-- bench:end -->", &table)
        {
            std::fs::write(&readme, updated)?;
            eprintln!("README.md performance table updated");
        }
    }
    Ok(0)
}

fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!("{cores} cores, {cpu}")
}

/// Core-tier validation rate of Python's jsonschema, in a virtualenv under `target/`.
fn python_core_rate(root: &Path, events: &str, rounds: u32) -> Result<f64> {
    let venv = root.join("target/bench-venv");
    let python = venv.join("bin/python");
    if !python.is_file() {
        run_cmd(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    }
    run_cmd(Command::new(&python).args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "-r",
        "conformance/tests/requirements.txt",
    ]))?;
    let pin = openlineage_codegen::spec::Pin::read(root)?;
    let out = Command::new(&python)
        .arg(root.join("conformance/benches/python_validate.py"))
        .arg(pin.resolve_dir(root))
        .arg(events)
        .arg(rounds.to_string())
        .output()
        .context("cannot run the python peer")?;
    if !out.status.success() {
        bail!(
            "python peer failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().parse()?)
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Requests per second of `ol-conformance run` and of `wrk` against the same reference server.
fn runner_vs_wrk(root: &Path, quick: bool) -> Result<(f64, f64)> {
    let profile = if quick { "debug" } else { "release" };
    let mut build = cargo();
    if quick {
        build.args(["build", "-q", "--workspace", "--all-features"]);
    } else {
        build.args(["build", "-q", "--release", "-p", "openlineage-conformance"]);
    }
    run_cmd(&mut build)?;
    let bin = root.join("target").join(profile).join("ol-conformance");
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let listen = format!("127.0.0.1:{port}");
    let _server = Server(
        Command::new(&bin)
            .args(["serve", "--listen", &listen])
            .stderr(Stdio::null())
            .spawn()?,
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(&listen).is_err() {
        if Instant::now() > deadline {
            bail!("the reference server did not start");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let base = format!("http://{listen}/api/v1");
    let out = Command::new(&bin)
        .args([
            "run",
            "--target",
            &base,
            "--format",
            "json",
            "--seed",
            "1",
            "--cases",
            if quick { "8" } else { "64" },
        ])
        .stderr(Stdio::null())
        .output()?;
    let report: Value = serde_json::from_slice(&out.stdout).context("runner JSON report")?;
    let runner = report["requests"].as_f64().unwrap_or(0.0)
        / (report["duration_ms"].as_f64().unwrap_or(1.0) / 1000.0);
    let body = std::fs::read_to_string(root.join("target/bench-events.jsonl"))?
        .lines()
        .next()
        .context("empty bench corpus")?
        .to_string();
    let script = root.join("target/bench-wrk.lua");
    std::fs::write(&script, format!("wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.body = {}\n", serde_json::to_string(&body)?))?;
    let mut wrk = Command::new("wrk")
        .args(["-t2", "-c8", if quick { "-d2s" } else { "-d10s" }, "-s"])
        .arg(&script)
        .arg(format!("{base}/lineage"))
        .stdout(Stdio::piped())
        .spawn()
        .context("wrk is not installed (apt-get install wrk)")?;
    let mut text = String::new();
    wrk.stdout
        .take()
        .context("wrk output")?
        .read_to_string(&mut text)?;
    wrk.wait()?;
    let rate = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .context("wrk printed no Requests/sec")?;
    Ok((runner, rate))
}

/// Seconds for a clean debug build in a scratch target folder.
fn build_time(root: &Path, args: &[&str], dir: &str) -> Result<f64> {
    let target = root.join("target").join(dir);
    let _ = std::fs::remove_dir_all(&target);
    let started = Instant::now();
    run_cmd(
        cargo()
            .arg("build")
            .args(args)
            .arg("--target-dir")
            .arg(&target),
    )?;
    let secs = started.elapsed().as_secs_f64();
    let _ = std::fs::remove_dir_all(&target);
    Ok(secs)
}
