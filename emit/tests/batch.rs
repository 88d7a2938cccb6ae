//! The batch endpoint: a `partial_success` answer resends only the events marked `retriable`
//! and reports the others as failed; batches go to `{endpoint}/batch`, gzip when asked.

use std::io::Read;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use openlineage_emit::{Client, Compression, Error, HttpConfig, HttpTransport};
use openlineage_types::{RunEvent, RunEventType};
use serde_json::{json, Value};

type Seen = Arc<Mutex<Vec<Vec<String>>>>;

async fn batch(seen: Seen, headers: HeaderMap, body: Bytes) -> Json<Value> {
    let text = if headers.get("content-encoding").is_some_and(|v| v == "gzip") {
        let mut out = String::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_string(&mut out)
            .expect("a gzip body");
        out
    } else {
        String::from_utf8(body.to_vec()).expect("a UTF-8 body")
    };
    let events: Vec<Value> = serde_json::from_str(&text).expect("an array of events");
    let ids: Vec<String> = events
        .iter()
        .map(|e| e["run"]["runId"].as_str().unwrap_or_default().to_string())
        .collect();
    let first = {
        let mut seen = seen.lock().expect("the log");
        seen.push(ids);
        seen.len() == 1
    };
    if first {
        Json(json!({
            "status": "partial_success",
            "summary": {"received": 4, "successful": 2, "failed": 2, "retriable": 1, "non_retriable": 1},
            "failed_events": [
                {"index": 1, "reason": "storage busy", "retriable": true},
                {"index": 2, "reason": "invalid runId", "retriable": false}
            ]
        }))
    } else {
        Json(
            json!({"status": "success", "summary": {"received": 1, "successful": 1, "failed": 0}, "failed_events": []}),
        )
    }
}

#[tokio::test]
async fn partial_success_resends_only_retriable_events_and_reports_the_rest() {
    for gzip in [false, true] {
        let seen: Seen = Arc::default();
        let s = seen.clone();
        let app = Router::new().route(
            "/api/v1/lineage/batch",
            post(move |h: HeaderMap, b: Bytes| batch(s.clone(), h, b)),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let addr = listener.local_addr().expect("its address");
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        let mut config = HttpConfig::new(format!("http://{addr}"));
        config.batch = true;
        config.retry.backoff_factor = 0.0;
        config.compression = gzip.then_some(Compression::Gzip);
        let client = Client::new(HttpTransport::new(&config).expect("a transport"));
        let events: Vec<RunEvent> = (0..4)
            .map(|_| {
                RunEvent::builder("https://example.com/p", "ns", "job")
                    .event_type(RunEventType::Start)
                    .build()
            })
            .collect();
        let outcomes = client.emit_batch(&events).await;
        assert!(outcomes[0].is_ok() && outcomes[1].is_ok() && outcomes[3].is_ok());
        match &outcomes[2] {
            Err(
                e @ Error::Http {
                    retriable: false, ..
                },
            ) => {
                assert!(e.to_string().contains("invalid runId"), "{e}")
            }
            other => panic!("{other:?}"),
        }
        let seen = seen.lock().expect("the log").clone();
        assert_eq!(seen.len(), 2, "one resend");
        assert_eq!(seen[0].len(), 4);
        assert_eq!(
            seen[1],
            vec![events[1].run.run_id.clone()],
            "only the retriable event"
        );
        server.abort();
    }
}

#[test]
fn https_urls_speak_tls() {
    use std::io::Read as _;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let addr = listener.local_addr().expect("its address");
    let first = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("a connection");
        let mut byte = [0u8; 1];
        stream.read_exact(&mut byte).expect("a first byte");
        byte[0]
    });
    let mut config = HttpConfig::new(format!("https://{addr}"));
    config.retry.total = 0;
    config.timeout = std::time::Duration::from_millis(500);
    let client = openlineage_emit::BlockingClient::new(Client::new(
        HttpTransport::new(&config).expect("a transport"),
    ))
    .expect("a client");
    let event = RunEvent::builder("https://example.com/p", "ns", "job").build();
    assert!(client.emit(&event).is_err(), "no TLS server answers");
    // 0x16 opens a TLS handshake record: the ClientHello.
    assert_eq!(first.join().expect("the listener thread"), 0x16);
}

#[test]
fn the_queue_batches_what_piles_up_while_the_backend_is_slow() {
    use openlineage_emit::{QueueConfig, QueuedClient};
    let sizes: Arc<Mutex<Vec<usize>>> = Arc::default();
    let s = sizes.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        runtime.block_on(async move {
            let single = s.clone();
            let app = Router::new()
                .route(
                    "/api/v1/lineage",
                    post(move || {
                        let s = single.clone();
                        async move {
                            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                            s.lock().expect("the log").push(1);
                        }
                    }),
                )
                .route(
                    "/api/v1/lineage/batch",
                    post(move |body: Bytes| {
                        let s = s.clone();
                        async move {
                            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                            let events: Vec<Value> =
                                serde_json::from_slice(&body).expect("an array");
                            s.lock().expect("the log").push(events.len());
                            Json(json!({"status": "success", "summary": {"received": events.len(), "successful": events.len(), "failed": 0}, "failed_events": []}))
                        }
                    }),
                );
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("a loopback port");
            tx.send(listener.local_addr().expect("its address"))
                .expect("the test waits");
            let _ = axum::serve(listener, app).await;
        });
    });
    let addr = rx.recv().expect("the server's address");
    let mut config = HttpConfig::new(format!("http://{addr}"));
    config.batch = true;
    let queue = QueuedClient::new(
        Client::new(HttpTransport::new(&config).expect("a transport")),
        QueueConfig {
            capacity: 1_000,
            max_batch: 100,
        },
    )
    .expect("a queue");
    for _ in 0..300 {
        let event = RunEvent::builder("https://example.com/p", "ns", "job")
            .event_type(RunEventType::Start)
            .build();
        queue.emit(&event).expect("room in the queue");
    }
    let stats = queue.close(std::time::Duration::from_secs(30));
    assert_eq!(stats.delivered, 300, "{stats:?}");
    let sizes = sizes.lock().expect("the log").clone();
    assert_eq!(sizes.iter().sum::<usize>(), 300);
    // The first event goes alone; what piled up behind it goes in batches of up to 100.
    assert!(sizes.len() <= 10, "{sizes:?}");
    assert!(sizes.contains(&100), "{sizes:?}");
}

#[test]
fn a_redirect_is_reported_not_followed() {
    use std::io::{Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let addr = listener.local_addr().expect("its address");
    let requests = Arc::new(Mutex::new(0usize));
    let r = requests.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.expect("a connection");
            let mut buf = [0u8; 65536];
            let _ = stream.read(&mut buf);
            *r.lock().expect("the count") += 1;
            let _ = stream.write_all(
                b"HTTP/1.1 302 Found\r\nlocation: /elsewhere\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            );
        }
    });
    let client = openlineage_emit::BlockingClient::new(Client::new(
        HttpTransport::new(&HttpConfig::new(format!("http://{addr}"))).expect("a transport"),
    ))
    .expect("a client");
    let event = RunEvent::builder("https://example.com/p", "ns", "job").build();
    let err = client
        .emit(&event)
        .expect_err("a redirect is not a delivery");
    assert!(
        matches!(
            err,
            Error::Http {
                status: Some(302),
                retriable: false,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(*requests.lock().expect("the count"), 1);
}
