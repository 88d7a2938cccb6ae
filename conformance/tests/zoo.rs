//! A zoo of deliberately broken servers, each wrong in one way: the runner must fail each for
//! the right check id, and pass the reference server with no finding at all.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use openlineage_conformance::checks::{CheckTier, CHECKS};
use openlineage_conformance::report::{Outcome, Report};
use openlineage_conformance::runner::{run, RunOptions};
use openlineage_conformance::server::{answer_batch, answer_single, ServerConfig};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn options(target: String) -> RunOptions {
    RunOptions {
        target,
        headers: vec![],
        timeout: Duration::from_secs(5),
        concurrency: 8,
        gzip: false,
        seed: 42,
        cases: 8,
        include: vec![],
        exclude: vec![],
        strict: false,
        expectations: None,
        stall_after: 3,
        save_requests: None,
        progress: false,
    }
}

fn cfg() -> ServerConfig {
    ServerConfig::default()
}

fn reply(status: StatusCode, body: Option<Value>) -> Response {
    match body {
        Some(b) => (status, Json(b)).into_response(),
        None => status.into_response(),
    }
}

/// A server whose single and batch handlers are the given functions of the body.
fn zoo(single: fn(&[u8]) -> Response, batch: fn(&[u8]) -> Response) -> Router {
    Router::new()
        .route(
            "/api/v1/lineage",
            post(move |b: Bytes| async move { single(&b) }),
        )
        .route(
            "/api/v1/lineage/batch",
            post(move |b: Bytes| async move { batch(&b) }),
        )
        // axum refuses bodies over 2 MB by default, which the large-batch check catches; each
        // zoo server must be wrong in its own way only.
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024 * 1024))
}

fn reference_single(body: &[u8]) -> Response {
    let (s, b) = answer_single(&cfg(), body);
    reply(s, b)
}

fn reference_batch(body: &[u8]) -> Response {
    let (s, b) = answer_batch(&cfg(), body);
    reply(s, Some(b))
}

/// The reference batch answer with its JSON body changed by `f`.
fn batch_with(body: &[u8], f: impl FnOnce(&mut Value, usize)) -> Response {
    let (s, mut b) = answer_batch(&cfg(), body);
    let n = serde_json::from_slice::<Vec<Value>>(body).map_or(0, |v| v.len());
    if s == StatusCode::OK {
        f(&mut b, n);
    }
    reply(s, Some(b))
}

async fn serve(app: Router) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("address");
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, task)
}

/// A loopback server below HTTP: each connection goes to `handle` on its own task.
async fn raw_server<F, Fut>(handle: F) -> SocketAddr
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            tokio::spawn(handle(sock));
        }
    });
    addr
}

async fn run_against(addr: SocketAddr, tweak: impl FnOnce(&mut RunOptions)) -> Report {
    let mut opts = options(format!("http://{addr}/api/v1"));
    tweak(&mut opts);
    run(opts).await.expect("the run completes")
}

fn failed(report: &Report) -> Vec<&str> {
    report
        .results
        .iter()
        .filter(|r| r.outcome == Outcome::Fail)
        .map(|r| r.id.as_str())
        .collect()
}

/// The report reduced to what must not change between runs: each check's outcome.
fn normalised(report: &Report) -> Value {
    report
        .results
        .iter()
        .map(|r| json!({"id": r.id, "tier": r.tier, "outcome": r.outcome}))
        .collect()
}

fn block_on<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

/// Runs the suite against a zoo server and checks the failures it must find.
fn expect_failures(name: &str, app: Router, must_fail: &[&str]) -> Report {
    block_on(async {
        let (addr, _task) = serve(app).await;
        let report = run_against(addr, |_| {}).await;
        let got = failed(&report);
        for id in must_fail {
            assert!(
                got.contains(id),
                "{name}: expected {id} to fail; failures: {got:?}"
            );
            let r = report.results.iter().find(|r| r.id == *id).expect("result");
            let f = r.failure.as_ref().expect("failure details");
            if *id != "transport.answered" {
                assert!(
                    f.curl
                        .as_deref()
                        .is_some_and(|c| ["curl ", "printf ", "base64 -d <<"]
                            .iter()
                            .any(|p| c.starts_with(p))),
                    "{name}: {id} has no curl line"
                );
                assert!(
                    f.request.is_some() && f.response.is_some(),
                    "{name}: {id} lacks the exchange"
                );
            }
        }
        insta::assert_json_snapshot!(name, normalised(&report));
        report
    })
}

#[test]
fn reference_server_passes_with_zero_findings() {
    let report = block_on(async {
        let server = openlineage_conformance::server::start("127.0.0.1:0", ServerConfig::default())
            .await
            .expect("reference server");
        let mut opts = options(server.base_url.clone());
        opts.strict = true;
        run(opts).await.expect("run")
    });
    assert!(failed(&report).is_empty(), "{}", report.human());
    assert_eq!(
        report.count(Outcome::Pass),
        CHECKS.len(),
        "{}",
        report.human()
    );
    assert_eq!(report.exit_code(), 0);
    insta::assert_json_snapshot!("reference", normalised(&report));
}

