//! End to end through the real binary: run (with JUnit and JSON reports), list, unreachable
//! targets, generate determinism and validate's exit codes.

use std::path::PathBuf;
use std::process::{Command, Output};

use openlineage_conformance::checks::CHECKS;
use openlineage_conformance::runner::Selection;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ol-conformance"))
}

fn ok(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ol-conformance-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

#[test]
fn run_against_the_embedded_server_writes_junit() {
    let junit = temp("report.xml");
    let out = bin()
        .args([
            "run", "--seed", "5", "--cases", "4", "--format", "junit", "--output",
        ])
        .arg(&junit)
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert_eq!(xml.matches("<testcase ").count(), CHECKS.len());
    assert!(xml.contains("failures=\"0\""), "{xml}");
    assert!(xml.contains("name=\"batch.mixed.failed_indices\""));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("seed 5"), "the seed is printed: {stderr}");
}

/// A JSON report with what varies between identical runs taken out: the wall time and the
/// embedded server's port.
fn stable_json(stdout: &[u8]) -> serde_json::Value {
    let mut report: serde_json::Value = serde_json::from_slice(stdout).expect("json report");
    report["duration_ms"] = serde_json::json!("[duration]");
    report["target"] = serde_json::json!("[target]");
    report["bodies_dir"] = serde_json::json!("[bodies]");
    report
}

#[test]
fn run_json_report_is_stable_and_complete() {
    let run = || {
        let out = bin()
            .args([
                "run",
                "--seed",
                "9",
                "--cases",
                "2",
                "--format",
                "json",
                "--include",
                "single.valid.*",
            ])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(0));
        stable_json(&out.stdout)
    };
    let (first, second) = (run(), run());
    assert_eq!(first, second, "one seed, one report");
    assert_eq!(first["schema_version"], 2);
    // Two cases per family, or one per kind of case when a family has more kinds.
    let gen = openlineage_types::arb::ValueGen::new(openlineage_types::arb::GenConfig::SMALL)
        .expect("generator");
    let sel = Selection::new(&["single.valid.*".into()], &[]).expect("globs");
    let expected: usize = openlineage_conformance::families::families(&gen)
        .expect("families")
        .iter()
        .filter(|f| sel.sends(f))
        .map(|f| f.case_count(2))
        .sum();
    assert!(expected > 18, "every kind of valid event is covered");
    assert_eq!(first["cases_run"], expected);
    insta::assert_json_snapshot!("run_json_single_valid", first);
}

