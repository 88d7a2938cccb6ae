//! The `curl` lines in reports reproduce the request byte for byte: each is run with `sh`
//! (dash on Debian, so nothing bash-only) against an in-process server that records what came.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::Router;
use openlineage_conformance::report::curl;
use openlineage_conformance::wire::{gzip, Req};

type Seen = Arc<Mutex<Vec<(HeaderMap, Vec<u8>)>>>;

async fn recorder() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let app = Router::new()
        .route(
            "/api/v1/lineage",
            post(move |headers: HeaderMap, body: Bytes| async move {
                if let Ok(mut log) = log.lock() {
                    log.push((headers, body.to_vec()));
                }
                "ok"
            }),
        )
        .layer(axum::extract::DefaultBodyLimit::max(16 * 1024 * 1024));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let url = format!(
        "http://{}/api/v1/lineage",
        listener.local_addr().expect("addr")
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, seen)
}

fn bodies() -> Vec<(&'static str, Vec<u8>)> {
    let big_json = format!(
        "{{\"x-big\":\"{}\",\"quote\":\"it's\"}}",
        "abc'\\\"$`!%".repeat(30_000)
    );
    let mut big_binary = big_json.clone().into_bytes();
    big_binary.extend([0xff, 0xfe, 0x00, b'\n', b'%']);
    vec![
        (
            "small json",
            br#"{"eventTime":"2024-01-01T00:00:00Z","name":"it's"}"#.to_vec(),
        ),
        ("empty", Vec::new()),
        (
            "small binary",
            vec![b'{', 0xff, 0xfe, b'%', b'\\', b'\'', 0, b'\n', b'}'],
        ),
        (
            "large json (over the argument limit)",
            big_json.into_bytes(),
        ),
        ("large binary", big_binary),
    ]
}

/// Runs a curl script as a user would: saved to a file and run with `sh`. (`sh -c` would pass
/// a whole here-document as one argument, which is what it avoids.)
async fn run_script(name: &str, script: &str) {
    // One file per script: the tests run in parallel in one process.
    let slug: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let path = std::env::temp_dir().join(format!("ol-curl-{}-{slug}.sh", std::process::id()));
    std::fs::write(&path, script).expect("script written");
    let out = tokio::process::Command::new("sh")
        .arg(&path)
        .env("OL_AUTHORIZATION", "Bearer s3cret")
        .output()
        .await
        .expect("sh runs (curl and base64 must be installed)");
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_curl_line_sends_exactly_the_request() {
    let (url, seen) = recorder().await;
    let user = vec![
        ("Authorization".to_string(), "Bearer s3cret".to_string()),
        ("X-Trace".to_string(), "a'b".to_string()),
    ];
    let dir = std::env::temp_dir().join(format!("ol-curl-bodies-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    for (name, body) in bodies() {
        for gzipped in [false, true] {
            let req = Req::single(body.clone());
            let headers = req.headers(&user, gzipped);
            let wire = req.wire_body(gzipped);
            let file = dir.join("body.bin");
            std::fs::write(&file, &wire).expect("body file");
            for from_file in [None, Some(file.as_path())] {
                let line = curl(&url, &headers, &wire, from_file);
                let name = format!("{name}, gzip {gzipped}, file {}", from_file.is_some());
                assert!(
                    !line.contains("s3cret"),
                    "{name}: the secret stays in the environment"
                );
                run_script(&name, &line).await;
                let (got_headers, got_body) = seen
                    .lock()
                    .expect("log")
                    .pop()
                    .unwrap_or_else(|| panic!("{name}: nothing arrived"));
                assert_eq!(got_body, wire, "{name}: body differs");
                assert_eq!(got_headers["content-type"], "application/json", "{name}");
                assert_eq!(got_headers["authorization"], "Bearer s3cret", "{name}");
                assert_eq!(got_headers["x-trace"], "a'b", "{name}");
                if gzipped {
                    assert_eq!(got_headers["content-encoding"], "gzip", "{name}");
                    assert_eq!(wire, gzip(&body), "{name}: gzip is deterministic");
                }
            }
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunked_requests_reproduce_chunked_and_user_headers_replace() {
    let (url, seen) = recorder().await;
    let mut req = Req::single(br#"{"a":1}"#.to_vec());
    req.chunked = Some(2);
    let user = vec![(
        "Content-Type".to_string(),
        "application/json; charset=utf-8".to_string(),
    )];
    let headers = req.headers(&user, false);
    let line = curl(&url, &headers, &req.body, None);
    assert_eq!(
        line.to_ascii_lowercase().matches("content-type").count(),
        1,
        "{line}"
    );
    run_script("chunked", &line).await;
    let (got_headers, got_body) = seen.lock().expect("log").pop().expect("arrived");
    assert_eq!(got_body, req.body);
    assert_eq!(got_headers["transfer-encoding"], "chunked");
    assert!(got_headers.get("content-length").is_none());
    assert_eq!(
        got_headers.get_all("content-type").iter().count(),
        1,
        "{got_headers:?}"
    );
    assert_eq!(
        got_headers["content-type"],
        "application/json; charset=utf-8"
    );
}
