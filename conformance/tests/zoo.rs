//! A zoo of deliberately broken servers, each wrong in one way: the runner must fail each for
//! exactly the right check ids, whatever the seed, and pass the reference server with no
//! finding at all.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::future::Future;
use std::io::Read as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use openlineage_conformance::checks::{CheckId, CheckTier, CHECKS};
use openlineage_conformance::expectations::Expectations;
use openlineage_conformance::options::CRASH_RESENDS;
use openlineage_conformance::readback::{Adapter, ReadBackOptions};
use openlineage_conformance::report::{Outcome, Report};
use openlineage_conformance::runner::{run, RunOptions, Selection};
use openlineage_conformance::server::{answer_batch, answer_single, ServerConfig};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const SEEDS: [u64; 3] = [42, 3, 1234];

fn options(target: String, seed: u64) -> RunOptions {
    let mut o = RunOptions::new(&target).expect("a valid target");
    o.timeout = Duration::from_secs(5);
    o.seed = seed;
    // Every kind of case is sent whatever this says; more cases only vary within kinds.
    o.cases = 4;
    o
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

/// The body as the reference server would read it: gzip undone.
fn decoded(headers: &HeaderMap, body: &[u8]) -> Vec<u8> {
    if headers
        .get("content-encoding")
        .is_some_and(|v| v.as_bytes() == b"gzip")
    {
        let mut out = Vec::new();
        if flate2::read::GzDecoder::new(body)
            .read_to_end(&mut out)
            .is_ok()
        {
            return out;
        }
    }
    body.to_vec()
}

type Handler = Arc<dyn Fn(&HeaderMap, &[u8]) -> Response + Send + Sync>;

/// A server whose single and batch handlers see the headers and the decoded body.
fn zoo_with(single: Handler, batch: Handler) -> Router {
    Router::new()
        .route(
            "/api/v1/lineage",
            post(move |h: HeaderMap, b: Bytes| async move { single(&h, &decoded(&h, &b)) }),
        )
        .route(
            "/api/v1/lineage/batch",
            post(move |h: HeaderMap, b: Bytes| async move { batch(&h, &decoded(&h, &b)) }),
        )
        // axum refuses bodies over 2 MB by default, which the large-batch check catches; each
        // zoo server must be wrong in its own way only.
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024 * 1024))
}

/// A server whose single and batch handlers are the given functions of the decoded body.
fn zoo(single: fn(&[u8]) -> Response, batch: fn(&[u8]) -> Response) -> Router {
    zoo_with(
        Arc::new(move |_, b| single(b)),
        Arc::new(move |_, b| batch(b)),
    )
}

