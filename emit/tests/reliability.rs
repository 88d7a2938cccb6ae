//! Delivery guarantees against an in-process faulty backend: every one of 10,000 events (each
//! with its own run id) is delivered in blocking mode through 500s, 429s with `Retry-After`,
//! reset connections, stalls beyond the timeout and an outage; duplicates happen only around
//! retried failures; in non-blocking mode delivered + dropped + failed equals emitted exactly.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use openlineage_emit::{
    BlockingClient, Client, Error, HttpConfig, HttpTransport, QueueConfig, QueuedClient,
    RetryConfig,
};
use openlineage_types::{RunEvent, RunEventType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// What the faulty server does with the n-th request.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fate {
    Ok,
    /// 500 without storing.
    ServerError,
    /// 429 with `Retry-After: 0`, without storing.
    TooMany,
    /// Stores the event, then resets the connection instead of answering.
    StoreThenReset,
    /// Resets the connection without storing.
    Reset,
    /// Stores the event, then answers only after the client's timeout.
    StoreThenStall,
    /// 400: never retried.
    BadRequest,
}

#[derive(Default)]
struct Store {
    /// Times each run id was stored.
    stored: HashMap<String, usize>,
    /// Run ids stored by a request whose answer the client never got.
    unacknowledged: HashSet<String>,
}

struct Backend {
    requests: AtomicUsize,
    store: Mutex<Store>,
    down: AtomicBool,
    schedule: Box<dyn Fn(usize) -> Fate + Send + Sync>,
    stall: Duration,
    outage: Option<(usize, Duration)>,
}

fn run_id(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    Some(v.pointer("/run/runId")?.as_str()?.to_string())
}

/// Reads one HTTP/1.1 request (headers and a Content-Length body); `None` at end of stream.
async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Vec<u8>> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            while buf.len() < end + 4 + length {
                let mut chunk = [0u8; 16384];
                let n = stream.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let body = buf[end + 4..end + 4 + length].to_vec();
            buf.drain(..end + 4 + length);
            return Some(body);
        }
        let mut chunk = [0u8; 16384];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

async fn answer(stream: &mut TcpStream, status: &str, extra: &str) -> bool {
    let text = format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\n{extra}\r\n");
    stream.write_all(text.as_bytes()).await.is_ok()
}

fn reset(stream: TcpStream) {
    // A zero linger turns the close into a reset; with zero it never blocks, which is what the
    // deprecation warns about.
    #[allow(deprecated)]
    let _ = stream.set_linger(Some(Duration::ZERO));
    drop(stream);
}

async fn connection(backend: Arc<Backend>, mut stream: TcpStream) {
    let mut buf = Vec::new();
    while let Some(body) = read_request(&mut stream, &mut buf).await {
        if backend.down.load(Ordering::SeqCst) {
            return reset(stream);
        }
        let n = backend.requests.fetch_add(1, Ordering::SeqCst);
        if let Some((at, length)) = backend.outage {
            if n == at {
                backend.down.store(true, Ordering::SeqCst);
                let b = backend.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(length).await;
                    b.down.store(false, Ordering::SeqCst);
                });
                return reset(stream);
            }
        }
        let id = run_id(&body).unwrap_or_default();
        let fate = (backend.schedule)(n);
        let store = |acknowledged: bool| {
            let mut s = backend.store.lock().expect("test fixture");
            *s.stored.entry(id.clone()).or_default() += 1;
            if !acknowledged {
                s.unacknowledged.insert(id.clone());
            }
        };
        let ok = match fate {
            Fate::Ok => {
                store(true);
                answer(&mut stream, "200 OK", "").await
            }
            Fate::ServerError => answer(&mut stream, "500 Internal Server Error", "").await,
            Fate::TooMany => {
                answer(&mut stream, "429 Too Many Requests", "retry-after: 0\r\n").await
            }
            Fate::BadRequest => answer(&mut stream, "400 Bad Request", "").await,
            Fate::StoreThenReset => {
                store(false);
                return reset(stream);
            }
            Fate::Reset => return reset(stream),
            Fate::StoreThenStall => {
                store(false);
                tokio::time::sleep(backend.stall).await;
                return;
            }
        };
        if !ok {
            return;
        }
    }
}

/// A socket bound to `addr` (a free loopback port when it is port 0) that does not listen yet.
/// Bound, it holds the port: no other test's backend can be handed it, and while it does not
/// listen, every connection to it is refused.
fn bound(addr: SocketAddr) -> std::io::Result<TcpSocket> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    Ok(socket)
}

