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
    client(timeout, true)
}

fn client(timeout: std::time::Duration, reuse: bool) -> Result<reqwest::Client, Error> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout);
    if !reuse {
        builder = builder.pool_max_idle_per_host(0);
    }
    builder
        .build()
        .map_err(|e| Error::Internal(format!("cannot build the HTTP client: {e}")))
}

/// Sends requests and tracks whether the target has stalled.
#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    /// A client that never reuses a connection: retries and stall probes go through it.
    fresh: reqwest::Client,
    probing: Arc<AtomicBool>,
    pub(crate) opts: Arc<RunOptions>,
    consecutive_failures: Arc<AtomicUsize>,
    stalled: Arc<AtomicBool>,
    sent: Arc<AtomicUsize>,
    pub(crate) recorder: Option<Arc<Recorder>>,
    /// How often each body (by hash of endpoint and bytes) got no answer.
    crashes: Arc<Mutex<HashMap<u64, usize>>>,
    /// The single and batch endpoints, parsed once rather than per request.
    urls: Arc<(reqwest::Url, reqwest::Url)>,
    /// Reads back what the target stored, with `--read-back`.
    pub(crate) reader: Option<Arc<crate::readback::Reader>>,
}

impl Sender {
    /// A sender for the run described by `opts`.
    pub fn new(opts: Arc<RunOptions>) -> Result<Self, Error> {
        let fresh = client(opts.timeout, false)?;
        let client = http_client(opts.timeout)?;
        let recorder = match &opts.save_requests {
            Some(path) => Some(Arc::new(Recorder::create(path)?)),
            None => None,
        };
        let base = opts.target.as_str().trim_end_matches('/');
        let parse = |path: &str| {
            reqwest::Url::parse(&format!("{base}{path}"))
                .map_err(|e| Error::Usage(format!("--target `{}` is not a URL: {e}", opts.target)))
        };
        let urls = Arc::new((
            parse(Endpoint::Single.path())?,
            parse(Endpoint::Batch.path())?,
        ));
        let reader = opts.read_back.as_ref().map(|rb| {
            Arc::new(crate::readback::Reader::new(
                rb.clone(),
                client.clone(),
                opts.target.clone(),
            ))
        });
        Ok(Sender {
            reader,
            client,
            fresh,
            probing: Arc::default(),
            recorder,
            urls,
            opts,
            consecutive_failures: Arc::new(AtomicUsize::new(0)),
            stalled: Arc::new(AtomicBool::new(false)),
            sent: Arc::new(AtomicUsize::new(0)),
            crashes: Arc::default(),
        })
    }

    /// The URL of `endpoint`.
    pub fn url(&self, endpoint: Endpoint) -> &reqwest::Url {
        match endpoint {
            Endpoint::Single => &self.urls.0,
            Endpoint::Batch => &self.urls.1,
        }
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
            .post(self.url(endpoint).clone())
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .is_ok();
        if alive {
            self.consecutive_failures.store(0, Ordering::Relaxed);
        } else {
            self.stalled.store(true, Ordering::Relaxed);
        }
        self.probing.store(false, Ordering::Release);
    }

    /// Sends one request once through `client`.
    async fn attempt(&self, client: &reqwest::Client, req: &Req) -> Observed {
        self.sent.fetch_add(1, Ordering::Relaxed);
        let url = self.url(req.endpoint);
        let headers = req.headers(&self.opts.headers, self.opts.gzip);
        let body = req.wire_body(self.opts.gzip);
        if let Some(recorder) = &self.recorder {
            recorder.record(&SavedRequest::new(url.as_str(), redacted(&headers), &body));
        }
        let mut builder = client.post(url.clone());
        for (name, value) in &headers {
            // reqwest writes the framing itself, from the body it is given.
            if !name.eq_ignore_ascii_case("transfer-encoding") {
                builder = builder.header(name.as_str(), value.as_str());
            }
        }
        builder = match req.chunked {
            Some(size) => {
                let pieces: Vec<Result<Vec<u8>, std::io::Error>> =
                    body.chunks(size.max(1)).map(|c| Ok(c.to_vec())).collect();
                builder.body(reqwest::Body::wrap_stream(futures_util::stream::iter(
                    pieces,
                )))
            }
            None => builder.body(body),
        };
        match builder.send().await {
            Ok(resp) => read(resp).await,
            Err(e) => Observed {
                error: Some(describe(&e)),
                timed_out: e.is_timeout(),
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

async fn read(mut resp: reqwest::Response) -> Observed {
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
    let mut body = Vec::new();
    let mut error = None;
    let mut timed_out = false;
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                let room = BODY_CAP.saturating_sub(body.len());
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if room < chunk.len() {
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => {
                timed_out = e.is_timeout();
                let cut = format!("answer cut off: {}", describe(&e));
                framing.get_or_insert_with(|| {
                    format!("the body ended before the length its headers announced ({cut})")
                });
                error = Some(cut);
                break;
            }
        }
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

fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text = format!("{text}: {s}");
        source = s.source();
    }
    if e.is_timeout() {
        format!("timed out ({text})")
    } else {
        text
    }
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