/// The reference server, except where `deviate` gives the single endpoint's answer.
fn single_except(deviate: fn(&[u8]) -> Option<Response>) -> Router {
    zoo_with(
        Arc::new(move |_, b| deviate(b).unwrap_or_else(|| reference_single(b))),
        Arc::new(|_, b| reference_batch(b)),
    )
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

async fn serve(app: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
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

/// What a raw HTTP/1.1 server does with one request: answer `(status, body)`, or reset.
type RawHandler = Arc<dyn Fn(&str, &[u8]) -> Option<(u16, String)> + Send + Sync>;

/// One request per connection, read with Content-Length only (no chunked transfer coding, as
/// some small servers do): `handle` gets the lower-cased head and the body.
async fn raw_http(handle: RawHandler) -> SocketAddr {
    raw_http_with(handle, false).await
}

/// Decodes a chunked body; `None` until it is complete.
fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&data[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return data.starts_with(b"\r\n").then_some(out);
        }
        if data.len() < size + 2 {
            return None;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

/// [`raw_http`], taking chunked and large bodies too when `full` says so.
async fn raw_http_with(handle: RawHandler, full: bool) -> SocketAddr {
    let chunked = full;
    let limit = if full { 64 << 20 } else { 256 * 1024 };
    raw_server(move |mut sock| {
        let handle = handle.clone();
        async move {
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
            let answer = if head.contains("transfer-encoding: chunked") && chunked {
                let body = loop {
                    if let Some(body) = dechunk(&buf[head_end..]) {
                        break body;
                    }
                    let Ok(n) = sock.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                };
                handle(&head, &body)
            } else if head.contains("transfer-encoding: chunked") {
                Some((411, String::from("{\"error\":\"length required\"}")))
            } else {
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                if length <= limit {
                    while buf.len() < head_end + length {
                        let Ok(n) = sock.read(&mut chunk).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                    }
                }
                let body = &buf[head_end..(head_end + length).min(buf.len())];
                if length > limit {
                    None
                } else {
                    handle(&head, body)
                }
            };
            let Some((status, text)) = answer else {
                // Closing with unread data (or lingering zero) makes the kernel send a reset.
                let _ = sock.set_zero_linger();
                return;
            };
            let resp = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                text.len()
            );
            let _ = sock.write_all(resp.as_bytes()).await;
        }
    })
    .await
}

/// The reference answers, for a raw server.
fn raw_reference(head: &str, body: &[u8]) -> (u16, String) {
    let body = if head.contains("content-encoding: gzip") {
        let mut out = Vec::new();
        let _ = flate2::read::GzDecoder::new(body).read_to_end(&mut out);
        out
    } else {
        body.to_vec()
    };
    let (status, json) = if head.contains("/lineage/batch") {
        let (s, b) = answer_batch(&cfg(), &body);
        (s, Some(b))
    } else {
        answer_single(&cfg(), &body)
    };
    (
        status.as_u16(),
        json.map(|j| j.to_string()).unwrap_or_default(),
    )
}

/// The checks a report found violated, whatever their tier (fail, warn or note).
fn failed(report: &Report) -> BTreeSet<&str> {
    report
        .results
        .iter()
        .filter(|r| !r.distinct.is_empty())
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

async fn run_at(addr: SocketAddr, seed: u64, tweak: impl FnOnce(&mut RunOptions)) -> Report {
    let mut opts = options(format!("http://{addr}/api/v1"), seed);
    tweak(&mut opts);
    run(opts).await.expect("the run completes")
}

/// Runs the suite against a server with several seeds: each run must fail exactly `exact`,
/// each failure with a request, a response and a reproduction. Returns the first seed's report.
async fn exactly(name: &str, addr: SocketAddr, exact: &[CheckId]) -> Report {
    let want: BTreeSet<&str> = exact.iter().map(|c| c.id()).collect();
    let mut first = None;
    for seed in SEEDS {
        let report = run_at(addr, seed, |_| {}).await;
        // Servers built on the reference server refuse 100,000-deep nesting as its parser
        // does (RFC 8259 section 9 allows it): that strict note has tests of its own.
        let mut found = failed(&report);
        if !exact.contains(&CheckId::DeepNesting) {
            found.remove(CheckId::DeepNesting.id());
        }
        assert_eq!(found, want, "{name}, seed {seed}:\n{}", report.human());
        for r in report.results.iter().filter(|r| !r.distinct.is_empty()) {
            assert_eq!(
                r.distinct.iter().filter(|k| k.shown).count(),
                r.failures.len(),
                "{name}: {} shows one failure per distinct one, up to a bound",
                r.id
            );
            for f in &r.failures {
                if r.id != CheckId::TransportAnswered.id() {
                    assert!(
                        f.curl
                            .as_deref()
                            .is_some_and(|c| ["curl ", "printf ", "base64 -d <<"]
                                .iter()
                                .any(|p| c.starts_with(p))),
                        "{name}: {} has no curl line",
                        r.id
                    );
                    assert!(
                        f.request.is_some() && f.response.is_some(),
                        "{name}: {} lacks the exchange",
                        r.id
                    );
                }
                assert!(!f.message.contains("Some("), "{name}: {}", f.message);
            }
        }
        first.get_or_insert(report);
    }
    first.expect("at least one seed")
}

/// Serves `app`, checks the exact failures across seeds and snapshots the outcomes.
fn expect_exactly(name: &str, app: Router, exact: &[CheckId]) -> Report {
    block_on(async {
        let addr = serve(app).await;
        let report = exactly(name, addr, exact).await;
        insta::assert_json_snapshot!(name, normalised(&report));
        report
    })
}

#[test]
fn reference_server_passes_strict_with_zero_findings() {
    let report = block_on(async {
        let server = openlineage_conformance::server::start("127.0.0.1:0", ServerConfig::default())
            .await
            .expect("reference server");
        let mut report = None;
        for seed in SEEDS {
            let mut opts = options(server.base_url.clone(), seed);
            opts.strict = true;
            // Read-back too, so that every check is judged.
            opts.read_back = Some(ReadBackOptions::new(Adapter::Reference));
            let r = run(opts).await.expect("run");
            // Its parser limits nesting depth, as RFC 8259 section 9 allows: the one strict
            // note it gets.
            assert_eq!(
                failed(&r),
                BTreeSet::from([CheckId::DeepNesting.id()]),
                "seed {seed}: {}",
                r.human()
            );
            report.get_or_insert(r);
        }
        report.expect("a report")
    });
    assert_eq!(
        report.count(Outcome::Pass),
        CHECKS.len() - 1,
        "{}",
        report.human()
    );
    assert_eq!(report.exit_code(), 0);
    insta::assert_json_snapshot!("reference", normalised(&report));
}

#[test]
fn accepts_invalid_events() {
    let report = expect_exactly(
        "accepts_invalid",
        zoo(|_| StatusCode::OK.into_response(), reference_batch),
        &[
            CheckId::InvalidMissing,
            CheckId::InvalidType,
            CheckId::InvalidEnum,
            CheckId::InvalidShape,
            CheckId::InvalidBody,
            CheckId::InvalidFacetBase,
            CheckId::InvalidFormat,
            CheckId::Malformed,
            CheckId::DuplicateKeys,
            CheckId::FacetSchema,
        ],
    );
    // Should-tier failures are warnings by default and failures with --strict.
    assert_eq!(report.exit_code(), 0);
    assert_eq!(report.count(Outcome::Warn), 8, "{}", report.totals());
    let strict = block_on(async {
        let addr = serve(zoo(|_| StatusCode::OK.into_response(), reference_batch)).await;
        run_at(addr, 42, |o| o.strict = true).await
    });
    assert_eq!(strict.exit_code(), 1);
    assert_eq!(strict.count(Outcome::Fail), 8, "{}", strict.totals());
    assert_eq!(strict.count(Outcome::Warn), 0);
    // Every kind of malformed body is a distinct failure, and each is shown.
    assert!(malformed_all_reproduced(&report));
    let malformed = report
        .results
        .iter()
        .find(|r| r.id == CheckId::Malformed)
        .expect("result");
    assert!(malformed.distinct.len() >= 5, "{}", report.human());
    assert_eq!(malformed.failures.len(), malformed.distinct.len().min(6));
    let empty = malformed
        .failures
        .iter()
        .find(|f| f.signature.ends_with("malformed.empty"))
        .expect("the empty body is one of them");
    assert!(empty.message.contains("an empty body"), "{}", empty.message);
    assert!(!report.human().contains("EOF while parsing"));
    // The server with the most distinct failures: its HTML report names every one and stays
    // small enough to open and to keep as a CI artifact.
    let html = report.html();
    assert!(html.len() < 1_000_000, "{} bytes", html.len());
    for r in &report.results {
        assert!(html.contains(&format!("id=\"check-{}\"", r.id)), "{}", r.id);
        for k in &r.distinct {
            assert!(html.contains(&escaped(&k.signature)), "{}", k.signature);
        }
    }
}

/// `s` as the HTML report writes text.
fn escaped(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Whether every shown failure of single.malformed.rejected was replayed and failed again.
fn malformed_all_reproduced(report: &Report) -> bool {
    report
        .results
        .iter()
        .filter(|r| r.id == CheckId::Malformed)
        .flat_map(|r| &r.failures)
        .all(|f| f.reproduced == Some(true))
}

#[test]
fn server_error_on_facets() {
    let report = expect_exactly(
        "error_on_facet",
        single_except(|b| {
            String::from_utf8_lossy(b)
                .contains("\"acme_custom\"")
                .then(|| StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }),
        &[CheckId::SingleNoServerError],
    );
    assert_eq!(report.exit_code(), 1);
    // The 500 is one cause, reported once: the custom-facet check hears nothing of it.
    let custom = report
        .results
        .iter()
        .find(|r| r.id == CheckId::CustomFacets)
        .expect("result");
    assert_eq!(custom.outcome, Outcome::NotRun);
    assert!(custom
        .not_run_reason
        .as_deref()
        .is_some_and(|r| r.contains("5xx")));
}

#[test]
fn distinct_server_errors_of_one_check_are_each_reported() {
    // Three different bugs, each a 500 on its own kind of input.
    let report = expect_exactly(
        "three_kinds_of_500",
        single_except(|b| {
            let text = String::from_utf8_lossy(b);
            (b.is_empty() || text.contains("x-deep") || text.contains("\"FINISHED\""))
                .then(|| StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }),
        &[CheckId::SingleNoServerError],
    );
    let r = report
        .results
        .iter()
        .find(|r| r.id == CheckId::SingleNoServerError)
        .expect("result");
    let sigs: BTreeSet<&str> = r.failures.iter().map(|f| f.signature.as_str()).collect();
    assert_eq!(r.distinct.len(), 3, "{sigs:?}");
    for want in [
        "malformed.empty",
        "malformed.deep_nesting",
        "enum.eventType",
    ] {
        assert!(
            sigs.iter().any(|s| s.ends_with(want)),
            "{want} missing from {sigs:?}"
        );
    }
}

#[test]
fn miscounted_summary() {
    expect_exactly(
        "miscounted_summary",
        zoo(reference_single, |b| {
            batch_with(b, |v, _| {
                let s = v["summary"]["successful"].as_u64().unwrap_or(0);
                v["summary"]["successful"] = json!(s + 1);
            })
        }),
        &[CheckId::SummaryAddsUp],
    );
}

#[test]
fn one_based_indices() {
    let report = expect_exactly(
        "one_based_indices",
        zoo(reference_single, |b| {
            batch_with(b, |v, _| {
                for f in v["failed_events"].as_array_mut().into_iter().flatten() {
                    let i = f["index"].as_u64().unwrap_or(0);
                    f["index"] = json!(i + 1);
                }
            })
        }),
        &[
            CheckId::FailedEventsIndices,
            CheckId::MixedIndices,
            CheckId::MixedValidCounted,
        ],
    );
    let text = report.human();
    assert!(!text.contains("Some("), "{text}");
}

#[test]
fn success_with_failures() {
    expect_exactly(
        "success_with_failures",
        zoo(reference_single, |b| {
            batch_with(b, |v, _| v["status"] = json!("success"))
        }),
        &[CheckId::SummaryStatus],
    );
}

#[test]
fn missing_summary_is_reported_once() {
    // The broken body is one cause: the schema check reports it, the accounting checks do not.
    expect_exactly(
        "missing_summary",
        zoo(reference_single, |b| {
            batch_with(b, |v, _| {
                v.as_object_mut().map(|o| o.remove("summary"));
            })
        }),
        &[CheckId::ResponseSchema],
    );
}

#[test]
fn drops_an_event() {
    expect_exactly(
        "drops_an_event",
        zoo(reference_single, |b| {
            batch_with(b, |v, n| {
                // The last event is lost without trace.
                v["summary"]["received"] = json!(n.saturating_sub(1));
                let s = v["summary"]["successful"].as_u64().unwrap_or(0);
                v["summary"]["successful"] = json!(s.saturating_sub(1));
            })
        }),
        &[CheckId::SummaryReceived, CheckId::SummaryAddsUp],
    );
}

#[test]
fn rejects_custom_facets() {
    expect_exactly(
        "rejects_custom_facets",
        single_except(|b| {
            String::from_utf8_lossy(b).contains("\"acme_").then(|| {
                (
                    StatusCode::BAD_REQUEST,
                    Json(json!({"error": "unknown facet"})),
                )
                    .into_response()
            })
        }),
        &[CheckId::CustomFacets],
    );
}

#[test]
fn rejects_events_without_event_type() {
    expect_exactly(
        "rejects_no_event_type",
        single_except(|b| {
            let v: Value = serde_json::from_slice(b).unwrap_or_default();
            (v.get("run").is_some() && v.get("eventType").is_none())
                .then(|| StatusCode::UNPROCESSABLE_ENTITY.into_response())
        }),
        &[CheckId::NoEventType],
    );
}

#[test]
fn rejecting_deleted_markers_fails_only_the_ambiguity_check() {
    let report = expect_exactly(
        "rejects_deleted_markers",
        zoo(
            |b| {
                if String::from_utf8_lossy(b).contains("\"_deleted\"") {
                    StatusCode::BAD_REQUEST.into_response()
                } else {
                    reference_single(b)
                }
            },
            |b| {
                if String::from_utf8_lossy(b).contains("\"_deleted\"") {
                    StatusCode::BAD_REQUEST.into_response()
                } else {
                    reference_batch(b)
                }
            },
        ),
        &[CheckId::DeletedFacet],
    );
    // A strict-tier ambiguity never fails the run, even under --strict.
    assert_eq!(
        Report {
            strict: true,
            ..report
        }
        .exit_code(),
        0
    );
}

#[test]
fn accepting_repeated_keys_passes_strict() {
    let report = expect_exactly(
        "accepts_repeated_keys",
        zoo(
            |b| match serde_json::from_slice::<Value>(b) {
                // As Python and Jackson do by default: the last value wins.
                Ok(v) => reference_single(v.to_string().as_bytes()),
                Err(_) => StatusCode::BAD_REQUEST.into_response(),
            },
            reference_batch,
        ),
        &[CheckId::DuplicateKeys],
    );
    assert_eq!(
        Report {
            strict: true,
            ..report
        }
        .exit_code(),
        0
    );
}

/// A server that remembers runs: `reject` says whether an event (`TYPE@eventTime`) for a run
/// with `history` (earlier events, the same way) is refused with 409.
fn stateful(reject: fn(&[String], &str) -> bool) -> Router {
    let runs: Arc<Mutex<HashMap<String, Vec<String>>>> = Arc::default();
    let single: Handler = Arc::new(move |_, b| {
        let v: Value = serde_json::from_slice(b).unwrap_or_default();
        let (Some(run), Some(t), Some(at)) = (
            v.pointer("/run/runId").and_then(Value::as_str),
            v.get("eventType").and_then(Value::as_str),
            v.get("eventTime").and_then(Value::as_str),
        ) else {
            return reference_single(b);
        };
        let t = format!("{t}@{at}");
        let t = t.as_str();
        let response = reference_single(b);
        if !response.status().is_success() {
            return response;
        }
        let Ok(mut runs) = runs.lock() else {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        };
        let history = runs.entry(run.to_string()).or_default();
        if reject(history, t) {
            return (
                StatusCode::CONFLICT,
                Json(json!({"error": format!("{t} not allowed after {}", history.join(", "))})),
            )
                .into_response();
        }
        history.push(t.to_string());
        response
    });
    zoo_with(single, Arc::new(|_, b| reference_batch(b)))
}

fn terminal(t: &str) -> bool {
    matches!(t, "COMPLETE" | "FAIL" | "ABORT")
}

#[test]
fn start_after_complete_fails_only_the_lifecycle_check_and_reproduces_on_a_fresh_server() {
    let reject: fn(&[String], &str) -> bool = |history, t| {
        t.starts_with("START@")
            && history
                .iter()
                .any(|h| terminal(h.split('@').next().unwrap_or("")))
    };
    let report = expect_exactly(
        "rejects_start_after_complete",
        stateful(reject),
        &[CheckId::LifecycleOutOfOrder],
    );
    let f = report
        .results
        .iter()
        .find(|r| r.id == CheckId::LifecycleOutOfOrder)
        .and_then(|r| r.failures.first().cloned())
        .expect("failure");
    assert!(f.sequence.len() >= 2, "every request of the case is listed");
    let script = f.curl.expect("curl");
    assert_eq!(script.lines().count(), f.sequence.len(), "{script}");
    // The reproduction alone, against a fresh server, shows the same refusal.
    let out = block_on(async {
        let addr = serve(stateful(reject)).await;
        let base = report.target.clone();
        let script = script.replace(&base, &format!("http://{addr}/api/v1"));
        let path = std::env::temp_dir().join(format!("ol-zoo-repro-{}.sh", std::process::id()));
        std::fs::write(&path, script).expect("script");
        tokio::process::Command::new("sh")
            .arg(&path)
            .output()
            .await
            .expect("sh runs")
    });
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("HTTP/1.1 409"), "{stdout}");
    assert!(f.message.contains("START got status 409"), "{}", f.message);
}

#[test]
fn lifecycle_strict_server_fails_out_of_order_and_repeats() {
    // Refuses anything after a terminal event, and any event type twice.
    expect_exactly(
        "lifecycle_strict",
        stateful(|history, t| {
            history
                .iter()
                .any(|h| terminal(h.split('@').next().unwrap_or("")))
                || history.iter().any(|h| h == t)
        }),
        &[CheckId::LifecycleOutOfOrder, CheckId::DuplicateDelivery],
    );
}

#[test]
fn content_type_parameters_are_accepted() {
    expect_exactly(
        "rejects_content_type_parameters",
        zoo_with(
            Arc::new(|h, b| {
                let ct = h.get("content-type").map(|v| v.as_bytes().to_vec());
                match ct.as_deref() {
                    Some(b"application/json") => reference_single(b),
                    Some(b"text/plain") => StatusCode::UNSUPPORTED_MEDIA_TYPE.into_response(),
                    _ => StatusCode::UNSUPPORTED_MEDIA_TYPE.into_response(),
                }
            }),
            Arc::new(|_, b| reference_batch(b)),
        ),
        &[CheckId::ContentTypeParams],
    );
}

#[test]
fn a_server_that_ignores_content_encoding() {
    // It parses the gzip bytes as JSON and answers 400, where it should undo the coding or
    // answer 415.
    let app = Router::new()
        .route(
            "/api/v1/lineage",
            post(|b: Bytes| async move { reference_single(&b) }),
        )
        .route(
            "/api/v1/lineage/batch",
            post(|b: Bytes| async move { reference_batch(&b) }),
        )
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024 * 1024));
    expect_exactly("ignores_content_encoding", app, &[CheckId::ContentEncoding]);
}

#[test]
fn millisecond_only_times() {
    expect_exactly(
        "millisecond_only_times",
        single_except(|b| {
            let v: Value = serde_json::from_slice(b).unwrap_or_default();
            let t = v.get("eventTime").and_then(Value::as_str).unwrap_or("");
            // Parses `YYYY-MM-DDTHH:MM:SS.mmm` and an offset (either case), nothing else.
            let ok = t.len() >= 24
                && t.as_bytes()[19] == b'.'
                && t[20..23].bytes().all(|c| c.is_ascii_digit())
                && matches!(t.as_bytes()[23], b'Z' | b'z' | b'+' | b'-');
            (v.get("eventTime").is_some() && !ok && v.get("run").is_some())
                .then(|| StatusCode::BAD_REQUEST.into_response())
        }),
        &[CheckId::TimePrecision],
    );
}

#[test]
fn only_the_newest_schema_url() {
    expect_exactly(
        "rejects_old_schema_urls",
        single_except(|b| {
            let v: Value = serde_json::from_slice(b).unwrap_or_default();
            let url = v
                .get("schemaURL")
                .and_then(Value::as_str)
                .unwrap_or("2-0-2");
            (!url.contains("2-0-2")).then(|| StatusCode::BAD_REQUEST.into_response())
        }),
        &[CheckId::SchemaUrl],
    );
}

#[test]
fn all_failed_batch_answered_204() {
    expect_exactly(
        "all_failed_as_204",
        zoo(reference_single, |b| {
            let (s, v) = answer_batch(&cfg(), b);
            let all_failed = v["summary"]["failed"] == v["summary"]["received"]
                && v["summary"]["received"].as_u64() > Some(0);
            if all_failed {
                StatusCode::NO_CONTENT.into_response()
            } else {
                reply(s, Some(v))
            }
        }),
        &[CheckId::AllFailed],
    );
}

#[test]
fn validation_failures_marked_retriable() {
    expect_exactly(
        "validation_failures_retriable",
        zoo(reference_single, |b| {
            batch_with(b, |v, _| {
                let failed = v["summary"]["failed"].clone();
                v["summary"]["retriable"] = failed;
                v["summary"]["non_retriable"] = json!(0);
                for f in v["failed_events"].as_array_mut().into_iter().flatten() {
                    f["retriable"] = json!(true);
                }
            })
        }),
        &[CheckId::NotRetriable],
    );
}

#[test]
fn a_server_without_chunked_transfer_coding() {
    block_on(async {
        let addr = raw_http(Arc::new(|head, body| Some(raw_reference(head, body)))).await;
        // The raw server also resets bodies over 256 KiB: the large batch.
        let report = exactly(
            "no_chunked",
            addr,
            &[CheckId::Chunked, CheckId::TransportAnswered],
        )
        .await;
        assert!(report.stalled.is_none());
        let large = report
            .results
            .iter()
            .find(|r| r.id == CheckId::Large)
            .expect("result");
        // The reset is one cause, reported once, by the transport check.
        assert_eq!(large.outcome, Outcome::NotRun, "{}", report.human());
    });
}

#[test]
fn a_not_found_everywhere_target_gets_one_clear_finding() {
    let app = Router::new().fallback(|| async { StatusCode::NOT_FOUND });
    let report = expect_exactly("not_found_everywhere", app, &[CheckId::SingleEndpoint]);
    let f = report
        .results
        .iter()
        .find(|r| r.id == CheckId::SingleEndpoint)
        .and_then(|r| r.failures.first())
        .expect("failure");
    assert!(f.message.contains("--target"), "{}", f.message);
    assert!(report.requests <= 2, "{} requests", report.requests);
    for r in report
        .results
        .iter()
        .filter(|r| r.id != CheckId::SingleEndpoint)
    {
        assert_eq!(r.outcome, Outcome::NotRun, "{}", r.id);
        assert!(r.not_run_reason.is_some(), "{}", r.id);
    }
    assert_eq!(report.exit_code(), 1);
}

fn no_batch_server(counter: Arc<AtomicUsize>) -> Router {
    Router::new()
        .route(
            "/api/v1/lineage",
            post(|h: HeaderMap, b: Bytes| async move { reference_single(&decoded(&h, &b)) }),
        )
        .fallback(move || {
            counter.fetch_add(1, Ordering::Relaxed);
            async { StatusCode::NOT_FOUND }
        })
}

#[test]
fn a_target_without_a_batch_endpoint() {
    let batch_requests = Arc::new(AtomicUsize::new(0));
    let report = expect_exactly(
        "no_batch_endpoint",
        no_batch_server(batch_requests.clone()),
        &[CheckId::BatchEndpoint],
    );
    let deps: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.id.starts_with("batch.") && r.id != CheckId::BatchEndpoint)
        .collect();
    assert!(deps.iter().all(|r| r.outcome == Outcome::NotRun
        && r.not_run_reason
            .as_deref()
            .is_some_and(|s| s.contains("no batch endpoint"))));
    // One probe per run, nothing else.
    assert_eq!(batch_requests.load(Ordering::Relaxed), SEEDS.len());
    block_on(async {
        let counter = Arc::new(AtomicUsize::new(0));
        let addr = serve(no_batch_server(counter.clone())).await;
        // One expectations line gives a clean run: an xfail and checks not run, no xpass.
        let expected = run_at(addr, 5, |o| {
            o.strict = true;
            o.expectations =
                Some(Expectations::parse("batch.* = no batch endpoint", "test").expect("parses"));
        })
        .await;
        assert_eq!(expected.count(Outcome::XPass), 0, "{}", expected.human());
        assert_eq!(expected.exit_code(), 0, "{}", expected.human());
        // So does excluding them, and then no batch request is sent at all.
        let sent_before = counter.load(Ordering::Relaxed);
        let excluded = run_at(addr, 5, |o| {
            o.strict = true;
            o.selection = Selection::new(&[], &["batch.*".into()]).expect("globs");
        })
        .await;
        assert_eq!(excluded.exit_code(), 0, "{}", excluded.human());
        assert_eq!(counter.load(Ordering::Relaxed), sent_before);
    });
}

#[test]
fn an_empty_200_on_the_batch_url_means_no_batch_endpoint() {
    expect_exactly(
        "empty_200_batch",
        zoo(reference_single, |_| StatusCode::OK.into_response()),
        &[CheckId::BatchEndpoint],
    );
}

#[test]
fn a_crashing_target_is_not_resent_the_same_body_more_than_twice() {
    block_on(async {
        let seen: Arc<Mutex<HashMap<Vec<u8>, usize>>> = Arc::default();
        let log = seen.clone();
        let addr = raw_http(Arc::new(move |head, body| {
            if String::from_utf8_lossy(body).contains("x-deep") {
                if let Ok(mut log) = log.lock() {
                    *log.entry(body.to_vec()).or_default() += 1;
                }
                None
            } else {
                Some(raw_reference(head, body))
            }
        }))
        .await;
        let report = run_at(addr, 42, |o| {
            o.selection = Selection::new(
                &[
                    "single.malformed.*".into(),
                    CheckId::DeepNesting.into(),
                    CheckId::TransportAnswered.into(),
                ],
                &[],
            )
            .expect("globs");
            o.cases = 16;
        })
        .await;
        assert_eq!(
            failed(&report),
            BTreeSet::from([CheckId::TransportAnswered.id()]),
            "{}",
            report.human()
        );
        let counts = seen.lock().expect("log");
        assert!(!counts.is_empty());
        assert!(counts.values().all(|n| *n <= CRASH_RESENDS), "{counts:?}");
        // The crash is reported once, with the crashing request.
        let malformed = report
            .results
            .iter()
            .find(|r| r.id == CheckId::Malformed)
            .expect("result");
        assert_eq!(malformed.outcome, Outcome::Pass, "{}", report.human());
    });
}

#[test]
fn shrinking_stops_after_the_target_crashes_twice() {
    block_on(async {
        // The cases as first sent get 500s; after them the target crashes (resets) on every
        // request, as a server whose worker died would, so each shrink attempt crashes it.
        let seen = Arc::new(AtomicUsize::new(0));
        let resets = Arc::new(AtomicUsize::new(0));
        let (counter, crashed) = (seen.clone(), resets.clone());
        let addr = raw_http(Arc::new(move |head, body| {
            if String::from_utf8_lossy(body).contains("endpoint-probe") {
                Some(raw_reference(head, body))
            } else if counter.fetch_add(1, Ordering::Relaxed) < 6 {
                Some((500, String::new()))
            } else {
                crashed.fetch_add(1, Ordering::Relaxed);
                None
            }
        }))
        .await;
        let report = run_at(addr, 42, |o| {
            o.selection = Selection::new(
                &[
                    CheckId::ValidRun.into(),
                    CheckId::SingleNoServerError.into(),
                ],
                &[],
            )
            .expect("globs");
            o.stall_after = 1000;
        })
        .await;
        assert_eq!(report.cases_run, 6, "{}", report.human());
        let r = report
            .results
            .iter()
            .find(|r| r.id == CheckId::SingleNoServerError)
            .expect("result");
        assert_eq!(r.failures.len(), 6, "{}", report.human());
        for f in &r.failures {
            assert_eq!(f.shrink_attempts, CRASH_RESENDS, "{f:?}");
            assert!(!f.minimal);
            assert!(
                f.shrink_note
                    .as_deref()
                    .is_some_and(|n| n.contains("crashed")),
                "{f:?}"
            );
        }
        // Each request that gets no answer is tried once more on a fresh connection.
        assert_eq!(
            resets.load(Ordering::Relaxed),
            2 * CRASH_RESENDS * r.failures.len()
        );
    });
}

#[test]
fn large_failing_bodies_go_to_a_side_file_and_the_report_stays_small() {
    block_on(async {
        let app = zoo(reference_single, |b| {
            if b.len() > 1_000_000 {
                StatusCode::PAYLOAD_TOO_LARGE.into_response()
            } else {
                reference_batch(b)
            }
        });
        let addr = serve(app).await;
        let dir = std::env::temp_dir().join(format!("ol-zoo-bodies-{}", std::process::id()));
        let report = run_at(addr, 42, |o| {
            o.selection = Selection::new(&[CheckId::Large.into()], &[]).expect("globs");
            o.bodies_dir = Some(dir.clone());
        })
        .await;
        let f = report
            .results
            .iter()
            .find(|r| r.id == CheckId::Large)
            .and_then(|r| r.failures.first().cloned())
            .expect("the large batch fails");
        let file = f.body_files.first().expect("a side file");
        let size = std::fs::metadata(file).expect("written").len();
        assert!(size > 1_000_000, "{size} bytes");
        let curl = f.curl.expect("curl");
        assert!(curl.contains("--data-binary @"), "{curl}");
        assert!(curl.len() < 2000, "{} bytes of curl", curl.len());
        assert!(
            report.json().len() < 100_000,
            "{} bytes",
            report.json().len()
        );
        assert!(report.human().contains(file.as_str()));
        std::fs::remove_dir_all(&dir).ok();
    });
}

#[test]
fn excluded_checks_send_nothing() {
    block_on(async {
        let bodies: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
        let log = bodies.clone();
        let app = zoo_with(
            Arc::new(move |_, b| {
                if let Ok(mut log) = log.lock() {
                    log.push(b.to_vec());
                }
                reference_single(b)
            }),
            Arc::new(|_, b| reference_batch(b)),
        );
        let addr = serve(app).await;
        let report = run_at(addr, 42, |o| {
            o.selection = Selection::new(
                &["single.*".into()],
                &["single.malformed.*".into(), CheckId::DeepNesting.into()],
            )
            .expect("globs");
        })
        .await;
        assert!(failed(&report).is_empty(), "{}", report.human());
        let log = bodies.lock().expect("log");
        assert!(!log.is_empty());
        for b in log.iter() {
            let text = String::from_utf8_lossy(b);
            assert!(!text.contains("x-deep"), "a deep-nesting body was sent");
            assert!(!b.is_empty(), "an empty body was sent");
            assert!(
                serde_json::from_slice::<Value>(b).is_ok(),
                "a malformed body was sent: {text}"
            );
        }
    });
}

#[test]
fn a_user_header_replaces_the_runners_own_on_the_wire() {
    block_on(async {
        let seen: Arc<Mutex<Vec<Vec<String>>>> = Arc::default();
        let log = seen.clone();
        let app = zoo_with(
            Arc::new(move |h, b| {
                let types = h
                    .get_all("content-type")
                    .iter()
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                    .collect();
                if let Ok(mut log) = log.lock() {
                    log.push(types);
                }
                reference_single(b)
            }),
            Arc::new(|_, b| reference_batch(b)),
        );
        let addr = serve(app).await;
        let report = run_at(addr, 42, |o| {
            o.selection = Selection::new(&[CheckId::ValidRun.into()], &[]).expect("globs");
            o.headers = vec![(
                "Content-Type".into(),
                "application/json; charset=utf-8".into(),
            )];
        })
        .await;
        assert!(failed(&report).is_empty(), "{}", report.human());
        let log = seen.lock().expect("log");
        assert!(!log.is_empty());
        for types in log.iter() {
            assert_eq!(types, &["application/json; charset=utf-8"]);
        }
    });
}

#[test]
fn a_hanging_server_is_detected_fast() {
    block_on(async {
        let app = Router::new().fallback(|| async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            StatusCode::OK
        });
        let addr = serve(app).await;
        let started = std::time::Instant::now();
        let report = run_at(addr, 42, |o| o.timeout = Duration::from_millis(300)).await;
        // Three timeouts in a row, then one on a fresh connection, stop the run: seconds, not
        // the hundreds of cases x timeout. The bounds are loose: the workers in flight while
        // the fresh connection is tried each send one more request, more on a loaded machine.
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "took {:?}",
            started.elapsed()
        );
        assert!(report.stalled.is_some());
        assert!(
            report.requests <= 40,
            "{} requests sent to a dead server",
            report.requests
        );
        assert_eq!(
            failed(&report),
            BTreeSet::from([CheckId::TransportAnswered.id()])
        );
        assert_eq!(report.exit_code(), 1);
    });
}