/// Serves on `socket`'s port; during an outage the listener is closed and the port held by a
/// socket that does not listen, so connections are refused, and it listens again afterwards.
async fn serve(backend: Arc<Backend>, mut socket: TcpSocket) {
    loop {
        let listener = socket.listen(1024).expect("test fixture");
        let addr = listener.local_addr().expect("test fixture");
        loop {
            if backend.down.load(Ordering::SeqCst) {
                break;
            }
            let accepted = tokio::time::timeout(Duration::from_millis(20), listener.accept()).await;
            if let Ok(Ok((stream, _))) = accepted {
                tokio::spawn(connection(backend.clone(), stream));
            }
        }
        drop(listener);
        // Bound again at once (connections closed by the listener's end may linger on the port,
        // which `SO_REUSEADDR` allows), so the port is never free for another test to take.
        socket = loop {
            match bound(addr) {
                Ok(socket) => break socket,
                Err(_) => tokio::time::sleep(Duration::from_millis(1)).await,
            }
        };
        while backend.down.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Starts a backend on its own runtime thread; returns it and its URL. The port is bound here,
/// before the thread starts, and never let go: a port found free and bound later could be
/// handed to a backend of a test running beside this one, whose events would then reach it.
fn start(
    schedule: impl Fn(usize) -> Fate + Send + Sync + 'static,
    outage: Option<(usize, Duration)>,
) -> (Arc<Backend>, String) {
    let backend = Arc::new(Backend {
        requests: AtomicUsize::new(0),
        store: Mutex::new(Store::default()),
        down: AtomicBool::new(false),
        schedule: Box::new(schedule),
        stall: Duration::from_millis(600),
        outage,
    });
    let socket = bound(SocketAddr::from(([127, 0, 0, 1], 0))).expect("a free loopback port");
    let addr = socket.local_addr().expect("a bound socket's address");
    let b = backend.clone();
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("the backend's runtime")
            .block_on(serve(b, socket));
    });
    (backend, format!("http://{addr}"))
}

fn config(url: &str) -> HttpConfig {
    let mut c = HttpConfig::new(url);
    c.timeout = Duration::from_millis(300);
    c.retry = RetryConfig {
        total: 60,
        backoff_factor: 0.01,
        backoff_max: Duration::from_millis(100),
    };
    c
}

fn event() -> RunEvent {
    RunEvent::builder("https://example.com/p", "ns", "job")
        .event_type(RunEventType::Start)
        .build()
}

