//! The types crate's collector example, run as a server, passes the suite in `--strict`, with
//! plain and with gzip bodies.

use std::process::Command;

use serde_json::Value;

// The example's `main` is not called here; its router is.
#[allow(dead_code)]
#[path = "../../examples/collector.rs"]
mod collector;

fn strict_run(gzip: bool) {
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("binds a loopback port");
    let addr = listener.local_addr().expect("bound address");
    runtime.spawn(async move { axum::serve(listener, collector::app()).await });

    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ol-conformance"));
    cmd.args([
        "run", "--strict", "--seed", "11", "--format", "json", "--target",
    ])
    .arg(format!("http://{addr}/api/v1"));
    if gzip {
        cmd.arg("--gzip");
    }
    let out = cmd.output().expect("runs ol-conformance");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let results = report["results"].as_array().into_iter().flatten();
    // The example keeps no events, so the read-back checks have nothing to read: not run.
    let not_run: Vec<&str> = results
        .clone()
        .filter(|r| r["outcome"] == "notrun")
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert!(
        !not_run.is_empty() && not_run.iter().all(|id| id.starts_with("readback.")),
        "{not_run:?}"
    );
    let failed: Vec<&Value> = results
        .filter(|r| r["outcome"] != "pass" && r["outcome"] != "notrun")
        .collect();
    let failed_ids: Vec<&str> = failed.iter().filter_map(|r| r["id"].as_str()).collect();
    assert_eq!(
        out.status.code(),
        Some(0),
        "not passing: {failed:#?}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The example validates at `Tier::Formats`, as the crate advises servers to, so the
    // checks it does not pass are `strict` (report-only) notes: facet schemas, and the
    // 100,000-deep unknown field its JSON parser refuses (RFC 8259 section 9 allows a limit).
    assert_eq!(
        failed_ids,
        [
            "single.ambiguous.deep_nesting.accepted",
            "single.invalid.facet_schema.rejected"
        ],
        "{failed:#?}"
    );
    assert!(
        report["cases_run"].as_u64().is_some_and(|n| n > 0),
        "{report}"
    );
}

#[test]
fn the_collector_example_passes_the_strict_suite() {
    strict_run(false);
}

#[test]
fn the_collector_example_passes_the_strict_suite_with_gzip_bodies() {
    strict_run(true);
}