#[test]
fn a_server_that_stalls_midway_costs_seconds() {
    block_on(async {
        // Answers small requests, then hangs on every batch after the probe.
        let batches = Arc::new(AtomicUsize::new(0));
        let app = Router::new()
            .route(
                "/api/v1/lineage",
                post(|b: Bytes| async move { reference_single(&b) }),
            )
            .route(
                "/api/v1/lineage/batch",
                post(move |b: Bytes| {
                    let n = batches.fetch_add(1, Ordering::Relaxed);
                    async move {
                        if n > 0 {
                            tokio::time::sleep(Duration::from_secs(3600)).await;
                        }
                        reference_batch(&b)
                    }
                }),
            );
        let addr = serve(app).await;
        let started = std::time::Instant::now();
        let report = run_at(addr, 42, |o| o.timeout = Duration::from_millis(300)).await;
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "took {:?}",
            started.elapsed()
        );
        assert!(report.stalled.is_some());
        assert!(failed(&report).contains(CheckId::TransportAnswered.id()));
        assert_eq!(report.exit_code(), 1);
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
        let report = run_at(addr, 42, |o| o.cases = 2).await;
        let got = failed(&report);
        assert!(got.contains(CheckId::TransportAnswered.id()), "{got:?}");
        assert_eq!(report.exit_code(), 1);
        let f = report
            .results
            .iter()
            .find(|r| r.id == CheckId::TransportAnswered)
            .and_then(|r| r.failures.first())
            .expect("details");
        assert!(
            f.response
                .as_ref()
                .is_some_and(|r| r.line.starts_with("no answer")),
            "{f:?}"
        );
        let tiers: HashSet<CheckTier> = report
            .results
            .iter()
            .filter(|r| r.outcome == Outcome::Fail)
            .map(|r| r.tier)
            .collect();
        assert!(tiers.contains(&CheckTier::Must));
    });
}

