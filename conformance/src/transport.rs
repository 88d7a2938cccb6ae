//! Sending: one HTTP client for the run, the exact headers and framing of each request, a retry
//! on a fresh connection when a (possibly reused) connection breaks, stall detection that asks
//! a fresh connection before giving up, the framing of each answer, and a guard that does not
//! resend a body that already crashed the target.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::options::{RunOptions, CRASH_RESENDS};
use crate::record::{Recorder, SavedRequest};
use crate::report::redacted;
use crate::wire::{Endpoint, Input, Observed, Req};
use crate::Error;

const BODY_CAP: usize = 1024 * 1024;

/// The HTTP client for a run, able to reach `https://` targets.
///
/// reqwest is built without a TLS crypto provider of its own (see the workspace manifest), so
/// this installs ring as the process default first; a provider some other code installed wins.
pub fn http_client(timeout: std::time::Duration) -> Result<reqwest::Client, Error> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .build()
        .map_err(|e| Error::Internal(format!("cannot build the HTTP client: {e}")))
}

/// A request body: whole, or in chunks for the transfer-coding checks.
type Body = http_body_util::combinators::BoxBody<bytes::Bytes, std::io::Error>;

type HyperClient = hyper_util::client::legacy::Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    Body,
>;

/// The client cases go out through: hyper's pooled HTTP/1.1 client with rustls for `https://`
/// targets, certificates checked against the platform's roots as reqwest does.
#[derive(Clone)]
struct Http {
    client: HyperClient,
    timeout: std::time::Duration,
}

impl Http {
    /// The run's two clients, whose requests (and answers) must finish within `timeout`: one
    /// that reuses connections, and one that gives every request a connection of its own. They
    /// share one connector, so the platform's root certificates are read once.
    fn pair(timeout: std::time::Duration) -> Result<(Self, Self), Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls_error = |e: rustls::Error| Error::Internal(format!("cannot set up TLS: {e}"));
        let verifier =
            rustls_platform_verifier::Verifier::new(provider.clone()).map_err(tls_error)?;
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(tls_error)?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        let mut http = hyper_util::client::legacy::connect::HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(timeout));
        // Small requests go out at once, as curl and reqwest send them.
        http.set_nodelay(true);
        let connector = hyper_rustls::HttpsConnector::from((http, Arc::new(tls)));
        let client = |reuse: bool| {
            let mut builder =
                hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new());
            if !reuse {
                builder.pool_max_idle_per_host(0);
            }
            Http {
                client: builder.build(connector.clone()),
                timeout,
            }
        };
        Ok((client(true), client(false)))
    }
}

/// Sends requests and tracks whether the target has stalled.
#[derive(Clone)]
pub struct Sender {
    client: Http,
    /// A client that never reuses a connection: retries and stall probes go through it.
    fresh: Http,
    probing: Arc<AtomicBool>,
    pub(crate) opts: Arc<RunOptions>,
    consecutive_failures: Arc<AtomicUsize>,
    stalled: Arc<AtomicBool>,
    sent: Arc<AtomicUsize>,
    pub(crate) recorder: Option<Arc<Recorder>>,
    /// How often each body (by hash of endpoint and bytes) got no answer.
    crashes: Arc<Mutex<HashMap<u64, usize>>>,
    /// The single and batch endpoints, parsed once rather than per request.
    uris: Arc<(http::Uri, http::Uri)>,
    /// Reads back what the target stored, with `--read-back`.
    pub(crate) reader: Option<Arc<crate::readback::Reader>>,
}