#[test]
fn blocking_mode_delivers_every_event_through_every_kind_of_failure() {
    const EVENTS: usize = 10_000;
    const THREADS: usize = 4;
    let (backend, url) = start(
        |n| match n % 500 {
            250 => Fate::StoreThenStall,
            _ => match n % 20 {
                3 => Fate::ServerError,
                7 => Fate::TooMany,
                11 => Fate::StoreThenReset,
                15 => Fate::Reset,
                _ => Fate::Ok,
            },
        },
        Some((4_000, Duration::from_millis(700))),
    );
    let started = Instant::now();
    let sent: Vec<Vec<String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|_| {
                let url = url.clone();
                s.spawn(move || {
                    let transport = HttpTransport::new(&config(&url)).unwrap();
                    let client = BlockingClient::new(Client::new(transport)).unwrap();
                    (0..EVENTS / THREADS)
                        .map(|_| {
                            let e = event();
                            client.emit(&e).unwrap_or_else(|err| panic!("{err}"));
                            e.run.run_id.clone()
                        })
                        .collect::<Vec<String>>()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let sent: HashSet<String> = sent.into_iter().flatten().collect();
    assert_eq!(sent.len(), EVENTS, "each event has its own run id");
    let store = backend.store.lock().unwrap();
    let stored: HashSet<&String> = store.stored.keys().collect();
    assert_eq!(stored.len(), EVENTS, "distinct run ids stored");
    assert!(sent.iter().all(|id| stored.contains(id)));
    // At least once: duplicates exist, and only for events whose earlier copy went unanswered.
    let duplicates: Vec<&String> = store
        .stored
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, _)| id)
        .collect();
    assert!(!duplicates.is_empty(), "stored-then-reset events come back");
    for id in &duplicates {
        assert!(
            store.unacknowledged.contains(*id),
            "{id} stored twice without a failed answer"
        );
    }
    let requests = backend.requests.load(Ordering::SeqCst);
    assert!(requests > EVENTS + EVENTS / 4, "{requests} requests");
    eprintln!(
        "{EVENTS} events, {requests} requests, {} duplicates, {:.1}s",
        duplicates.len(),
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn other_4xx_are_never_retried() {
    let (backend, url) = start(
        |n| match n {
            0 => Fate::BadRequest,
            _ => Fate::Ok,
        },
        None,
    );
    let client =
        BlockingClient::new(Client::new(HttpTransport::new(&config(&url)).unwrap())).unwrap();
    let err = client.emit(&event()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Http {
                status: Some(400),
                retriable: false,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(backend.requests.load(Ordering::SeqCst), 1);
    client.emit(&event()).unwrap();
    assert_eq!(backend.requests.load(Ordering::SeqCst), 2);
}

#[test]
fn retry_after_seconds_are_waited_for() {
    let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", server.local_addr().unwrap());
    let times = Arc::new(Mutex::new(Vec::new()));
    let t = times.clone();
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for (i, stream) in server.incoming().enumerate() {
            let mut stream = stream.unwrap();
            let mut buf = [0u8; 65536];
            let _ = stream.read(&mut buf);
            t.lock().unwrap().push(Instant::now());
            let answer = if i == 0 {
                "HTTP/1.1 429 Too Many Requests\r\nretry-after: 1\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            } else {
                "HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            };
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    let mut c = config(&url);
    c.retry.backoff_max = Duration::from_secs(5);
    let client = BlockingClient::new(Client::new(HttpTransport::new(&c).unwrap())).unwrap();
    client.emit(&event()).unwrap();
    let times = times.lock().unwrap();
    assert_eq!(times.len(), 2);
    let waited = times[1] - times[0];
    assert!(waited >= Duration::from_millis(950), "{waited:?}");
}

#[test]
fn queued_mode_accounts_for_every_event_exactly() {
    // Every 7th request is refused for good; the backend is slow, so the queue fills and drops.
    let (backend, url) = start(
        |n| {
            if n % 7 == 3 {
                Fate::BadRequest
            } else {
                Fate::Ok
            }
        },
        None,
    );
    let transport = HttpTransport::new(&config(&url)).unwrap();
    let queue = QueuedClient::new(
        Client::new(transport),
        QueueConfig {
            capacity: 50,
            max_batch: 10,
        },
    )
    .unwrap();
    let mut refused_at_emit = 0;
    for _ in 0..3_000 {
        if queue.emit(&event()).is_err() {
            refused_at_emit += 1;
        }
    }
    let flushed = queue.flush(Duration::from_secs(60));
    assert_eq!(flushed.pending, 0, "{flushed:?}");
    let stats = queue.close(Duration::from_secs(60));
    assert_eq!(stats.emitted, 3_000);
    assert_eq!(
        stats.delivered + stats.dropped + stats.failed,
        stats.emitted,
        "{stats:?}"
    );
    assert_eq!(stats.dropped, refused_at_emit);
    assert!(
        stats.dropped > 0 && stats.failed > 0 && stats.delivered > 0,
        "{stats:?}"
    );
    let stored: usize = backend.store.lock().unwrap().stored.values().sum();
    assert_eq!(stored as u64, stats.delivered);
    // After close, emitting is refused and counted.
    assert!(matches!(queue.emit(&event()), Err(Error::Closed)));
    let after = queue.stats();
    assert_eq!(after.emitted, 3_001);
    assert_eq!(after.dropped, stats.dropped + 1);
}

#[test]
fn queued_mode_with_the_backend_down_fails_events_and_says_so() {
    // Held but never listening: every connection is refused, and no backend of another test
    // can be given the port while this one runs.
    let held = bound(SocketAddr::from(([127, 0, 0, 1], 0))).expect("a free loopback port");
    let port = held.local_addr().expect("a bound socket's address");
    let mut c = config(&format!("http://{port}"));
    c.retry.total = 2;
    let queue = QueuedClient::new(
        Client::new(HttpTransport::new(&c).unwrap()),
        QueueConfig::default(),
    )
    .unwrap();
    for _ in 0..20 {
        queue.emit(&event()).unwrap();
    }
    let stats = queue.close(Duration::from_secs(30));
    assert_eq!(stats.emitted, 20);
    assert_eq!(stats.failed, 20, "{stats:?}");
    assert_eq!(stats.pending, 0);
}

#[test]
fn the_blocking_client_refuses_to_run_inside_a_runtime() {
    let client = BlockingClient::new(Client::new(openlineage_emit::NoopTransport)).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let err = runtime.block_on(async { client.emit(&event()).unwrap_err() });
    assert!(matches!(err, Error::InsideRuntime(_)), "{err}");
    assert!(err.to_string().contains("inside a tokio runtime"), "{err}");
    client.emit(&event()).unwrap();
    // Dropped inside a runtime, it shuts its own down without blocking (no panic).
    runtime.block_on(async move { drop(client) });
}
