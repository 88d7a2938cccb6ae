//! `cargo xtask bench`: runs the benchmarks and prints one table of ratios measured in one run.
//!
//! In-process rows come from the `suite` bench of the conformance crate (one JSON line); the
//! Python peer runs in a virtualenv under `target/`; the runner is compared with `wrk` on the
//! same reference server and payload; build times are whole `cargo build`s in scratch target
//! folders, the first-build row the README's run command from an empty cargo home (downloads
//! included) and a clean release build to its report; the wheel rows install the Python wheel
//! from its file into a fresh venv. `--quick` is a smoke run for CI: small corpus, no build timing, no speed assertions.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::Value;

use openlineage_codegen::derived::replace_between;

use crate::tasks::{cargo, cargo_metadata, root, run as run_cmd, Profile};
use crate::wheel;
use openlineage_testkit::pyenv;

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

/// A row whose measurement could not be made, saying why.
fn unavailable(name: &'static str, e: &anyhow::Error) -> Row {
    Row {
        name,
        ours: "n/a".into(),
        theirs: format!("unavailable ({e})"),
        ratio: "n/a".into(),
    }
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
            "parse recorded dbt-ol and openlineage-python streams into the typed model vs serde_json::Value",
            num(&r, "/parse_streams/typed_mb_s")?,
            num(&r, "/parse_streams/value_mb_s")?,
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
        "facets-tier validation, a loop over parsed events (events/s) vs core tier",
        num(&r, "/validate/facets_events_s")?,
        core,
        "ev/s",
    ));
    rows.push(row(
        "the same, each event validated right after it is parsed, as lint and the server do (events/s)",
        num(&r, "/validate_after_parse/facets_events_s")?,
        num(&r, "/validate_after_parse/core_events_s")?,
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
    const REPLAY: &str =
        "ol-conformance run vs wrk replaying the run's own requests, same server (requests/s)";
    const FIXED: &str =
        "context: wrk sending one fixed medium event vs wrk replaying the run's requests (requests/s)";
    match runner_vs_wrk(&root, quick) {
        Ok(r) => {
            rows.push(row(REPLAY, r.runner, r.replay, "req/s"));
            rows.push(row(FIXED, r.fixed, r.replay, "req/s"));
        }
        Err(e) => {
            eprintln!("runner comparison unavailable: {e:#}");
            for name in [REPLAY, FIXED] {
                rows.push(unavailable(name, &e));
            }
        }
    }
    const LINT: &str = "ol-conformance lint vs validate on the same file (events/s)";
    match lint_vs_validate(&root, quick) {
        Ok((lint, validate)) => rows.push(row(LINT, lint, validate, "ev/s")),
        Err(e) => {
            eprintln!("lint comparison unavailable: {e:#}");
            rows.push(unavailable(LINT, &e));
        }
    }
    const SHRINK: &str = "ol-conformance run against a 50 ms/request target with failing checks: failures shrunk side by side vs one after another, as before (wall s)";
    match slow_target_runs(&root, quick) {
        Ok((parallel, sequential)) => rows.push(row(SHRINK, parallel, sequential, "s")),
        Err(e) => {
            eprintln!("slow-target comparison unavailable: {e:#}");
            rows.push(unavailable(SHRINK, &e));
        }
    }
    const INSTALL: &str = "pip install of the ol-conformance wheel from its local file into a fresh venv (s) vs the 30 s goal";
    const SIZE: &str = "ol-conformance wheel vs the binary it installs (MB)";
    match wheel_rows(&root, quick) {
        Ok(w) => {
            rows.push(row(INSTALL, w.install_secs, WHEEL_INSTALL_GOAL, "s"));
            rows.push(row(SIZE, w.wheel_mb, w.binary_mb, "MB"));
        }
        Err(e) => {
            eprintln!("wheel rows unavailable: {e:#}");
            for name in [INSTALL, SIZE] {
                rows.push(unavailable(name, &e));
            }
        }
    }
    rows.extend(emit_table_rows(&root, quick));
    if !quick {
        rows.extend(dependent_rows(&root)?);
        rows.push(first_build_row(&root)?);
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
    let python = pyenv::ensure(&root.join("conformance/tests/requirements.txt"))
        .map_err(anyhow::Error::msg)?
        .python;
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

/// A server process the bench talks to, killed when dropped.
struct Server(Child);

impl Server {
    /// Starts the command `command` makes for a free loopback port and waits until the port
    /// accepts connections; returns the server and its `host:port`.
    fn start(what: &str, command: impl FnOnce(&str, u16) -> Command) -> Result<(Server, String)> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let listen = format!("127.0.0.1:{port}");
        let server = Server(
            command(&listen, port)
                .stderr(Stdio::null())
                .spawn()
                .with_context(|| format!("cannot start the {what}"))?,
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(&listen).is_err() {
            if Instant::now() > deadline {
                bail!("the {what} did not start");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok((server, listen))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Request rates measured against one reference server: the runner's own, `wrk` replaying the
/// exact requests the runner sent (same bodies, endpoints and concurrency, so the server does
/// the same work and the ratio is the runner's overhead), and `wrk` sending one fixed event.
struct RunnerRates {
    runner: f64,
    replay: f64,
    fixed: f64,
}

fn runner_vs_wrk(root: &Path, quick: bool) -> Result<RunnerRates> {
    let bin = Profile::quick_or_release(quick)
        .build(&["openlineage-conformance"])?
        .join("ol-conformance");
    let (_server, listen) = Server::start("reference server", |listen, _| {
        let mut cmd = Command::new(&bin);
        cmd.args(["serve", "--listen", listen]);
        cmd
    })?;
    let base = format!("http://{listen}/api/v1");
    let saved = root.join("target/bench-requests.jsonl");
    // Enough cases that the rate is the steady one, not process start-up.
    let cases = if quick { "8" } else { "512" };
    let run = |save: bool| -> Result<(f64, f64)> {
        let mut cmd = Command::new(&bin);
        cmd.args(["run", "--target", &base, "--format", "json", "--seed", "1"])
            .args(["--concurrency", "8", "--cases", cases]);
        if save {
            cmd.arg("--save-requests").arg(&saved);
        }
        let out = cmd.stderr(Stdio::null()).output()?;
        let report: Value = serde_json::from_slice(&out.stdout).context("runner JSON report")?;
        let requests = num(&report, "/requests")?;
        Ok((
            requests,
            requests / (num(&report, "/duration_ms")? / 1000.0),
        ))
    };
    // Saving the requests costs time, so the replay data comes from a run of its own with the
    // same seed, before the timed ones.
    let (requests, _) = run(true)?;
    let data = root.join("target/bench-requests.wrk");
    let n = wrk_data(&saved, &data)?;
    if n as f64 != requests {
        bail!(
            "{} holds {n} requests but the run sent {requests}",
            saved.display()
        );
    }
    let replay_script = root.join("target/bench-replay.lua");
    std::fs::write(&replay_script, REPLAY_LUA)
        .with_context(|| format!("cannot write {}", replay_script.display()))?;
    let duration = if quick { "2s" } else { "3s" };
    // Rounds of one run and one replay, best of each, as the other rows take the best round:
    // on a shared machine a slow spell then hits both sides of the ratio, not one.
    let (mut runner, mut replay) = (0f64, 0f64);
    for _ in 0..if quick { 1 } else { 3 } {
        runner = runner.max(run(false)?.1);
        replay = replay.max(wrk(
            &replay_script,
            &format!("{base}/lineage"),
            duration,
            Some(&data),
        )?);
    }
    let body = std::fs::read_to_string(root.join("target/bench-events.jsonl"))?
        .lines()
        .next()
        .context("empty bench corpus")?
        .to_string();
    let fixed_script = root.join("target/bench-wrk.lua");
    std::fs::write(&fixed_script, format!("wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.body = {}\n", serde_json::to_string(&body)?))?;
    let fixed = wrk(&fixed_script, &format!("{base}/lineage"), duration, None)?;
    Ok(RunnerRates {
        runner,
        replay,
        fixed,
    })
}

/// A deliberately slow target: every answer takes 50 ms; a JSON object is accepted and anything
/// else refused, so the invalid-event checks fail with several distinct failures each.
const SLOW_SERVER_PY: &str = r#"# Slow target for cargo xtask bench: 50 ms per answer, accepts any JSON object.
import json, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        time.sleep(0.05)
        try:
            ok = isinstance(json.loads(body), dict)
        except ValueError:
            ok = False
        self.send_response(200 if ok else 400)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass

ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"#;

/// Wall seconds of one run against the slow target with failures shrunk side by side (the
/// default), and with `--shrink-jobs 1` (one after another, as the runner did before).
fn slow_target_runs(root: &Path, quick: bool) -> Result<(f64, f64)> {
    // The runner row built it.
    let bin = Profile::quick_or_release(quick)
        .dir(&root.join("target"))
        .join("ol-conformance");
    let script = root.join("target/bench-slow-server.py");
    std::fs::write(&script, SLOW_SERVER_PY)
        .with_context(|| format!("cannot write {}", script.display()))?;
    let (_server, listen) = Server::start("slow server (python3)", |_, port| {
        let mut cmd = Command::new("python3");
        cmd.arg(&script).arg(port.to_string());
        cmd
    })?;
    let base = format!("http://{listen}/api/v1");
    let run = |jobs: &str| -> Result<f64> {
        let started = Instant::now();
        let out = Command::new(&bin)
            .args(["run", "--target", &base, "--seed", "1", "--cases", "4"])
            .args([
                "--format",
                "json",
                "--shrink-jobs",
                jobs,
                "--shrink-time",
                "600",
            ])
            .args(["--include", "single.invalid.type.rejected"])
            .args(["--include", "single.invalid.enum.rejected"])
            .args(["--include", "single.invalid.shape.rejected"])
            .args(["--include", "single.invalid.body.rejected"])
            .stderr(Stdio::null())
            .output()?;
        let report: Value = serde_json::from_slice(&out.stdout).context("runner JSON report")?;
        let failing = report["results"]
            .as_array()
            .into_iter()
            .flatten()
            // Should-tier findings are `warn` outside --strict; both are failures to shrink.
            .filter(|r| r["outcome"] == "fail" || r["outcome"] == "warn")
            .count();
        if failing < 3 {
            bail!("expected several failing checks against the slow target, got {failing}");
        }
        Ok(started.elapsed().as_secs_f64())
    };
    let parallel = run("8")?;
    let sequential = run("1")?;
    Ok((parallel, sequential))
}

/// A wrk script that replays a data file of requests in order, round robin on each thread.
/// Each record is a header line `path TAB content-type TAB content-encoding-or-dash TAB length`
/// followed by exactly `length` bytes of body.
const REPLAY_LUA: &str = r#"-- Replays requests saved by `ol-conformance run --save-requests` (via cargo xtask bench).
local requests = {}
function init(args)
  local f = assert(io.open(args[1], "rb"))
  while true do
    local header = f:read("*l")
    if not header then break end
    local path, ctype, encoding, length = header:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(%d+)$")
    assert(path, "bad record header: " .. header)
    local body = f:read(tonumber(length)) or ""
    local headers = { ["Content-Type"] = ctype }
    if encoding ~= "-" then headers["Content-Encoding"] = encoding end
    requests[#requests + 1] = wrk.format("POST", path, headers, body)
  end
  f:close()
  assert(#requests > 0, "no requests in " .. args[1])
end
local i = 0
function request()
  i = i % #requests + 1
  return requests[i]
end
"#;

/// Turns a `--save-requests` file into the replay script's data file; returns the count.
fn wrk_data(saved: &Path, data: &Path) -> Result<usize> {
    use base64::Engine;
    use std::io::{BufRead, Write};
    let input =
        std::fs::File::open(saved).with_context(|| format!("cannot open {}", saved.display()))?;
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(data).with_context(|| format!("cannot create {}", data.display()))?,
    );
    let mut n = 0;
    for (i, line) in std::io::BufReader::new(input).lines().enumerate() {
        let line = line.with_context(|| format!("cannot read {}", saved.display()))?;
        let context = || format!("{} line {}", saved.display(), i + 1);
        let r: Value = serde_json::from_str(&line).with_context(context)?;
        let url = r["url"].as_str().with_context(context)?;
        let path = url
            .splitn(4, '/')
            .nth(3)
            .map(|p| format!("/{p}"))
            .with_context(context)?;
        let header = |name: &str| {
            r["headers"].as_array().into_iter().flatten().find_map(|h| {
                (h[0].as_str()? == name).then(|| h[1].as_str().unwrap_or("").to_string())
            })
        };
        let body = match (r["body"].as_str(), r["body_base64"].as_str()) {
            (Some(text), _) => text.as_bytes().to_vec(),
            (None, Some(b64)) => base64::engine::general_purpose::STANDARD
                .decode(b64)
                .with_context(context)?,
            (None, None) => Vec::new(),
        };
        let content_type = header("content-type").unwrap_or_default();
        let encoding = header("content-encoding").unwrap_or_else(|| "-".into());
        if [&path, &content_type, &encoding]
            .iter()
            .any(|f| f.contains(['\t', '\n']))
        {
            bail!(
                "{}: a tab or newline in a header cannot be replayed",
                context()
            );
        }
        writeln!(out, "{path}\t{content_type}\t{encoding}\t{}", body.len())?;
        out.write_all(&body)?;
        n += 1;
    }
    out.flush()?;
    Ok(n)
}

/// Requests per second wrk reaches with `script` (8 connections, as the runner's default).
fn wrk(script: &Path, url: &str, duration: &str, data: Option<&Path>) -> Result<f64> {
    let mut cmd = Command::new("wrk");
    cmd.args(["-t2", "-c8", "-d", duration, "-s"])
        .arg(script)
        .arg(url);
    if let Some(d) = data {
        cmd.arg("--").arg(d);
    }
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .context("wrk is not installed (apt-get install wrk)")?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .with_context(|| format!("wrk printed no Requests/sec: {text}"))
}

/// The goal for installing the wheel from a local file, in seconds.
const WHEEL_INSTALL_GOAL: f64 = 30.0;

struct WheelRows {
    install_secs: f64,
    wheel_mb: f64,
    binary_mb: f64,
}

/// The wheel's size, the size of the binary it installs, and the best `pip install` time from
/// the wheel file into a fresh venv. The full run builds the wheel (reusing the release build
/// above); the smoke run takes the one `cargo xtask wheel --check` left, as CI runs that first.
fn wheel_rows(root: &Path, quick: bool) -> Result<WheelRows> {
    let file = if quick {
        wheel::existing(root)?
    } else {
        wheel::build(root)?
    };
    let venv = root.join("target/bench-wheel");
    let mut best = f64::INFINITY;
    let mut binary = 0;
    for _ in 0..if quick { 1 } else { 3 } {
        let installed = wheel::install(&file, &venv)?;
        best = best.min(installed.install_secs);
        let bin = installed.bin();
        binary = std::fs::metadata(&bin)
            .with_context(|| format!("the wheel installed no {}", bin.display()))?
            .len();
    }
    let _ = std::fs::remove_dir_all(&venv);
    let size = std::fs::metadata(&file)
        .with_context(|| format!("cannot read {}", file.display()))?
        .len();
    let mb = |bytes: u64| bytes as f64 / 1_000_000.0;
    Ok(WheelRows {
        install_secs: best,
        wheel_mb: mb(size),
        binary_mb: mb(binary),
    })
}

/// `bench --first-build`: only the first-build row, for re-measuring it on a quiet machine.
pub fn first_build() -> Result<i32> {
    let r = first_build_row(&root())?;
    println!("| {} | {} | {} | {} |", r.name, r.ours, r.theirs, r.ratio);
    Ok(0)
}

fn first_build_row(root: &Path) -> Result<Row> {
    let first = first_run_time(root)?;
    Ok(Row {
        name: "first run on a fresh machine: crate downloads into an empty cargo home, clean release build of ol-conformance, its first report (s) vs the 3-minute goal",
        ours: format!("{:.1} s (downloads and build {:.1} s)", first.total, first.build),
        theirs: format!("{FIRST_RUN_GOAL:.1} s"),
        ratio: format!("{:.2}x", first.total / FIRST_RUN_GOAL),
    })
}

/// `bench --dependent`: only the rows of a dependent crate's first build.
pub fn dependent_only() -> Result<i32> {
    for r in dependent_rows(&root())? {
        println!("| {} | {} | {} | {} |", r.name, r.ours, r.theirs, r.ratio);
    }
    Ok(0)
}

/// Goals for a dependent crate's first debug build on a 2-core machine, in seconds: with the
/// types crate's default features, and without.
const DEPENDENT_GOAL: f64 = 30.0;
const DEPENDENT_MINIMAL_GOAL: f64 = 15.0;

/// A new crate whose only dependencies are the types crate's package (a path dependency on the
/// unpacked `.crate`, as `cargo xtask package` makes it) and serde_json, built in debug into an
/// empty target folder, with the types crate's default features and without. Crates come from
/// the cargo home as it is (downloaded once), versions from the workspace's lock file.
fn dependent_rows(root: &Path) -> Result<Vec<Row>> {
    let scratch = root.join("target/bench-dependent");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch)
        .with_context(|| format!("cannot create {}", scratch.display()))?;
    let result = dependent_times(root, &scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    let times = result?;
    Ok(vec![
        Row {
            name: "first debug build of a new crate depending on the openlineage-types package (default features) and serde_json, empty target folder (s) vs the 30 s goal",
            ours: format!("{:.1} s", times.default),
            theirs: format!("{DEPENDENT_GOAL:.1} s"),
            ratio: format!("{:.2}x", times.default / DEPENDENT_GOAL),
        },
        row(
            "context: that build vs the same build of a crate depending only on what the `validate` feature adds (jsonschema, as the types crate configures it) and serde_json (s)",
            times.default,
            times.validator_only,
            "s",
        ),
        Row {
            name: "the same without the types crate's default features (s) vs the 15 s goal",
            ours: format!("{:.1} s", times.minimal),
            theirs: format!("{DEPENDENT_MINIMAL_GOAL:.1} s"),
            ratio: format!("{:.2}x", times.minimal / DEPENDENT_MINIMAL_GOAL),
        },
    ])
}

/// The manifest of a scratch crate of the dependent rows: `dependencies` (whole lines) and
/// serde_json, a workspace of its own.
fn dependent_manifest(name: &str, dependencies: &str) -> String {
    format!(
        "[package]\nname = \"dependent-{name}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[workspace]\n\n[dependencies]\n{dependencies}serde_json = \"1\"\n"
    )
}

/// Wall seconds of three first builds in one run.
struct DependentTimes {
    /// A crate depending on the types package with its default features.
    default: f64,
    /// A crate depending only on the dependencies the `validate` feature adds: the part of the
    /// default build that is not this project's code.
    validator_only: f64,
    /// A crate depending on the types package without its default features.
    minimal: f64,
}

fn dependent_times(root: &Path, scratch: &Path) -> Result<DependentTimes> {
    let [types, codegen] = crate::package::unpacked_types(root, scratch)?;
    // The package names the generator as an optional build dependency; resolved (never built)
    // from its own package, since it is not published.
    let patch = format!(
        "patch.crates-io.openlineage-codegen.path={:?}",
        codegen.to_string_lossy()
    );
    let write = |name: &str, dependencies: &str, main: &str| -> Result<PathBuf> {
        let dir = scratch.join(name);
        std::fs::create_dir_all(dir.join("src"))
            .with_context(|| format!("cannot create {}", dir.display()))?;
        std::fs::write(
            dir.join("Cargo.toml"),
            dependent_manifest(name, dependencies),
        )?;
        std::fs::write(dir.join("src/main.rs"), main)?;
        std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock"))
            .context("cannot copy Cargo.lock")?;
        Ok(dir)
    };
    let types_dependency = |features: &str| {
        format!(
            "openlineage-types = {{ path = {:?}{features} }}\n",
            types.to_string_lossy()
        )
    };
    let default = write(
        "default",
        &types_dependency(""),
        crate::package::MINIMAL_MAIN,
    )?;
    let validator_only = write(
        "validator-only",
        &validator_dependencies(&default, &["--config", &patch])?,
        VALIDATOR_MAIN,
    )?;
    let minimal = write(
        "minimal",
        &types_dependency(", default-features = false"),
        crate::package::MINIMAL_MAIN,
    )?;
    let build = |dir: &Path| -> Result<f64> {
        let started = Instant::now();
        run_cmd(
            cargo()
                .args(["build", "-q", "--manifest-path"])
                .arg(dir.join("Cargo.toml"))
                .arg("--config")
                .arg(&patch)
                .arg("--target-dir")
                .arg(dir.join("target")),
        )?;
        Ok(started.elapsed().as_secs_f64())
    };
    // Fields are evaluated in the order written: the validator-only crate builds right after
    // the default one, so that the two builds the context row compares meet the machine in the
    // same state.
    Ok(DependentTimes {
        default: build(&default)?,
        validator_only: build(&validator_only)?,
        minimal: build(&minimal)?,
    })
}

/// The validator-only crate's program: one schema compiled and used, so that the build links
/// what a user of the validator links.
const VALIDATOR_MAIN: &str = r#"fn main() {
    let schema = serde_json::json!({"type": "object"});
    let validator = jsonschema::validator_for(&schema).expect("a schema");
    println!("{}", validator.is_valid(&serde_json::json!({})));
}
"#;

/// The `[dependencies]` lines of the crates the types package's `validate` feature turns on,
/// each with the version requirement and features the package gives it, read by `cargo
/// metadata` (with `args` added) in `dir`, a crate that depends on the package or the
/// workspace, so that the row follows the package's manifest.
fn validator_dependencies(dir: &Path, args: &[&str]) -> Result<String> {
    let metadata = cargo_metadata(dir, args)?;
    let package = metadata["packages"]
        .as_array()
        .and_then(|all| all.iter().find(|p| p["name"] == "openlineage-types"))
        .with_context(|| {
            format!(
                "cargo metadata in {} lists no openlineage-types",
                dir.display()
            )
        })?;
    let names: Vec<&str> = package["features"]["validate"]
        .as_array()
        .with_context(|| {
            format!(
                "openlineage-types, read in {}, has no `validate` feature",
                dir.display()
            )
        })?
        .iter()
        .filter_map(|f| f.as_str()?.strip_prefix("dep:"))
        .collect();
    if names.is_empty() {
        bail!(
            "the `validate` feature of openlineage-types, read in {}, adds no crate",
            dir.display()
        );
    }
    let dependencies = package["dependencies"].as_array().with_context(|| {
        format!(
            "cargo metadata in {} lists no dependencies of openlineage-types",
            dir.display()
        )
    })?;
    let mut lines = String::new();
    for name in names {
        let d = dependencies
            .iter()
            .find(|d| d["name"] == name && d["kind"].is_null())
            .with_context(|| {
                format!(
                    "openlineage-types, read in {}, names `{name}` in `validate` but does not depend on it",
                    dir.display()
                )
            })?;
        lines.push_str(&format!(
            "{name} = {{ version = {}, default-features = {}, features = {} }}\n",
            d["req"], d["uses_default_features"], d["features"]
        ));
    }
    Ok(lines)
}

/// The goal for a first build and run on a 2-core machine, in seconds.
const FIRST_RUN_GOAL: f64 = 180.0;

struct FirstRun {
    build: f64,
    total: f64,
}

/// The README's run command as a new user meets it: an empty cargo home (so every crate is
/// downloaded from the registry, index included) and an empty target folder, then `run` with no
/// arguments until its report. Both scratch folders are removed afterwards.
fn first_run_time(root: &Path) -> Result<FirstRun> {
    let target = root.join("target").join("bench-build-release");
    let cargo_home = root.join("target").join("bench-cargo-home");
    for dir in [&target, &cargo_home] {
        let _ = std::fs::remove_dir_all(dir);
    }
    std::fs::create_dir_all(&cargo_home)
        .with_context(|| format!("cannot create {}", cargo_home.display()))?;
    let started = Instant::now();
    let built = run_cmd(
        cargo()
            .env("CARGO_HOME", &cargo_home)
            .args([
                "build",
                "--release",
                "-p",
                "openlineage-conformance",
                "--target-dir",
            ])
            .arg(&target),
    );
    let build = started.elapsed().as_secs_f64();
    let bin = target.join("release/ol-conformance");
    let out = built.and_then(|()| {
        Command::new(&bin)
            .arg("run")
            .stderr(Stdio::null())
            .output()
            .with_context(|| format!("cannot run {}", bin.display()))
    });
    let total = started.elapsed().as_secs_f64();
    for dir in [&target, &cargo_home] {
        let _ = std::fs::remove_dir_all(dir);
    }
    let out = out?;
    if !out.status.success() {
        bail!(
            "the first run failed: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    Ok(FirstRun { build, total })
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

/// `lint` and `validate` through the same binary on one file (best of three, events/s): the
/// producer stream checks' cost on top of validation. The file is the bench corpus repeated,
/// each copy made distinct by an extra top-level field so `lint` does not set it aside as
/// duplicates; process start and schema compilation are in both and small beside the work.
fn lint_vs_validate(root: &Path, quick: bool) -> Result<(f64, f64)> {
    let bin = Profile::quick_or_release(quick)
        .build(&["openlineage-conformance"])?
        .join("ol-conformance");
    let corpus = root.join("target/bench-events.jsonl");
    let text = std::fs::read_to_string(&corpus)
        .with_context(|| format!("cannot read {}", corpus.display()))?;
    let copies = if quick { 1 } else { 20 };
    let mut lines = String::new();
    let mut count = 0usize;
    for copy in 0..copies {
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let mut event: Value = serde_json::from_str(line).context("bench corpus line")?;
            if let Some(object) = event.as_object_mut() {
                object.insert("benchCopy".into(), Value::from(copy));
            }
            lines.push_str(&event.to_string());
            lines.push('\n');
            count += 1;
        }
    }
    let file = root.join("target/bench-lint-events.jsonl");
    std::fs::write(&file, lines).with_context(|| format!("cannot write {}", file.display()))?;
    let best = |args: &[&str]| -> Result<f64> {
        let mut best = f64::INFINITY;
        for _ in 0..if quick { 1 } else { 3 } {
            let started = Instant::now();
            let status = Command::new(&bin)
                .args(args)
                .arg(&file)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .with_context(|| format!("cannot run {}", bin.display()))?;
            // Both commands exit 1 when they find something, which the corpus may hold.
            if !matches!(status.code(), Some(0 | 1)) {
                bail!("ol-conformance {} failed: {status}", args.join(" "));
            }
            best = best.min(started.elapsed().as_secs_f64());
        }
        Ok(count as f64 / best)
    };
    Ok((best(&["lint", "--format", "json"])?, best(&["validate"])?))
}

/// The openlineage-emit rows (measured by [`emit_rows`]), or why they could not be.
fn emit_table_rows(root: &Path, quick: bool) -> Vec<Row> {
    const EMIT_SINGLE: &str = "openlineage-emit delivering to the reference server, one request per event (events/s) vs openlineage-python's HttpTransport";
    const EMIT_BATCH: &str = "openlineage-emit delivering in batches of 100 to /lineage/batch (events/s) vs openlineage-python's HttpTransport (it has no batch endpoint)";
    const EMIT_COST: &str = "openlineage-emit non-blocking mode: the caller's time per emit beyond building the event vs building it (µs)";
    const EMIT_MEMORY: &str = "openlineage-emit non-blocking mode, backend down, queue of 10k: peak RSS emitting 1,000,000 events vs 100,000 (MB; --quick: 20,000 vs 2,000)";
    let mut rows = Vec::new();
    match emit_rows(root, quick) {
        Ok(r) => {
            match r.python {
                Ok(py) => {
                    rows.push(row(EMIT_SINGLE, r.single, py, "ev/s"));
                    rows.push(row(EMIT_BATCH, r.batch, py, "ev/s"));
                }
                Err(e) => {
                    eprintln!("python client unavailable: {e:#}");
                    for (name, ours) in [(EMIT_SINGLE, r.single), (EMIT_BATCH, r.batch)] {
                        rows.push(Row {
                            name,
                            ours: format!("{ours:.1} ev/s"),
                            theirs: "unavailable".into(),
                            ratio: "n/a".into(),
                        });
                    }
                }
            }
            rows.push(row(EMIT_COST, r.emit_us, r.build_us, "µs"));
            rows.push(row(EMIT_MEMORY, r.peak_large_mb, r.peak_small_mb, "MB"));
        }
        Err(e) => {
            eprintln!("openlineage-emit rows unavailable: {e:#}");
            for name in [EMIT_SINGLE, EMIT_BATCH, EMIT_COST, EMIT_MEMORY] {
                rows.push(unavailable(name, &e));
            }
        }
    }
    rows
}

/// `bench --emit`: only the openlineage-emit rows, in release, printed (the README table is
/// refreshed by full runs only).
pub fn emit_only() -> Result<i32> {
    let mut table =
        String::from("| row | this project | compared with | ratio |\n|---|---|---|---|\n");
    for r in emit_table_rows(&root(), false) {
        table.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            r.name, r.ours, r.theirs, r.ratio
        ));
    }
    println!("{table}");
    Ok(0)
}

/// What the openlineage-emit rows measure.
struct EmitRates {
    single: f64,
    batch: f64,
    python: Result<f64>,
    emit_us: f64,
    build_us: f64,
    peak_large_mb: f64,
    peak_small_mb: f64,
}

/// `emit_load` (the client's example) and openlineage-python's HttpTransport each send events
/// to one `ol-conformance serve` process, one request per event (and, for the client, batches
/// of 100); then `emit_load --queue` measures the caller's cost per emit, and, against a port
/// nobody listens on, the peak memory with 10x more events than the queue holds and 100x.
fn emit_rows(root: &Path, quick: bool) -> Result<EmitRates> {
    let dir = Profile::quick_or_release(quick)
        .build(&["openlineage-conformance", "openlineage-emit-examples"])?;
    let (_server, listen) = Server::start("reference server", |listen, _| {
        let mut cmd = Command::new(dir.join("ol-conformance"));
        cmd.args(["serve", "--listen", listen]);
        cmd
    })?;
    let url = format!("http://{listen}");
    let load = |url: &str, args: &[&str], must_deliver: bool| -> Result<Value> {
        let out = Command::new(dir.join("emit_load"))
            .args(["--url", url])
            .args(args)
            .stderr(Stdio::null())
            .output()
            .context("cannot run emit_load")?;
        if must_deliver && !out.status.success() {
            bail!(
                "emit_load {} did not deliver every event: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stdout)
            );
        }
        serde_json::from_slice(&out.stdout).context("emit_load's JSON line")
    };
    let best = |args: &[&str]| -> Result<f64> {
        let mut best = 0f64;
        for _ in 0..if quick { 1 } else { 3 } {
            best = best.max(num(&load(&url, args, true)?, "/events_per_s")?);
        }
        Ok(best)
    };
    let (single_n, batch_n, python_n) = if quick {
        ("200", "1000", 100)
    } else {
        ("5000", "50000", 2000)
    };
    let single = best(&["--count", single_n])?;
    let batch = best(&["--count", batch_n, "--batch", "--batch-size", "100"])?;
    let python = (|| -> Result<f64> {
        let env = pyenv::ensure(&root.join("conformance/tests/producers/requirements-python.txt"))
            .map_err(|e| anyhow::anyhow!(e))?;
        let mut best = 0f64;
        for _ in 0..if quick { 1 } else { 3 } {
            let out = Command::new(&env.python)
                .arg(root.join("emit-examples/benches/python_load.py"))
                .args([url.as_str(), &python_n.to_string()])
                .output()
                .context("cannot run the python client")?;
            if !out.status.success() {
                bail!(
                    "the python client failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                        .lines()
                        .last()
                        .unwrap_or_default()
                );
            }
            best = best.max(String::from_utf8_lossy(&out.stdout).trim().parse::<f64>()?);
        }
        Ok(best)
    })();
    // A queue as large as the run, so no event is dropped and every emit is measured whole.
    let cost_n = if quick { "2000" } else { "100000" };
    let queued = load(&url, &["--count", cost_n, "--queue", cost_n], true)?;
    let dead = {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        format!("http://127.0.0.1:{port}")
    };
    let (small, large) = if quick {
        ("2000", "20000")
    } else {
        ("100000", "1000000")
    };
    let peak = |count: &str| -> Result<f64> {
        let v = load(
            &dead,
            &["--count", count, "--queue", "10000", "--drain", "0"],
            false,
        )?;
        Ok(num(&v, "/peak_rss_kb")? / 1024.0)
    };
    Ok(EmitRates {
        single,
        batch,
        python,
        emit_us: num(&queued, "/emit_us_per_event")?,
        build_us: num(&queued, "/build_us_per_event")?,
        peak_small_mb: peak(small)?,
        peak_large_mb: peak(large)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The validator-only crate of the dependent rows depends on exactly the crates `validate`
    /// turns on, configured as the types crate configures them, in lines cargo accepts.
    #[test]
    fn the_validator_only_crate_depends_on_what_validate_adds() {
        let root = root();
        let lines =
            validator_dependencies(&root, &["--no-deps"]).expect("the workspace's metadata");
        let names: Vec<&str> = lines
            .lines()
            .map(|l| l.split(" = ").next().unwrap_or(l))
            .collect();
        assert_eq!(names, ["jsonschema", "jsonschema-value"], "{lines}");
        for line in lines.lines() {
            assert!(line.contains("default-features = false"), "{line}");
        }
        assert!(
            lines.contains(r#"features = ["arbitrary-precision"]"#),
            "{lines}"
        );

        // The manifest the bench writes with those lines is one cargo reads.
        let dir = root.join("target/xtask-test-validator-only");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("src")).expect("a scratch folder");
        std::fs::write(
            dir.join("Cargo.toml"),
            dependent_manifest("validator-only", &lines),
        )
        .expect("a manifest");
        std::fs::write(dir.join("src/main.rs"), VALIDATOR_MAIN).expect("a program");
        let read = cargo_metadata(&dir, ["--no-deps"]);
        let _ = std::fs::remove_dir_all(&dir);
        let read = read.expect("cargo reads the manifest");
        assert_eq!(read["packages"][0]["name"], "dependent-validator-only");
    }
}
