//! The README's example CI job (GitHub Actions YAML) stays a job that works: it parses, installs
//! this version of the wheel, runs the suite against its service container with arguments the
//! command line accepts, runs the HTML report as the same run, and keeps both reports.

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::Value;

const START: &str = "<!-- ci-example:start -->";
const END: &str = "<!-- ci-example:end -->";

/// The YAML between the README's markers, without its code fence.
fn example() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md");
    let readme = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let (_, rest) = readme
        .split_once(START)
        .unwrap_or_else(|| panic!("README.md has no {START}"));
    let (block, _) = rest
        .split_once(END)
        .unwrap_or_else(|| panic!("README.md has no {END}"));
    let block = block.trim();
    block
        .strip_prefix("```yaml")
        .and_then(|b| b.strip_suffix("```"))
        .unwrap_or_else(|| panic!("the CI example is not one ```yaml block"))
        .to_string()
}

/// Words of a one-line shell command: split on spaces, double quotes removed, `$NAME` replaced
/// from the job's `env`. Enough for the example's commands, which quote only variables.
fn words(command: &str, env: &BTreeMap<String, String>) -> Vec<String> {
    command
        .split_whitespace()
        .map(|w| {
            let w = w.trim_matches('"');
            match w.strip_prefix('$') {
                Some(name) if env.contains_key(name) => env[name].clone(),
                _ => w.to_string(),
            }
        })
        .collect()
}

/// The value after `flag` in `words`.
fn value_of<'a>(words: &'a [String], flag: &str) -> Option<&'a str> {
    words
        .iter()
        .position(|w| w == flag)
        .and_then(|i| words.get(i + 1))
        .map(String::as_str)
}

#[test]
fn the_readme_ci_job_installs_this_wheel_runs_the_suite_and_keeps_both_reports() {
    let workflow: Value = serde_yaml_ng::from_str(&example())
        .unwrap_or_else(|e| panic!("the README's CI example is not YAML: {e}"));
    let jobs = workflow["jobs"]
        .as_object()
        .unwrap_or_else(|| panic!("no jobs in {workflow}"));
    assert_eq!(jobs.len(), 1, "one job");
    let job = jobs.values().next().unwrap_or_else(|| unreachable!());

    let services = job["services"]
        .as_object()
        .unwrap_or_else(|| panic!("the job has no service container"));
    assert_eq!(services.len(), 1, "one service: the server under test");
    let service = services.values().next().unwrap_or_else(|| unreachable!());
    assert!(service["image"].is_string(), "the service names an image");
    let port = service["ports"][0]
        .as_str()
        .and_then(|p| p.split(':').next())
        .unwrap_or_else(|| panic!("the service publishes a port: {service}"));

    let env: BTreeMap<String, String> = job["env"]
        .as_object()
        .unwrap_or_else(|| panic!("the job has no env"))
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_str().map_or_else(|| v.to_string(), String::from),
            )
        })
        .collect();
    assert!(
        env["TARGET"].starts_with(&format!("http://localhost:{port}/")),
        "TARGET is the service's published port: {}",
        env["TARGET"]
    );

    let steps = job["steps"]
        .as_array()
        .unwrap_or_else(|| panic!("the job has no steps"));
    let runs: Vec<&str> = steps.iter().filter_map(|s| s["run"].as_str()).collect();
    let install = format!(
        "pip install openlineage-conformance=={}",
        env!("CARGO_PKG_VERSION")
    );
    assert!(
        runs.iter().any(|r| r.trim() == install),
        "a step runs `{install}`: {runs:?}"
    );

    let suite: Vec<&Value> = steps
        .iter()
        .filter(|s| {
            s["run"]
                .as_str()
                .is_some_and(|r| r.starts_with("ol-conformance run "))
        })
        .collect();
    assert_eq!(suite.len(), 2, "two runs: JUnit and HTML");
    let [junit, html] = [suite[0], suite[1]].map(|s| {
        words(
            s["run"]
                .as_str()
                .unwrap_or_default()
                .lines()
                .next()
                .unwrap_or_default(),
            &env,
        )
    });
    assert_eq!(value_of(&junit, "--format"), Some("junit"));
    assert_eq!(value_of(&html, "--format"), Some("html"));
    assert_eq!(
        suite[1]["if"], "always()",
        "the HTML report is written after a failed run too"
    );
    // The HTML run is the JUnit run with another format and file, then the exit-code guard.
    let strip = |w: &[String]| -> Vec<String> {
        let mut out = Vec::new();
        let mut it = w.iter();
        while let Some(word) = it.next() {
            if word == "||" {
                break;
            }
            if word == "--format" || word == "--output" {
                it.next();
                continue;
            }
            out.push(word.clone());
        }
        out
    };
    assert_eq!(
        strip(&junit),
        strip(&html),
        "both reports come from the same run"
    );
    assert!(
        html.join(" ").ends_with("|| [ $? -eq 1 ]"),
        "exit 1 passes the HTML step, anything else fails it: {html:?}"
    );
    assert_eq!(value_of(&junit, "--target"), Some(env["TARGET"].as_str()));
    assert!(
        value_of(&junit, "--seed").is_some_and(|s| s.parse::<u64>().is_ok()),
        "a fixed numeric seed, so both runs send the same cases: {junit:?}"
    );

    // The command line accepts both runs' arguments (`--list` parses them, sends nothing); the
    // HTML step's exit-code test after `||` is the shell's.
    let html_command: Vec<String> = html.iter().take_while(|w| *w != "||").cloned().collect();
    for command in [&junit, &html_command] {
        let out = Command::new(env!("CARGO_BIN_EXE_ol-conformance"))
            .args(&command[1..])
            .arg("--list")
            .output()
            .unwrap_or_else(|e| panic!("cannot run ol-conformance: {e}"));
        assert!(
            out.status.success(),
            "ol-conformance refuses {command:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("transport.answered"));
    }

    let upload = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/upload-artifact@"))
        })
        .unwrap_or_else(|| panic!("no step keeps the reports"));
    assert_eq!(
        upload["if"], "always()",
        "reports are kept when checks fail"
    );
    let kept: Vec<&str> = upload["with"]["path"]
        .as_str()
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .collect();
    for report in [&junit, &html].map(|w| value_of(w, "--output").unwrap_or_default()) {
        assert!(kept.contains(&report), "{report} is not kept: {kept:?}");
    }
}