impl Sender {
    /// A sender for the run described by `opts`.
    pub fn new(opts: Arc<RunOptions>) -> Result<Self, Error> {
        let (client, fresh) = Http::pair(opts.timeout)?;
        let recorder = match &opts.save_requests {
            Some(path) => Some(Arc::new(Recorder::create(path)?)),
            None => None,
        };
        let base = opts.target.as_str().trim_end_matches('/');
        // The URL parser normalises the text (default ports, percent-encoding, IDNA) as curl
        // and the reports show it; hyper sends to that text.
        let uri = |path: &str| {
            let bad = |e: &dyn std::fmt::Display| {
                Error::Usage(format!("--target `{}` is not a URL: {e}", opts.target))
            };
            reqwest::Url::parse(&format!("{base}{path}"))
                .map_err(|e| bad(&e))?
                .as_str()
                .parse::<http::Uri>()
                .map_err(|e| bad(&e))
        };
        let uris = Arc::new((uri(Endpoint::Single.path())?, uri(Endpoint::Batch.path())?));
        let reader = match &opts.read_back {
            Some(rb) => Some(Arc::new(crate::readback::Reader::new(
                rb.clone(),
                http_client(opts.timeout)?,
                opts.target.clone(),
            ))),
            None => None,
        };
        Ok(Sender {
            reader,
            client,
            fresh,
            probing: Arc::default(),
            recorder,
            uris,
            opts,
            consecutive_failures: Arc::new(AtomicUsize::new(0)),
            stalled: Arc::new(AtomicBool::new(false)),
            sent: Arc::new(AtomicUsize::new(0)),
            crashes: Arc::default(),
        })
    }

    /// The URL of `endpoint`, as reports and curl lines show it.
    pub fn url(&self, endpoint: Endpoint) -> String {
        self.uri(endpoint).to_string()
    }

    /// Whether the target has stopped answering.
    pub fn stalled(&self) -> bool {
        self.stalled.load(Ordering::Relaxed)
    }

    /// Requests sent so far.
    pub fn sent(&self) -> usize {
        self.sent.load(Ordering::Relaxed)
    }