#[test]
fn junit_report_is_pinned_whole() {
    let out = bin()
        .args([
            "run",
            "--seed",
            "3",
            "--cases",
            "1",
            "--format",
            "junit",
            "--include",
            "batch.*",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let xml = String::from_utf8_lossy(&out.stdout);
    let time = regex_free_replace(&xml, " time=\"", "\"", "[time]");
    let target = regex_free_replace(&time, "testsuite name=\"", "\"", "[target]");
    insta::assert_snapshot!("junit_batch", target);
}

/// `text` with the value between each `start` and the next `end` replaced by `with`.
fn regex_free_replace(text: &str, start: &str, end: &str, with: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(start) {
        out.push_str(&rest[..i + start.len()]);
        rest = &rest[i + start.len()..];
        let j = rest.find(end).unwrap_or(rest.len());
        out.push_str(with);
        rest = &rest[j..];
    }
    out.push_str(rest);
    out
}

#[test]
fn help_of_every_subcommand_is_pinned() {
    for sub in [
        vec![],
        vec!["generate"],
        vec!["validate"],
        vec!["run"],
        vec!["serve"],
        vec!["collect"],
        vec!["lint"],
        vec!["checks"],
        vec!["spec", "diff"],
    ] {
        let out = bin().args(&sub).arg("--help").output().expect("runs");
        assert_eq!(out.status.code(), Some(0), "{sub:?}");
        let name = if sub.is_empty() {
            "help".to_string()
        } else {
            format!("help_{}", sub.join("_"))
        };
        insta::assert_snapshot!(name, ok(&out));
    }
}

#[test]
fn list_prints_every_check_and_runs_nothing() {
    let out = bin()
        .args(["run", "--list", "--target", "http://127.0.0.1:9"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let text = ok(&out);
    assert_eq!(text.lines().count(), CHECKS.len());
    assert!(text.lines().all(|l| l.split('\t').count() == 3));
}

#[test]
fn unreachable_target_exits_2_quickly() {
    // Port 9 (discard) on loopback: nothing listens there in a test sandbox.
    let started = std::time::Instant::now();
    let out = bin()
        .args([
            "run",
            "--target",
            "http://127.0.0.1:9/api/v1",
            "--timeout",
            "2",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot reach the target"));
    assert!(started.elapsed().as_secs() < 10);
}

#[test]
fn bad_arguments_exit_2_with_a_clear_message() {
    let out = bin().args(["run", "--timeout=-1"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--timeout"));
    let out = bin()
        .args(["run", "--header", "NoColon"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let exp = temp("bad.expect");
    std::fs::write(&exp, "no equals sign\n").expect("write");
    let out = bin()
        .args(["run", "--expectations"])
        .arg(&exp)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.expect:1"));
}

#[test]
fn stale_expectations_fail_the_run() {
    let exp = temp("stale.expect");
    std::fs::write(&exp, "# known failures\nsingle.does_not_exist = renamed long ago\nsingle.valid.run.accepted = wrongly listed\n").expect("write");
    let out = bin()
        .args([
            "run",
            "--seed",
            "1",
            "--cases",
            "2",
            "--include",
            "single.valid.run.*",
            "--expectations",
        ])
        .arg(&exp)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let text = ok(&out);
    assert!(
        text.contains("XPASS") && text.contains("stale expectation: `single.does_not_exist`"),
        "{text}"
    );
}

#[test]
fn generate_is_deterministic_per_seed() {
    let gen = |seed: &str, extra: &[&str]| {
        let out = bin()
            .args(["generate", "--count", "20", "--seed", seed])
            .args(extra)
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(0));
        ok(&out)
    };
    assert_eq!(gen("3", &[]), gen("3", &[]));
    assert_ne!(gen("3", &[]), gen("4", &[]));
    let invalid = gen("3", &["--invalid", "--event", "job", "--size", "small"]);
    for line in invalid.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("jsonl");
        assert!(v["violation"].is_string() && v["tier"].is_string());
        assert!(v.get("event").is_some() || v.get("event_hex").is_some());
    }
}

#[test]
fn validate_exit_codes() {
    let valid = temp("valid.jsonl");
    let out = bin()
        .args(["generate", "--count", "5", "--seed", "1"])
        .output()
        .expect("runs");
    std::fs::write(&valid, &out.stdout).expect("write");
    let out = bin().arg("validate").arg(&valid).output().expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", ok(&out));
    assert_eq!(
        ok(&out).lines().filter(|l| l.ends_with(": valid")).count(),
        5
    );

    let invalid = temp("invalid.json");
    std::fs::write(&invalid, r#"{"eventTime": "2024-01-01T00:00:00", "producer": "https://p", "schemaURL": "https://s", "job": {"namespace": "n", "name": "j"}}"#).expect("write");
    let out = bin()
        .args(["validate", "--tier", "core"])
        .arg(&invalid)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let out = bin()
        .args(["validate", "--tier", "formats"])
        .arg(&invalid)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(ok(&out).contains("/eventTime"), "{}", ok(&out));

    let out = bin()
        .args(["validate", "/no/such/file.json"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/file.json"));
}

#[test]
fn gzip_bodies_and_headers_reach_the_server() {
    let out = bin()
        .args([
            "run",
            "--seed",
            "2",
            "--cases",
            "3",
            "--gzip",
            "--header",
            "Authorization: Bearer secret-token",
            "--include",
            "single.valid.*",
            "--include",
            "batch.valid.*",
            "--format",
            "json",
        ])
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = ok(&out);
    assert!(
        !text.contains("secret-token"),
        "secrets never reach the report"
    );
}

#[test]
fn save_requests_holds_every_request_byte_for_byte() {
    let saved = temp("requests.jsonl");
    let out = bin()
        .args(["run", "--seed", "4", "--cases", "3", "--format", "json"])
        .args([
            "--header",
            "Authorization: Bearer secret-token",
            "--save-requests",
        ])
        .arg(&saved)
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");
    let requests = openlineage_conformance::record::read(&saved).expect("saved requests parse");
    assert_eq!(Some(requests.len() as u64), report["requests"].as_u64());
    let text = std::fs::read_to_string(&saved).expect("saved file");
    assert!(
        !text.contains("secret-token"),
        "secret headers are redacted"
    );
    let mut events = 0;
    for r in &requests {
        assert_eq!(r.method, "POST");
        assert!(r.url.ends_with("/api/v1/lineage") || r.url.ends_with("/api/v1/lineage/batch"));
        let body = r.body_bytes().expect("body decodes");
        if r.body_base64.is_some() {
            assert!(
                std::str::from_utf8(&body).is_err(),
                "base64 only for non-UTF-8 bodies"
            );
        }
        if serde_json::from_slice::<serde_json::Value>(&body)
            .is_ok_and(|v| v["eventTime"].is_string())
        {
            events += 1;
        }
    }
    assert!(events > 10, "valid single events are saved as sent");
    // The invalid-UTF-8 mutation is among the cases, and survives as base64.
    assert!(requests.iter().any(|r| r.body_base64.is_some()));
}

#[test]
fn save_requests_to_an_unwritable_path_is_a_clear_error() {
    let out = bin()
        .args([
            "run",
            "--cases",
            "1",
            "--save-requests",
            "/nonexistent-dir/requests.jsonl",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("/nonexistent-dir/requests.jsonl"),
        "{stderr}"
    );
}

#[test]
fn value_flags_given_twice_are_usage_errors_and_boolean_flags_may_repeat() {
    let out = bin()
        .args(["run", "--list", "--seed", "1", "--seed", "2"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--seed"));
    let out = bin()
        .args(["run", "--list", "--strict", "--strict", "--gzip", "--gzip"])
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn help_says_where_the_human_report_goes_with_output() {
    let out = bin().args(["run", "--help"]).output().expect("runs");
    let text = ok(&out);
    assert!(text.contains("human report then goes to stderr"), "{text}");
}
