//! Real producers against `ol-conformance collect`: the openlineage-python client scripted
//! through a parent and a child run, and `dbt-ol` on a small DuckDB project. Both streams pass
//! every producer check. The Python packages come from pinned requirements files in
//! `tests/producers/`, installed once per machine into venvs under `target/pyenv/`.

use openlineage_testkit::pyenv;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;

use openlineage_conformance::producer::PRODUCER_CHECKS;
use serde_json::Value;

fn producers_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/producers")
}

fn venv(requirements: &str) -> pyenv::PyEnv {
    pyenv::ensure(&producers_dir().join(requirements)).unwrap_or_else(|e| panic!("{e}"))
}

/// A running `collect` with a JSON report on stdout.
struct Collect {
    child: Child,
    /// What producers are pointed at: the server root, without `/api/v1`.
    url: String,
    stderr: JoinHandle<String>,
}

fn start_collect() -> Collect {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ol-conformance"))
        .args(["collect", "--listen", "127.0.0.1:0", "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("collect starts");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr"));
    let mut first = String::new();
    lines
        .read_line(&mut first)
        .expect("collect prints its address");
    let base = first
        .split("API base ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no API base in {first:?}"))
        .to_string();
    let url = base
        .strip_suffix("/api/v1")
        .unwrap_or_else(|| panic!("unexpected API base {base}"))
        .to_string();
    let stderr = std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = lines.read_to_string(&mut rest);
        format!("{first}{rest}")
    });
    Collect { child, url, stderr }
}

impl Collect {
    /// Stops it with `signal` and returns the exit code, the JSON report and stderr.
    fn stop(mut self, signal: &str) -> (Option<i32>, Value, String) {
        let killed = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(killed.success());
        let mut stdout = String::new();
        self.child
            .stdout
            .take()
            .expect("stdout")
            .read_to_string(&mut stdout)
            .expect("report");
        let status = self.child.wait().expect("collect exits");
        let stderr = self.stderr.join().unwrap_or_default();
        let report = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("no JSON report ({e}): {stdout}\n{stderr}"));
        (status.code(), report, stderr)
    }
}

fn assert_all_pass(report: &Value, stderr: &str) {
    let results = report["results"].as_array().expect("results");
    assert_eq!(results.len(), PRODUCER_CHECKS.len());
    let not_passing: Vec<String> = results
        .iter()
        .filter(|r| r["outcome"] != "pass")
        .map(|r| format!("{} {}: {}", r["id"], r["outcome"], r["failure"]["message"]))
        .collect();
    assert!(not_passing.is_empty(), "{not_passing:#?}\n{stderr}");
}

#[test]
fn python_client_lifecycle_with_a_child_run_passes() {
    let env = venv("requirements-python.txt");
    let collect = start_collect();
    let producer = Command::new(&env.python)
        .arg(producers_dir().join("python_lifecycle.py"))
        .env("OPENLINEAGE_URL", &collect.url)
        .output()
        .expect("python runs");
    let (code, report, stderr) = collect.stop("-TERM");
    assert!(
        producer.status.success(),
        "{}",
        String::from_utf8_lossy(&producer.stderr)
    );
    assert!(stderr.contains("collect stopped: terminated"), "{stderr}");
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(report["producer"]["events"], 6, "{report:#}");
    assert_eq!(report["producer"]["runs"], 2);
    assert_eq!(report["producer"]["reached"]["facets"], 6);
    assert_eq!(report["requests"], 6);
    assert_all_pass(&report, &stderr);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

#[test]
fn dbt_ol_on_a_duckdb_project_passes() {
    let env = venv("requirements-dbt.txt");
    // dbt writes target/, logs/ and the DuckDB file: it runs in a copy of the project.
    let project = std::env::temp_dir().join(format!("ol-conformance-dbt-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&project);
    copy_dir(&producers_dir().join("dbt_project"), &project);
    let collect = start_collect();
    let dbt = env
        .script("dbt-ol")
        .args(["build", "--profiles-dir", ".", "--project-dir", "."])
        .current_dir(&project)
        .env("OPENLINEAGE_URL", &collect.url)
        .env("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        .output()
        .expect("dbt-ol runs");
    let (code, report, stderr) = collect.stop("-INT");
    let _ = std::fs::remove_dir_all(&project);
    assert!(
        dbt.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&dbt.stdout),
        String::from_utf8_lossy(&dbt.stderr)
    );
    assert!(stderr.contains("collect stopped: interrupted"), "{stderr}");
    assert_eq!(code, Some(0), "{stderr}");
    // A parent dbt run, two model runs and a test run, each START and COMPLETE.
    assert_eq!(report["producer"]["runs"], 4, "{report:#}");
    assert_eq!(report["producer"]["events"], 8);
    assert_eq!(report["producer"]["reached"]["facets"], 8);
    assert_all_pass(&report, &stderr);
}