    fn body_key(req: &Req) -> u64 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        req.endpoint.hash(&mut h);
        req.body.hash(&mut h);
        h.finish()
    }

    /// Sends one request and reads the answer.
    pub async fn send(&self, req: &Req) -> Observed {
        if self.stalled() {
            return Observed {
                skipped: true,
                error: Some("not sent: the target had stopped answering".into()),
                ..Observed::default()
            };
        }
        // Hashing the body costs as much as a small request: done only once some body crashed.
        let key = || Self::body_key(req);
        if !self.opts.resend_crashes {
            let crashed = self.crashes.lock().map_or(0, |c| {
                if c.is_empty() {
                    0
                } else {
                    c.get(&key()).copied().unwrap_or(0)
                }
            });
            if crashed >= CRASH_RESENDS {
                return Observed {
                    skipped: true,
                    error: Some(format!("not sent: this body already crashed the target {crashed} times (--resend-crashes sends it anyway)")),
                    ..Observed::default()
                };
            }
        }
        let mut observed = self.attempt(&self.client, req).await;
        // A connection the server closed (after an answer it framed badly, say) breaks the
        // next request sent on it: one retry on a fresh connection tells that apart from a
        // request the server really does not answer. Each attempt without an answer counts
        // towards the body's crash limit.
        if observed.status.is_none() {
            let key = key();
            let crashed = self.crashed(key);
            let may_retry = crashed < CRASH_RESENDS || self.opts.resend_crashes;
            if !observed.timed_out && may_retry {
                let retried = self.attempt(&self.fresh, req).await;
                if retried.status.is_some() {
                    observed = retried;
                } else {
                    self.crashed(key);
                }
            }
        }
        if observed.status.is_none() {
            // A request that got no answer on a fresh connection either (or timed out) counts
            // towards the stall limit: a target that crashes on every request is as stuck as
            // one that hangs.
            let n = self.consecutive_failures.fetch_add(1, Ordering::Relaxed) + 1;
            if n >= self.opts.stall_after {
                self.confirm_stall(req.endpoint).await;
            }
        } else {
            self.consecutive_failures.store(0, Ordering::Relaxed);
        }
        observed
    }

    /// Counts one attempt of the body `key` that got no answer; returns how many it has had.
    fn crashed(&self, key: u64) -> usize {
        self.crashes.lock().map_or(CRASH_RESENDS, |mut c| {
            let n = c.entry(key).or_default();
            *n += 1;
            *n
        })
    }

    /// Declares the target stalled only when a minimal valid event sent to `endpoint` on a
    /// fresh connection gets no answer either: an endpoint that answers it is alive, whatever
    /// broke before.
    async fn confirm_stall(&self, endpoint: Endpoint) {
        if self.stalled() || self.probing.swap(true, Ordering::AcqRel) {
            return;
        }
        let n = self.sent.fetch_add(1, Ordering::Relaxed) as u64;
        let event = crate::wire::probe_event(self.opts.seed ^ 0x57a1, n);
        let body = match endpoint {
            Endpoint::Single => event.to_string(),
            Endpoint::Batch => format!("[{event}]"),
        };
        let alive = self
            .fresh
            .send(
                self.uri(endpoint),
                &[("content-type", "application/json")],
                whole(body.into_bytes()),
                tokio::time::Instant::now() + self.fresh.timeout,
            )
            .await
            .is_ok();
        if alive {
            self.consecutive_failures.store(0, Ordering::Relaxed);
        } else {
            self.stalled.store(true, Ordering::Relaxed);
        }
        self.probing.store(false, Ordering::Release);
    }

    /// The request URI of `endpoint`.
    fn uri(&self, endpoint: Endpoint) -> http::Uri {
        match endpoint {
            Endpoint::Single => self.uris.0.clone(),
            Endpoint::Batch => self.uris.1.clone(),
        }
    }

    /// Sends one request once through `client`.
    async fn attempt(&self, client: &Http, req: &Req) -> Observed {
        self.sent.fetch_add(1, Ordering::Relaxed);
        let headers = req.headers(&self.opts.headers, self.opts.gzip);
        let body = req.wire_body(self.opts.gzip);
        if let Some(recorder) = &self.recorder {
            let url = self.url(req.endpoint);
            recorder.record(&SavedRequest::new(&url, redacted(&headers), &body));
        }
        // hyper writes the framing itself, from the body it is given.
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .filter(|(name, _)| !name.eq_ignore_ascii_case("transfer-encoding"))
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let body = match req.chunked {
            Some(size) => chunked(&body, size),
            None => whole(body),
        };
        let deadline = tokio::time::Instant::now() + client.timeout;
        match client
            .send(self.uri(req.endpoint), &headers, body, deadline)
            .await
        {
            Ok(resp) => read(resp, deadline).await,
            Err(e) => Observed {
                timed_out: e.timed_out,
                error: Some(e.text),
                ..Observed::default()
            },
        }
    }

    /// Sends a case's requests in order.
    pub async fn send_input(&self, input: &Input) -> Vec<Observed> {
        let mut out = Vec::with_capacity(input.requests.len());
        for req in &input.requests {
            let mut observed = self.send(req).await;
            if let (true, Some(reader)) = (input.reads_back, &self.reader) {
                if !observed.skipped {
                    observed.stored = reader.read_request(req, &observed).await;
                }
            }
            out.push(observed);
        }
        out
    }
}

/// A body sent whole, with a Content-Length.
fn whole(body: Vec<u8>) -> Body {
    use http_body_util::BodyExt;
    http_body_util::Full::new(bytes::Bytes::from(body))
        .map_err(|never| match never {})
        .boxed()
}

/// A body sent in pieces of `size` bytes with chunked transfer coding: a stream of unknown
/// length is what makes hyper choose it.
fn chunked(body: &[u8], size: usize) -> Body {
    use http_body_util::BodyExt;
    let frames: Vec<Result<hyper::body::Frame<bytes::Bytes>, std::io::Error>> = body
        .chunks(size.max(1))
        .map(|c| Ok(hyper::body::Frame::data(bytes::Bytes::copy_from_slice(c))))
        .collect();
    http_body_util::StreamBody::new(futures_util::stream::iter(frames)).boxed()
}

/// Why a request got no answer.
struct Failed {
    text: String,
    timed_out: bool,
}

impl Http {
    /// Sends `body` to `uri` with `headers` and waits for the answer's head until `deadline`,
    /// which the caller also gives the body's read.
    async fn send(
        &self,
        uri: http::Uri,
        headers: &[(&str, &str)],
        body: Body,
        deadline: tokio::time::Instant,
    ) -> Result<hyper::Response<hyper::body::Incoming>, Failed> {
        let mut request = http::Request::post(uri);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(body).map_err(|e| Failed {
            text: format!("cannot build the request: {e}"),
            timed_out: false,
        })?;
        match tokio::time::timeout_at(deadline, self.client.request(request)).await {
            Ok(Ok(resp)) => Ok(resp),
            Ok(Err(e)) => Err(Failed {
                text: describe(&e),
                timed_out: false,
            }),
            Err(_) => Err(Failed {
                text: format!("timed out (no answer within {:?})", self.timeout),
                timed_out: true,
            }),
        }
    }
}