#[test]
fn accepts_invalid_events() {
    let report = expect_failures(
        "accepts_invalid",
        zoo(|_| StatusCode::OK.into_response(), reference_batch),
        &[
            "single.invalid.missing.rejected",
            "single.invalid.type.rejected",
            "single.invalid.shape.rejected",
            "single.malformed.rejected",
        ],
    );
    // Should-tier failures are warnings by default and failures with --strict.
    assert_eq!(report.exit_code(), 0);
    let strict = Report {
        strict: true,
        ..report
    };
    assert_eq!(strict.exit_code(), 1);
}

#[test]
fn server_error_on_facets() {
    let report = expect_failures(
        "error_on_facet",
        zoo(
            |b| {
                if String::from_utf8_lossy(b).contains("\"acme_custom\"") {
                    StatusCode::INTERNAL_SERVER_ERROR.into_response()
                } else {
                    reference_single(b)
                }
            },
            reference_batch,
        ),
        &[
            "single.no_server_error",
            "single.valid.custom_facets.accepted",
        ],
    );
    assert_eq!(report.exit_code(), 1);
}

#[test]
fn miscounted_summary() {
    expect_failures(
        "miscounted_summary",
        zoo(reference_single, |b| {
            batch_with(b, |v, _| {
                let s = v["summary"]["successful"].as_u64().unwrap_or(0);
                v["summary"]["successful"] = json!(s + 1);
            })
        }),
        &["batch.mixed.summary", "batch.valid.accepted"],
    );
}

#[test]
fn one_based_indices() {
    expect_failures(
        "one_based_indices",
        zoo(reference_single, |b| {
            batch_with(b, |v, _| {
                for f in v["failed_events"].as_array_mut().into_iter().flatten() {
                    let i = f["index"].as_u64().unwrap_or(0);
                    f["index"] = json!(i + 1);
                }
            })
        }),
        &["batch.mixed.failed_indices"],
    );
}

#[test]
fn success_with_failures() {
    expect_failures(
        "success_with_failures",
        zoo(reference_single, |b| {
            batch_with(b, |v, _| v["status"] = json!("success"))
        }),
        &["batch.mixed.status"],
    );
}

#[test]
fn missing_summary() {
    expect_failures(
        "missing_summary",
        zoo(reference_single, |b| {
            batch_with(b, |v, _| {
                v.as_object_mut().map(|o| o.remove("summary"));
            })
        }),
        &["batch.response.schema"],
    );
}

#[test]
fn drops_an_event() {
    expect_failures(
        "drops_an_event",
        zoo(reference_single, |b| {
            batch_with(b, |v, n| {
                // The last event is lost without trace.
                v["summary"]["received"] = json!(n.saturating_sub(1));
                let s = v["summary"]["successful"].as_u64().unwrap_or(0);
                v["summary"]["successful"] = json!(s.saturating_sub(1));
            })
        }),
        &["batch.valid.accepted", "batch.mixed.summary"],
    );
}

#[test]
fn rejects_custom_facets() {
    expect_failures(
        "rejects_custom_facets",
        zoo(
            |b| {
                if String::from_utf8_lossy(b).contains("\"acme_") {
                    (
                        StatusCode::BAD_REQUEST,
                        Json(json!({"error": "unknown facet"})),
                    )
                        .into_response()
                } else {
                    reference_single(b)
                }
            },
            reference_batch,
        ),
        &["single.valid.custom_facets.accepted"],
    );
}

#[test]
fn rejects_events_without_event_type() {
    expect_failures(
        "rejects_no_event_type",
        zoo(
            |b| {
                let v: Value = serde_json::from_slice(b).unwrap_or_default();
                if v.get("run").is_some() && v.get("eventType").is_none() {
                    StatusCode::UNPROCESSABLE_ENTITY.into_response()
                } else {
                    reference_single(b)
                }
            },
            reference_batch,
        ),
        &["single.valid.no_event_type.accepted"],
    );
}

#[test]
fn a_hanging_server_is_detected_fast() {
    block_on(async {
        let app = Router::new().fallback(|| async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            StatusCode::OK
        });
        let (addr, _task) = serve(app).await;
        let started = std::time::Instant::now();
        let report = run_against(addr, |o| o.timeout = Duration::from_millis(300)).await;
        // Three timeouts in a row stop the run: seconds, not cases x timeout.
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "took {:?}",
            started.elapsed()
        );
        assert!(report.stalled.is_some());
        assert!(
            report.requests <= 16,
            "{} requests sent to a dead server",
            report.requests
        );
        assert_eq!(failed(&report), ["transport.answered"]);
        assert_eq!(report.exit_code(), 1);
    });
}