/// Each failure's shrunk request, message and shrink steps, by check id.
fn failure_details(report: &Report) -> Vec<(String, String, String, usize)> {
    report
        .results
        .iter()
        .flat_map(|r| {
            r.failures.iter().map(|f| {
                let body = f
                    .request
                    .as_ref()
                    .map(|x| x.body.clone())
                    .unwrap_or_default();
                (r.id.clone(), body, f.message.clone(), f.shrink_steps)
            })
        })
        .collect()
}

#[test]
fn failures_do_not_depend_on_concurrency_or_selection() {
    block_on(async {
        let addr = serve(zoo(|_| StatusCode::OK.into_response(), reference_batch)).await;
        let serial = run_at(addr, 42, |o| o.concurrency = 1).await;
        let parallel = run_at(addr, 42, |o| o.concurrency = 16).await;
        let details = failure_details(&serial);
        assert!(details.len() >= 4, "{}", serial.human());
        assert_eq!(details, failure_details(&parallel));
        // Shrinking reports true steps and whether it reached a minimal case.
        for r in &serial.results {
            for f in &r.failures {
                assert!(f.shrink_steps <= f.shrink_attempts, "{}", r.id);
                if f.minimal {
                    assert!(f.shrink_note.is_none());
                }
                assert!(
                    !f.request.as_ref().is_some_and(|x| x.body.contains("\"x-")
                        && !x.body.contains('\u{fffd}')
                        && serde_json::from_str::<Value>(&x.body).is_ok()),
                    "{}: irrelevant x- fields survive shrinking: {}",
                    r.id,
                    f.request.as_ref().map(|x| x.body.as_str()).unwrap_or("")
                );
            }
        }
        // A case's seed depends on its family and number only, so running one check alone
        // finds the same first failure and shrinks it the same way.
        let check = CheckId::InvalidType;
        let alone = run_at(addr, 42, |o| {
            o.selection = Selection::new(&[check.into()], &[]).expect("globs");
        })
        .await;
        let pick = |d: Vec<(String, String, String, usize)>| {
            d.into_iter().filter(|x| x.0 == check).collect::<Vec<_>>()
        };
        assert!(!pick(failure_details(&alone)).is_empty());
        assert_eq!(pick(failure_details(&alone)), pick(details));
    });
}