/// Reads an answer's body (up to [`BODY_CAP`]) until `deadline`, noting how its framing broke.
async fn read(
    resp: hyper::Response<hyper::body::Incoming>,
    deadline: tokio::time::Instant,
) -> Observed {
    use http_body_util::BodyExt;
    let status = resp.status().as_u16();
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(String::from)
    };
    let content_type = header("content-type");
    let mut framing = bodiless_framing(
        status,
        header("content-length"),
        header("transfer-encoding"),
    );
    let mut incoming = resp.into_body();
    let mut body = Vec::new();
    let mut error = None;
    let mut timed_out = false;
    loop {
        let cut = match tokio::time::timeout_at(deadline, incoming.frame()).await {
            Ok(Some(Ok(frame))) => {
                if let Ok(chunk) = frame.into_data() {
                    let room = BODY_CAP.saturating_sub(body.len());
                    body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                    if room < chunk.len() {
                        break;
                    }
                }
                continue;
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => describe(&e),
            Err(_) => {
                timed_out = true;
                "timed out while reading the body".to_string()
            }
        };
        let cut = format!("answer cut off: {cut}");
        framing.get_or_insert_with(|| {
            format!("the body ended before the length its headers announced ({cut})")
        });
        error = Some(cut);
        break;
    }
    Observed {
        status: Some(status),
        content_type,
        body,
        error,
        framing,
        timed_out,
        skipped: false,
        stored: Vec::new(),
    }
}

/// How an answer that can have no content (204, 304, RFC 9110 sections 15.3.5 and 15.4.5)
/// announces some anyway: a client reading it as RFC 9112 section 6.3 says leaves those bytes
/// in the connection, where they break the next answer.
fn bodiless_framing(
    status: u16,
    content_length: Option<String>,
    transfer_encoding: Option<String>,
) -> Option<String> {
    if !matches!(status, 204 | 304) {
        return None;
    }
    match (content_length, transfer_encoding) {
        (Some(n), _) if n.trim() != "0" => Some(format!(
            "a {status} answer announces content (Content-Length: {n}); a {status} has none, so the bytes that follow break the connection's next answer"
        )),
        (_, Some(te)) => Some(format!(
            "a {status} answer announces content (Transfer-Encoding: {te}); a {status} has none"
        )),
        _ => None,
    }
}

/// An error and its causes in one line: `client error (SendRequest): connection closed before
/// message completed`.
fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        // hyper repeats a cause in its own message at times.
        if !text.contains(&more) {
            text = format!("{text}: {more}");
        }
        source = s.source();
    }
    text
}

