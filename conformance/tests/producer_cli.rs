//! `collect` and `lint` through the real binary: stopping on idle and on a count, answers as
//! the reference server gives them, recorded files and stdin, and errors naming file and line.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ol-conformance"))
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ol-conformance-producer-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

fn event(run: &str, event_type: &str, second: u32) -> Value {
    json!({
        "eventType": event_type,
        "eventTime": format!("2024-05-01T10:00:{second:02}Z"),
        "producer": "https://example.com/producer",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": run},
        "job": {"namespace": "shop", "name": format!("job-{run}")},
    })
}

/// The project's HTTP client (reqwest is built without a TLS provider of its own).
fn client() -> reqwest::Client {
    openlineage_conformance::runner::http_client(Duration::from_secs(10)).expect("client")
}

const RUN_A: &str = "0190b3d4-7a1e-7c3a-9d2e-1f00000000aa";
const RUN_B: &str = "0190b3d4-7a1e-7c3a-9d2e-1f00000000bb";

/// Starts `collect` with `args`, returning the child and the API base it announces.
fn collect(
    args: &[&str],
) -> (
    std::process::Child,
    String,
    BufReader<std::process::ChildStderr>,
) {
    collect_as(&["--format", "json"], args)
}

/// `collect` writing the report as `format` says.
fn collect_as(
    format: &[&str],
    args: &[&str],
) -> (
    std::process::Child,
    String,
    BufReader<std::process::ChildStderr>,
) {
    let mut child = bin()
        .args(["collect", "--listen", "127.0.0.1:0"])
        .args(format)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("collect starts");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut line = String::new();
    stderr.read_line(&mut line).expect("announces itself");
    let base = line
        .split("API base ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no API base in {line:?}"))
        .to_string();
    (child, base, stderr)
}

fn finish(
    mut child: std::process::Child,
    mut stderr: BufReader<std::process::ChildStderr>,
) -> (Option<i32>, Value, String) {
    let mut out = String::new();
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut out)
        .expect("stdout");
    let mut err = String::new();
    let _ = stderr.read_to_string(&mut err);
    let code = child.wait().expect("exits").code();
    let report = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    (code, report, err)
}

#[tokio::test]
async fn collect_answers_as_the_reference_server_and_stops_after_max_events() {
    // The idle limit only ends a collector that a failing test left behind.
    let (child, base, stderr) = collect(&["--max-events", "3", "--until-idle", "60"]);
    let http = client();
    let post = |path: &str, body: Value| {
        http.post(format!("{base}{path}"))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
    };
    let a = post("/lineage", event(RUN_A, "START", 0))
        .await
        .expect("answer");
    assert_eq!(a.status(), 200);
    let b = post("/lineage", event(RUN_A, "COMPLETE", 1))
        .await
        .expect("answer");
    assert_eq!(b.status(), 200);
    // The batch passes the limit and is taken whole.
    let batch = post(
        "/lineage/batch",
        json!([event(RUN_B, "START", 2), event(RUN_B, "COMPLETE", 3)]),
    )
    .await
    .expect("answer");
    assert_eq!(batch.status(), 200);
    let summary: Value =
        serde_json::from_str(&batch.text().await.expect("body")).expect("batch summary");
    assert_eq!(summary["status"], "success");
    assert_eq!(summary["summary"]["received"], 2);
    let (code, report, err) = finish(child, stderr);
    assert!(err.contains("collect stopped: 3 events received"), "{err}");
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(report["producer"]["events"], 4);
    assert_eq!(report["producer"]["runs"], 2);
    assert_eq!(report["requests"], 3);
}

#[tokio::test]
async fn collect_writes_an_html_report_with_the_runs_on_a_time_line() {
    let page = temp("collect.html");
    let page_arg = page.display().to_string();
    let (mut child, base, mut stderr) = collect_as(
        &["--format", "html", "--output", &page_arg],
        &["--max-events", "2", "--until-idle", "60"],
    );
    let http = client();
    for (t, second) in [("START", 0), ("COMPLETE", 20)] {
        let answer = http
            .post(format!("{base}/lineage"))
            .header("content-type", "application/json")
            .body(event(RUN_A, t, second).to_string())
            .send()
            .await
            .expect("answer");
        assert_eq!(answer.status(), 200);
    }
    let mut err = String::new();
    let _ = stderr.read_to_string(&mut err);
    assert_eq!(child.wait().expect("exits").code(), Some(0), "{err}");
    assert!(
        err.contains("2 events"),
        "the human report goes to stderr: {err}"
    );
    let html = std::fs::read_to_string(&page).expect("the report");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<title>ol-conformance producer report</title>"));
    assert!(
        html.contains(&format!("shop/job-{RUN_A}<br>{RUN_A}")),
        "{html}"
    );
    assert!(html.contains("class=\"ev ev-START\" style=\"left:0.00%\""));
    assert!(html.contains("class=\"ev ev-COMPLETE\" style=\"left:100.00%\""));
}