/// A lenient but honest server: stores every well-formed event without validating it, counts
/// each batch honestly (every event successful) and gives no failed_events.
fn lenient() -> Router {
    zoo(
        |b| match serde_json::from_slice::<Value>(b) {
            Ok(Value::Object(_)) => StatusCode::OK.into_response(),
            _ => StatusCode::BAD_REQUEST.into_response(),
        },
        |b| match serde_json::from_slice::<Vec<Value>>(b) {
            Ok(events) => {
                let n = events.len();
                reply(
                    StatusCode::OK,
                    Some(
                        json!({"status": "success", "summary": {"received": n, "successful": n, "failed": 0}}),
                    ),
                )
            }
            Err(_) => StatusCode::BAD_REQUEST.into_response(),
        },
    )
}

#[test]
fn a_lenient_honest_server_gets_should_findings_only() {
    let report = expect_exactly(
        "lenient_honest",
        lenient(),
        &[
            CheckId::InvalidMissing,
            CheckId::InvalidType,
            CheckId::InvalidEnum,
            CheckId::InvalidShape,
            CheckId::InvalidFacetBase,
            CheckId::InvalidFormat,
            CheckId::DuplicateKeys,
            CheckId::FacetSchema,
            CheckId::MixedInvalidCounted,
            CheckId::AllFailed,
        ],
    );
    assert_eq!(report.exit_code(), 0, "{}", report.human());
    for r in report.results.iter().filter(|r| !r.distinct.is_empty()) {
        assert_ne!(r.tier, CheckTier::Must, "{}", r.id);
    }
    // The optional fields it never sends are not judged, and say so.
    let indices = report
        .results
        .iter()
        .find(|r| r.id == CheckId::MixedIndices)
        .expect("result");
    assert_eq!(indices.outcome, Outcome::NotRun);
    let retriable = report
        .results
        .iter()
        .find(|r| r.id == CheckId::SummaryRetriable)
        .expect("result");
    assert!(
        retriable
            .not_run_reason
            .as_deref()
            .is_some_and(|r| r.contains("never gave both summary.retriable")),
        "{:?}",
        retriable.not_run_reason
    );
}