/// Checks that something listens at the target; `Err` means the run cannot start. A target that
/// accepts connections but answers garbage is not unreachable: the run reports it as findings.
pub async fn preflight(opts: &RunOptions) -> Result<(), Error> {
    let addrs = opts
        .target
        .socket_addrs(|| None)
        .map_err(|e| Error::Unreachable(format!("{}: {e}", opts.target)))?;
    let mut last = String::from("no address");
    for addr in addrs {
        match tokio::time::timeout(opts.timeout, tokio::net::TcpStream::connect(addr)).await {
            Ok(Ok(_)) => return Ok(()),
            Ok(Err(e)) => last = format!("{addr}: {e}"),
            Err(_) => last = format!("{addr}: no connection within {:?}", opts.timeout),
        }
    }
    Err(Error::Unreachable(format!("{} ({last})", opts.target)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::time::Duration;

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(f)
    }

    /// The first bytes a loopback listener receives when `send` posts `{}` to an `https://`
    /// URL of it; the listener closes without answering, so `send` must report a failure.
    fn first_bytes_to_https(send: impl FnOnce(String) -> bool) -> [u8; 6] {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().ok()?;
            let mut head = [0u8; 6];
            conn.read_exact(&mut head).ok()?;
            Some(head)
        });
        let failed = send(format!("https://{addr}/api/v1/lineage"));
        assert!(failed, "the listener never answers");
        // Unblocks the listener if the client never connected, so the test fails, not hangs.
        let _ = std::net::TcpStream::connect(addr);
        server
            .join()
            .expect("listener")
            .expect("the client sent a handshake")
    }

    fn assert_client_hello(head: [u8; 6]) {
        assert_eq!(head[0], 0x16, "TLS handshake record");
        assert_eq!(head[5], 0x01, "ClientHello");
    }

    /// The cases' client speaks TLS to an `https://` target: the first bytes are a TLS
    /// handshake record carrying a ClientHello.
    #[test]
    fn cases_reach_https_targets_with_a_tls_handshake() {
        assert_client_hello(first_bytes_to_https(|url| {
            let uri: http::Uri = url.parse().expect("uri");
            block_on(async {
                let (http, _) = Http::pair(Duration::from_secs(5)).expect("client");
                let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
                http.send(uri, &[], whole(b"{}".to_vec()), deadline)
                    .await
                    .is_err()
            })
        }));
    }

    /// So does the reqwest client of the read-back adapters.
    #[test]
    fn read_back_reaches_https_targets_with_a_tls_handshake() {
        assert_client_hello(first_bytes_to_https(|url| {
            block_on(async {
                let client =
                    http_client(Duration::from_secs(5)).expect("client with a TLS provider");
                client.post(&url).body("{}").send().await.is_err()
            })
        }));
    }

    /// What goes on the wire: the request line, the runner's headers, and the body with the
    /// framing asked for (a Content-Length, or chunks of the given size).
    #[test]
    fn requests_go_out_whole_or_in_chunks_as_asked() {
        for (chunked, expect_chunked) in [(None, false), (Some(3), true)] {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            let addr = listener.local_addr().expect("addr");
            let server = std::thread::spawn(move || {
                use std::io::Write;
                let (mut conn, _) = listener.accept().expect("accept");
                conn.set_read_timeout(Some(Duration::from_secs(5)))
                    .expect("timeout");
                let mut got = Vec::new();
                let mut buf = [0u8; 4096];
                // The whole request has arrived once its body (or last chunk) has.
                while !(got.ends_with(b"{\"a\":1}") || got.ends_with(b"0\r\n\r\n")) {
                    let n = conn.read(&mut buf).expect("read");
                    assert!(n > 0, "connection closed early");
                    got.extend_from_slice(&buf[..n]);
                }
                conn.write_all(b"HTTP/1.1 201 Created\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok")
                    .expect("write");
                String::from_utf8(got).expect("text")
            });
            let uri: http::Uri = format!("http://{addr}/api/v1/lineage")
                .parse()
                .expect("uri");
            let observed = block_on(async {
                let (http, _) = Http::pair(Duration::from_secs(5)).expect("client");
                let body = b"{\"a\":1}".to_vec();
                let body = match chunked {
                    Some(size) => super::chunked(&body, size),
                    None => whole(body),
                };
                let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
                let resp = http
                    .send(uri, &[("content-type", "application/json")], body, deadline)
                    .await
                    .map_err(|f| f.text)
                    .expect("answer");
                read(resp, deadline).await
            });
            let request = server.join().expect("server");
            let lower = request.to_ascii_lowercase();
            assert!(
                request.starts_with("POST /api/v1/lineage HTTP/1.1\r\n"),
                "{request}"
            );
            assert!(
                lower.contains("content-type: application/json\r\n"),
                "{request}"
            );
            assert_eq!(
                lower.contains("transfer-encoding: chunked"),
                expect_chunked,
                "{request}"
            );
            assert_eq!(
                lower.contains("content-length: 7"),
                !expect_chunked,
                "{request}"
            );
            assert_eq!(observed.status, Some(201));
            assert_eq!(observed.body, b"ok");
            assert_eq!(observed.content_type.as_deref(), Some("text/plain"));
            assert_eq!(observed.framing, None);
        }
    }
}