#[test]
fn a_server_that_stalls_midway_costs_seconds() {
    block_on(async {
        // Answers the preflight and small requests, then hangs on every batch.
        let app = Router::new()
            .route(
                "/api/v1/lineage",
                post(|b: Bytes| async move { reference_single(&b) }),
            )
            .route(
                "/api/v1/lineage/batch",
                post(|| async {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    StatusCode::OK
                }),
            );
        let (addr, _task) = serve(app).await;
        let started = std::time::Instant::now();
        let report = run_against(addr, |o| o.timeout = Duration::from_millis(300)).await;
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "took {:?}",
            started.elapsed()
        );
        assert!(report.stalled.is_some());
        assert!(failed(&report).contains(&"transport.answered"));
        assert_eq!(report.exit_code(), 1);
    });
}

#[test]
fn a_server_that_resets_large_bodies() {
    block_on(async {
        let addr = raw_server(|mut sock| async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 8192];
                    let head_end = loop {
                        let Ok(n) = sock.read(&mut chunk).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break i + 4;
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
                    let length: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    if length > 256 * 1024 {
                        // Closing with unread data makes the kernel send a reset.
                        let _ = sock.set_zero_linger();
                        return;
                    }
                    while buf.len() < head_end + length {
                        let Ok(n) = sock.read(&mut chunk).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                    }
                    let body = &buf[head_end..head_end + length];
                    let (status, json) = if head.contains("/lineage/batch") {
                        let (s, b) = answer_batch(&cfg(), body);
                        (s, Some(b))
                    } else {
                        answer_single(&cfg(), body)
                    };
                    let text = json.map(|j| j.to_string()).unwrap_or_default();
                    let resp = format!(
                        "HTTP/1.1 {} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                        status.as_u16(),
                        text.len()
                    );
                    let _ = sock.write_all(resp.as_bytes()).await;
        })
        .await;
        let report = run_against(addr, |_| {}).await;
        let got = failed(&report);
        assert!(got.contains(&"batch.large.accepted"), "{got:?}");
        assert!(got.contains(&"transport.answered"), "{got:?}");
        assert!(report.stalled.is_none());
        let tiers: Vec<CheckTier> = report
            .results
            .iter()
            .filter(|r| r.outcome == Outcome::Fail)
            .map(|r| r.tier)
            .collect();
        assert!(tiers.contains(&CheckTier::Must));
    });
}

#[test]
fn a_server_that_answers_garbage_is_reported_not_crashed_on() {
    block_on(async {
        let addr = raw_server(|mut sock| async move {
            let mut buf = [0u8; 4096];
            let _ = sock.read(&mut buf).await;
            let _ = sock.write_all(b"\x00\xffthis is not HTTP\r\n\r\n").await;
        })
        .await;
        let report = run_against(addr, |o| o.cases = 2).await;
        let got = failed(&report);
        assert!(got.contains(&"transport.answered"), "{got:?}");
        assert_eq!(report.exit_code(), 1);
        let f = report
            .results
            .iter()
            .find(|r| r.id == "transport.answered")
            .and_then(|r| r.failure.as_ref())
            .expect("details");
        assert!(
            f.response
                .as_ref()
                .is_some_and(|r| r.line.starts_with("no answer")),
            "{f:?}"
        );
    });
}

/// Each failure's shrunk request, message and shrink steps, by check id.
fn failure_details(report: &Report) -> Vec<(String, String, String, usize)> {
    report
        .results
        .iter()
        .filter_map(|r| {
            let f = r.failure.as_ref()?;
            let body = f
                .request
                .as_ref()
                .map(|x| x.body.clone())
                .unwrap_or_default();
            Some((r.id.clone(), body, f.message.clone(), f.shrink_steps))
        })
        .collect()
}

#[test]
fn failures_do_not_depend_on_concurrency_or_selection() {
    block_on(async {
        let (addr, _task) = serve(zoo(|_| StatusCode::OK.into_response(), reference_batch)).await;
        let serial = run_against(addr, |o| o.concurrency = 1).await;
        let parallel = run_against(addr, |o| o.concurrency = 16).await;
        let details = failure_details(&serial);
        assert!(details.len() >= 4, "{}", serial.human());
        assert_eq!(details, failure_details(&parallel));
        // A case's seed depends on its family and number only, so running one check alone
        // finds the same first failure and shrinks it the same way.
        let id = "single.invalid.type.rejected";
        let alone = run_against(addr, |o| {
            o.include = vec![glob::Pattern::new(id).expect("glob")];
        })
        .await;
        let pick = |d: Vec<(String, String, String, usize)>| d.into_iter().find(|x| x.0 == id);
        assert!(pick(failure_details(&alone)).is_some());
        assert_eq!(pick(failure_details(&alone)), pick(details));
    });
}