#[test]
fn a_validating_server_without_optional_fields_passes_strict() {
    let app = zoo(reference_single, |b| {
        batch_with(b, |v, _| {
            if let Some(o) = v.as_object_mut() {
                o.remove("failed_events");
            }
            if let Some(s) = v["summary"].as_object_mut() {
                s.remove("retriable");
                s.remove("non_retriable");
            }
        })
    });
    let report = expect_exactly("no_optional_fields", app.clone(), &[]);
    assert_eq!(report.exit_code(), 0);
    block_on(async {
        let addr = serve(app).await;
        let strict = run_at(addr, 42, |o| o.strict = true).await;
        assert_eq!(strict.exit_code(), 0, "{}", strict.human());
    });
}

#[test]
fn a_204_with_content_fails_only_framing_blamed_on_that_exchange_on_every_run() {
    block_on(async {
        // Answers an all-valid batch 204 with a JSON `null` (Content-Length: 4), as a Python
        // framework returning None from a 204 route does, and closes the connection.
        let addr = raw_http_with(
            Arc::new(|head, body| {
                let (status, text) = raw_reference(head, body);
                let all_ok = status == 200 && text.contains("\"success\"");
                Some(if all_ok {
                    (204, "null".into())
                } else {
                    (status, text)
                })
            }),
            true,
        )
        .await;
        let mut judged = BTreeSet::new();
        for round in 0..5 {
            let report = run_at(addr, 42, |_| {}).await;
            let mut found = failed(&report);
            found.remove(CheckId::DeepNesting.id());
            assert_eq!(
                found,
                BTreeSet::from([CheckId::TransportFraming.id()]),
                "round {round}: {}",
                report.human()
            );
            let framing = report
                .results
                .iter()
                .find(|r| r.id == CheckId::TransportFraming)
                .expect("result");
            let f = &framing.failures[0];
            assert!(f.message.contains("204"), "{}", f.message);
            assert!(
                f.response
                    .as_ref()
                    .is_some_and(|r| r.line.starts_with("status 204")),
                "{f:?}"
            );
            assert!(
                f.request
                    .as_ref()
                    .is_some_and(|r| r.line.ends_with("/lineage/batch")),
                "{f:?}"
            );
            let ran: BTreeSet<String> = report
                .results
                .iter()
                .filter(|r| r.outcome != Outcome::NotRun)
                .map(|r| r.id.clone())
                .collect();
            judged.insert(ran);
            assert!(report.stalled.is_none());
        }
        assert_eq!(
            judged.len(),
            1,
            "one seed, one set of judged checks: {judged:?}"
        );
    });
}

/// The indices a batch answer lists in failed_events.
fn listed_indices(v: &Value) -> impl Iterator<Item = u64> + '_ {
    v["failed_events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["index"].as_u64())
}

#[test]
fn a_server_reporting_a_valid_event_failed_fails_must() {
    expect_exactly(
        "valid_event_listed_failed",
        zoo(reference_single, |b| {
            batch_with(b, |v, n| {
                let listed: Vec<u64> = listed_indices(v).collect();
                let Some(valid) = (0..n as u64).find(|i| !listed.contains(i)) else {
                    return;
                };
                let entry = json!({"index": valid, "reason": "rejected", "retriable": false});
                match v["failed_events"].as_array_mut() {
                    Some(list) => list.push(entry),
                    None => v["failed_events"] = json!([entry]),
                }
                let s = &mut v["summary"];
                s["failed"] = json!(s["failed"].as_u64().unwrap_or(0) + 1);
                s["successful"] = json!(s["successful"].as_u64().unwrap_or(1) - 1);
                if let Some(nr) = s["non_retriable"].as_u64() {
                    s["non_retriable"] = json!(nr + 1);
                }
                v["status"] = json!("partial_success");
            })
        }),
        &[CheckId::MixedValidCounted, CheckId::MixedIndices],
    );
}

#[test]
fn a_202_for_every_batch_passes_by_default_and_fails_strict() {
    let app = zoo(reference_single, |b| {
        let (s, v) = answer_batch(&cfg(), b);
        if s.is_success() {
            reply(StatusCode::ACCEPTED, Some(v))
        } else {
            reply(s, Some(v))
        }
    });
    let report = expect_exactly(
        "accepted_202",
        app.clone(),
        &[CheckId::BatchStatus, CheckId::Mixed200],
    );
    assert_eq!(report.exit_code(), 0, "{}", report.human());
    block_on(async {
        let addr = serve(app).await;
        let strict = run_at(addr, 42, |o| o.strict = true).await;
        assert_eq!(strict.exit_code(), 1);
        let failing: BTreeSet<&str> = strict
            .results
            .iter()
            .filter(|r| r.outcome == Outcome::Fail)
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(
            failing,
            BTreeSet::from([CheckId::BatchStatus.id(), CheckId::Mixed200.id()])
        );
    });
}