#[tokio::test]
async fn collect_stops_when_idle_and_fails_a_bad_stream_with_the_reference_answer() {
    let started = Instant::now();
    let (child, base, stderr) = collect(&["--until-idle", "1"]);
    let mut bad = event(RUN_A, "START", 0);
    bad.as_object_mut().map(|o| o.remove("producer"));
    let answer = client()
        .post(format!("{base}/lineage"))
        .header("content-type", "application/json")
        .body(bad.to_string())
        .send()
        .await
        .expect("answer");
    assert_eq!(
        answer.status(),
        400,
        "rejected as the reference server rejects it"
    );
    // Refused before any event is read: recorded as invalid events all the same.
    let plain = client()
        .post(format!("{base}/lineage"))
        .header("content-type", "text/plain")
        .body(event(RUN_B, "START", 0).to_string())
        .send()
        .await
        .expect("answer");
    assert_eq!(plain.status(), 415);
    let not_array = client()
        .post(format!("{base}/lineage/batch"))
        .header("content-type", "application/json")
        .body(event(RUN_B, "START", 0).to_string())
        .send()
        .await
        .expect("answer");
    assert_eq!(not_array.status(), 400);
    let (code, report, err) = finish(child, stderr);
    assert!(err.contains("collect stopped: no event for 1.0s"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(code, Some(1), "a must-tier failure fails the run: {err}");
    let failing: Vec<&str> = report["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["outcome"] == "fail")
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert_eq!(
        failing,
        ["producer.event.valid.core", "producer.run.terminal_seen"]
    );
    assert_eq!(report["producer"]["events"], 3);
    assert_eq!(report["producer"]["reached"]["invalid"], 3);
    assert_eq!(report["requests"], 3);
}

#[tokio::test]
async fn collect_with_no_event_fails_and_says_what_it_saw() {
    let started = Instant::now();
    // --until-idle counts from the first event: only the first-event limit ends this one.
    let (child, base, stderr) = collect(&["--until-idle", "0.2", "--first-event-timeout", "2"]);
    // A producer with a wrong path: a trailing slash, and a wrong prefix.
    for path in ["/lineage/", "/../v2/lineage"] {
        let answer = client()
            .post(format!("{base}{path}"))
            .header("content-type", "application/json")
            .body(event(RUN_A, "START", 0).to_string())
            .send()
            .await
            .expect("answer");
        assert_eq!(answer.status(), 404);
    }
    let (code, report, err) = finish(child, stderr);
    assert!(
        err.contains("no event within 2.0s of start-up (--first-event-timeout)"),
        "{err}"
    );
    assert!(started.elapsed() >= Duration::from_secs(2));
    assert_eq!(code, Some(1), "no event is a must-tier failure: {err}");
    let received = report["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["id"] == "producer.events.received")
        .expect("the check");
    assert_eq!(received["outcome"], "fail");
    let message = received["failures"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.contains("POST /api/v1/lineage/ (1 times)"),
        "{message}"
    );
    assert!(
        message.contains("POST /api/v2/lineage (1 times)"),
        "{message}"
    );
}

#[test]
fn lint_reads_json_lines_arrays_and_stdin() {
    let lines = temp("stream.jsonl");
    std::fs::write(
        &lines,
        format!(
            "{}\n\n{}\n",
            event(RUN_A, "START", 0),
            event(RUN_A, "COMPLETE", 1)
        ),
    )
    .expect("write");
    let array = temp("stream.json");
    std::fs::write(
        &array,
        serde_json::to_string_pretty(&json!([
            event(RUN_B, "START", 0),
            event(RUN_B, "COMPLETE", 1)
        ]))
        .expect("json"),
    )
    .expect("write");
    let out = bin()
        .args(["lint", "--format", "json", "--strict", "--strict"])
        .arg(&lines)
        .arg(&array)
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["producer"]["events"], 4);
    assert_eq!(report["producer"]["runs"], 2);

    // From stdin, a run missing its COMPLETE fails with the event's file and line named.
    let mut child = bin()
        .args(["lint", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{}\n", event(RUN_A, "START", 0)).as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("exits");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("FAIL  producer.run.terminal_seen"), "{text}");
    assert!(
        text.contains("the run's first event was START at <stdin>:1"),
        "{text}"
    );
}

#[test]
fn lint_names_the_file_and_line_of_bad_input() {
    let file = temp("broken.jsonl");
    std::fs::write(
        &file,
        format!("{}\n{{\"eventType\": \n", event(RUN_A, "START", 0)),
    )
    .expect("write");
    let out = bin().arg("lint").arg(&file).output().expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("{}:2: not JSON", file.display())),
        "{stderr}"
    );
    let missing = bin()
        .args(["lint", "/nonexistent/events.jsonl"])
        .output()
        .expect("runs");
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("cannot read /nonexistent/events.jsonl")
    );
}

#[test]
fn checks_lists_the_producer_table() {
    let out = bin().args(["checks", "--producer"]).output().expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("| `producer.run.terminal_seen` | must |"),
        "{text}"
    );
    assert!(!text.contains("`single.no_server_error`"));
}