#[test]
fn eight_kinds_of_5xx_are_each_named_in_every_format() {
    let report = expect_exactly(
        "eight_kinds_of_500",
        single_except(|b| {
            let text = std::str::from_utf8(b);
            let bad = b.is_empty()
                || text.is_err()
                || text.is_ok_and(|t| t.contains("\"FINISHED\"") || t.contains("acme_custom"))
                || serde_json::from_slice::<Value>(b).is_err();
            bad.then(|| StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }),
        &[CheckId::SingleNoServerError],
    );
    let r = report
        .results
        .iter()
        .find(|r| r.id == CheckId::SingleNoServerError)
        .expect("result");
    let kinds = [
        "malformed.empty",
        "malformed.truncated",
        "malformed.invalid_utf8",
        "malformed.deep_nesting",
        "malformed.trailing_content",
        "malformed.concatenated",
        "enum.eventType",
        "custom run and job facets",
    ];
    assert_eq!(r.distinct.len(), kinds.len(), "{:#?}", r.distinct);
    assert_eq!(r.failures.len(), 6, "six in full");
    let (human, json, junit, html) = (report.human(), report.json(), report.junit(), report.html());
    assert!(html.len() < 1_000_000, "{} bytes", html.len());
    for kind in kinds {
        let sig = format!("5xx for {kind}");
        assert!(r.distinct.iter().any(|k| k.signature == sig), "{sig}");
        assert!(human.contains(&sig), "human lacks {sig}");
        assert!(json.contains(&sig), "JSON lacks {sig}");
        assert!(junit.contains(&sig), "JUnit lacks {sig}");
        assert!(html.contains(&sig), "HTML lacks {sig}");
    }
}

#[test]
fn a_deeply_nested_unknown_field_is_a_strict_matter_only() {
    // Accepting it passes everything; refusing it is a note (the reference server's case).
    expect_exactly(
        "accepts_deep_nesting",
        single_except(|b| {
            String::from_utf8_lossy(b)
                .contains("x-deep")
                .then(|| StatusCode::OK.into_response())
        }),
        &[],
    );
    let report = expect_exactly(
        "refuses_deep_nesting",
        single_except(|_| None),
        &[CheckId::DeepNesting],
    );
    let r = report
        .results
        .iter()
        .find(|r| r.id == CheckId::DeepNesting)
        .expect("result");
    assert_eq!(r.outcome, Outcome::Note);
    assert_eq!(report.exit_code(), 0);
}

#[test]
fn a_413_that_closes_the_connection_is_no_transport_failure_on_any_seed() {
    block_on(async {
        // A collector with a small body limit: the large batch gets 413 and the connection
        // is closed with the rest of the body unread.
        let app = Router::new()
            .route(
                "/api/v1/lineage",
                post(|b: Bytes| async move { reference_single(&b) }),
            )
            .route(
                "/api/v1/lineage/batch",
                post(|b: Bytes| async move { reference_batch(&b) }),
            )
            .layer(axum::extract::DefaultBodyLimit::max(512 * 1024));
        let addr = serve(app).await;
        for seed in 0..20 {
            let report = run_at(addr, seed, |o| {
                o.selection =
                    Selection::new(&["batch.*".into(), "transport.*".into()], &[]).expect("globs");
                o.cases = 2;
            })
            .await;
            assert_eq!(
                failed(&report),
                BTreeSet::from([CheckId::Large.id()]),
                "seed {seed}: {}",
                report.human()
            );
        }
    });
}

/// Replays each shown failure's requests exactly as reported against a fresh instance of the
/// server and returns the mismatches: (check, reported answer, answer on replay).
async fn replay_against_fresh(report: &Report, app: Router) -> Vec<(String, String, String)> {
    let addr = serve(app).await;
    let old = report.target.clone();
    let new = format!("http://{addr}/api/v1");
    let client =
        openlineage_conformance::runner::http_client(Duration::from_secs(5)).expect("client");
    let mut bad = Vec::new();
    for r in &report.results {
        for f in r.failures.iter().filter(|f| !f.wire.is_empty()) {
            let mut last = None;
            for w in &f.wire {
                let mut req = client.post(w.url.replace(&old, &new));
                for (k, v) in &w.headers {
                    if !k.eq_ignore_ascii_case("transfer-encoding") {
                        req = req.header(k.as_str(), v.as_str());
                    }
                }
                last = req
                    .body(w.body.clone())
                    .send()
                    .await
                    .ok()
                    .map(|a| a.status().as_u16());
            }
            let reported = f
                .response
                .as_ref()
                .map(|x| x.line.clone())
                .unwrap_or_default();
            let replayed = last.map(|s| format!("status {s}")).unwrap_or_default();
            let class = |line: &str| line.get(..8).unwrap_or_default().to_string();
            if class(&reported) != class(&replayed) {
                bad.push((r.id.clone(), reported, replayed));
            }
        }
    }
    bad
}

#[test]
fn every_reproducer_reproduces_on_a_fresh_server() {
    type MakeServer = fn() -> Router;
    let servers: Vec<(&str, MakeServer)> = vec![
        ("accepts invalid", || {
            zoo(|_| StatusCode::OK.into_response(), reference_batch)
        }),
        ("repeated keys", || {
            zoo(
                |b| match serde_json::from_slice::<Value>(b) {
                    Ok(v) => reference_single(v.to_string().as_bytes()),
                    Err(_) => StatusCode::BAD_REQUEST.into_response(),
                },
                reference_batch,
            )
        }),
        ("lenient", lenient),
        ("one-based indices", || {
            zoo(reference_single, |b| {
                batch_with(b, |v, _| {
                    for f in v["failed_events"].as_array_mut().into_iter().flatten() {
                        let i = f["index"].as_u64().unwrap_or(0);
                        f["index"] = json!(i + 1);
                    }
                })
            })
        }),
        ("500 on custom facets", || {
            single_except(|b| {
                String::from_utf8_lossy(b)
                    .contains("\"acme_custom\"")
                    .then(|| StatusCode::INTERNAL_SERVER_ERROR.into_response())
            })
        }),
    ];
    block_on(async {
        for (name, make) in servers {
            let addr = serve(make()).await;
            let report = run_at(addr, 42, |_| {}).await;
            let shown: usize = report.results.iter().map(|r| r.failures.len()).sum();
            assert!(shown > 0, "{name}: nothing to replay");
            for r in &report.results {
                for f in &r.failures {
                    assert_eq!(f.reproduced, Some(true), "{name}: {} {}", r.id, f.signature);
                }
            }
            let bad = replay_against_fresh(&report, make()).await;
            assert!(bad.is_empty(), "{name}: {bad:#?}");
        }
    });
}

#[test]
fn a_repeated_key_reproducer_still_repeats_the_key() {
    block_on(async {
        let addr = serve(zoo(
            |b| match serde_json::from_slice::<Value>(b) {
                Ok(v) => reference_single(v.to_string().as_bytes()),
                Err(_) => StatusCode::BAD_REQUEST.into_response(),
            },
            reference_batch,
        ))
        .await;
        for seed in SEEDS {
            let report = run_at(addr, seed, |_| {}).await;
            let r = report
                .results
                .iter()
                .find(|r| r.id == CheckId::DuplicateKeys)
                .expect("result");
            for f in &r.failures {
                let body = String::from_utf8_lossy(&f.wire[0].body);
                assert!(
                    body.matches("\"producer\":").count() >= 2,
                    "seed {seed}: the reproducer lost its repeated key: {body}"
                );
                let curl = f.curl.as_deref().unwrap_or_default();
                assert!(curl.matches("\"producer\":").count() >= 2, "{curl}");
            }
        }
    });
}

#[test]
fn a_201_for_every_valid_event_is_one_failure_in_plain_words() {
    let report = expect_exactly(
        "created_201",
        single_except(|b| {
            let (s, _) = answer_single(&cfg(), b);
            (s == StatusCode::OK).then(|| StatusCode::CREATED.into_response())
        }),
        &[CheckId::Status200],
    );
    let r = report
        .results
        .iter()
        .find(|r| r.id == CheckId::Status200)
        .expect("result");
    // One cause, one signature: the event kinds are examples of it.
    assert_eq!(r.distinct.len(), 1, "{:#?}", r.distinct);
    assert!(r.distinct[0].cases > 20, "{:#?}", r.distinct);
    let message = &r.failures[0].message;
    assert_eq!(message, "expected 200 for a valid event, got status 201");
}

/// The reference server, except that bodies for which `refuse` says so get a 400.
fn refusing(refuse: fn(&str) -> bool) -> Router {
    zoo_with(
        Arc::new(move |_, b| {
            if refuse(&String::from_utf8_lossy(b)) {
                reply(StatusCode::BAD_REQUEST, Some(json!({"error": "refused"})))
            } else {
                reference_single(b)
            }
        }),
        Arc::new(move |_, b| {
            if refuse(&String::from_utf8_lossy(b)) {
                reply(StatusCode::BAD_REQUEST, Some(json!({"error": "refused"})))
            } else {
                reference_batch(b)
            }
        }),
    )
}

/// Whether JSON text has whitespace outside its strings.
fn whitespace_between_tokens(t: &str) -> bool {
    let (mut in_string, mut escaped) = (false, false);
    for c in t.chars() {
        match (in_string, escaped, c) {
            (true, true, _) => escaped = false,
            (true, false, '\\') => escaped = true,
            (true, false, '"') => in_string = false,
            (true, false, _) => {}
            (false, _, '"') => in_string = true,
            (false, _, ' ' | '\n' | '\r' | '\t') => return true,
            _ => {}
        }
    }
    false
}

#[test]
fn a_server_that_reads_only_compact_json() {
    // A hand-rolled reader that expects `{"` and no whitespace between tokens.
    expect_exactly(
        "compact_only",
        refusing(whitespace_between_tokens),
        &[CheckId::Whitespace],
    );
}

#[test]
fn a_server_that_does_not_undo_escapes() {
    // It matches names byte for byte against the raw text, so `\u003c` or `\/` breaks it.
    expect_exactly(
        "raw_escapes",
        refusing(|t| t.contains("\\u003c") || t.contains("\\/")),
        &[CheckId::Escapes],
    );
}

#[test]
fn a_server_that_reads_integers_as_64_bit_only() {
    // As a Java `long` column would: any facet integer that is not a u64 crashes the insert.
    let report = expect_exactly(
        "long_integers_only",
        single_except(|b| {
            let v: Value = serde_json::from_slice(b).ok()?;
            let stats = v.pointer("/outputs/0/outputFacets/outputStatistics/rowCount")?;
            stats
                .as_u64()
                .is_none()
                .then(|| StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }),
        &[CheckId::SingleNoServerError],
    );
    let r = report
        .results
        .iter()
        .find(|r| r.id == CheckId::SingleNoServerError)
        .expect("result");
    // Each spelling is its own failure; 1E+3 and 1e3 parse to the same f64, both named.
    assert!(r.distinct.len() >= 5, "{:#?}", r.distinct);
    assert!(r
        .distinct
        .iter()
        .all(|k| k.signature.starts_with("5xx for rowCount ")));
}

#[test]
fn a_server_that_wants_datasets() {
    expect_exactly(
        "no_empty_lists",
        refusing(|t| t.contains("\"inputs\":[]") || t.contains("\"outputs\":[]")),
        &[CheckId::EmptyLists],
    );
}

#[test]
fn a_server_that_folds_facet_key_case() {
    // It keeps facets in a case-insensitive map and refuses what looks like a duplicate.
    expect_exactly(
        "folds_key_case",
        refusing(|t| {
            let Ok(v) = serde_json::from_str::<Value>(t) else {
                return false;
            };
            let keys: Vec<String> = v
                .pointer("/run/facets")
                .and_then(Value::as_object)
                .map(|m| m.keys().map(|k| k.to_ascii_lowercase()).collect())
                .unwrap_or_default();
            let unique: BTreeSet<&String> = keys.iter().collect();
            unique.len() != keys.len()
        }),
        &[CheckId::FacetKeyCase],
    );
}

#[test]
fn a_server_that_takes_one_kind_per_batch() {
    expect_exactly(
        "one_kind_per_batch",
        zoo(reference_single, |b| {
            let kinds: BTreeSet<&str> = serde_json::from_slice::<Vec<Value>>(b)
                .unwrap_or_default()
                .iter()
                .map(|e| match (e.get("run"), e.get("job")) {
                    (Some(_), _) => "run",
                    (None, Some(_)) => "job",
                    _ => "dataset",
                })
                .collect();
            if kinds.len() > 1 {
                reply(
                    StatusCode::BAD_REQUEST,
                    Some(json!({"error": "one kind per batch"})),
                )
            } else {
                reference_batch(b)
            }
        }),
        &[CheckId::BatchValid, CheckId::Mixed200],
    );
}

#[test]
fn a_batch_answer_that_is_not_labelled_json() {
    expect_exactly(
        "batch_answer_text_plain",
        zoo(reference_single, |b| {
            let (s, v) = answer_batch(&cfg(), b);
            (s, [("content-type", "text/plain")], v.to_string()).into_response()
        }),
        &[CheckId::BatchContentType],
    );
}

/// A string at `pointer` of a JSON text, if there is one.
fn text_at(t: &str, pointer: &str) -> Option<String> {
    serde_json::from_str::<Value>(t)
        .ok()?
        .pointer(pointer)?
        .as_str()
        .map(String::from)
}

#[test]
fn a_store_that_cannot_hold_nul_crashes_on_it() {
    // PostgreSQL text columns refuse U+0000; the insert fails and the server answers 500.
    let report = expect_exactly(
        "nul_in_text",
        single_except(|b| {
            String::from_utf8_lossy(b)
                .contains("\\u0000")
                .then(|| StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }),
        &[CheckId::SingleNoServerError],
    );
    let r = report
        .results
        .iter()
        .find(|r| r.id == CheckId::SingleNoServerError)
        .expect("result");
    assert_eq!(r.distinct[0].signature, "5xx for a NUL character");
}

#[test]
fn a_store_with_short_name_columns() {
    expect_exactly(
        "names_up_to_255",
        refusing(|t| {
            [
                "/job/name",
                "/job/namespace",
                "/inputs/0/name",
                "/inputs/0/namespace",
                "/outputs/0/name",
                "/outputs/0/namespace",
            ]
            .iter()
            .any(|p| text_at(t, p).is_some_and(|s| s.chars().count() > 255))
        }),
        &[CheckId::LongNames],
    );
}

#[test]
fn a_server_that_wants_lower_case_run_ids() {
    expect_exactly(
        "lower_case_run_ids",
        refusing(|t| {
            text_at(t, "/run/runId").is_some_and(|id| id.bytes().any(|b| b.is_ascii_uppercase()))
        }),
        &[CheckId::IdForms],
    );
}

#[test]
fn a_server_with_a_narrow_time_parser() {
    // As `datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%f%z")` would: no lower case, no leap second.
    expect_exactly(
        "narrow_time_parser",
        refusing(|t| {
            text_at(t, "/eventTime")
                .is_some_and(|e| e.contains('t') || e.contains('z') || e.contains(":60"))
        }),
        &[CheckId::TimeForms],
    );
}

#[test]
fn a_server_whose_uri_parser_has_no_ipv6() {
    expect_exactly(
        "uri_without_ipv6",
        refusing(|t| text_at(t, "/producer").is_some_and(|p| p.contains('['))),
        &[CheckId::UriForms],
    );
}

#[test]
fn a_server_that_counts_what_was_new() {
    // It stores events by content and counts only the ones it had not seen in the batch.
    expect_exactly(
        "counts_new_only",
        zoo(reference_single, |b| {
            batch_with(b, |v, _| {
                // Only events it stored count: those it did not list as failed.
                let failed: BTreeSet<u64> = listed_indices(v).collect();
                let stored: Vec<String> = serde_json::from_slice::<Vec<Value>>(b)
                    .unwrap_or_default()
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| !failed.contains(&(*i as u64)))
                    .map(|(_, e)| e.to_string())
                    .collect();
                let unique: BTreeSet<&String> = stored.iter().collect();
                let repeats = stored.len() - unique.len();
                if repeats > 0 {
                    let s = &mut v["summary"];
                    let count = |s: &Value, k: &str| s[k].as_u64().unwrap_or(0);
                    let repeats = repeats as u64;
                    let from_ok = repeats.min(count(s, "successful"));
                    s["received"] = json!(count(s, "received") - repeats);
                    s["successful"] = json!(count(s, "successful") - from_ok);
                    s["failed"] = json!(count(s, "failed").saturating_sub(repeats - from_ok));
                }
            })
        }),
        &[CheckId::SummaryReceived],
    );
}
