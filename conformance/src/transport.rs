//! Sending: one HTTP client for the run, the exact headers and framing of each request, stall
//! detection (consecutive requests with no answer, resets included) and a guard that does not
//! resend a body that already crashed the target.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::record::{Recorder, SavedRequest};
use crate::report::redacted;
use crate::runner::RunOptions;
use crate::wire::{Endpoint, Input, Observed, Req};
use crate::Error;

const BODY_CAP: usize = 1024 * 1024;

/// How many times one body may crash the target (no answer) before the runner stops sending it,
/// unless `--resend-crashes` asks for more.
pub const CRASH_RESENDS: usize = 2;

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

/// Sends requests and tracks whether the target has stalled.
#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    pub(crate) opts: Arc<RunOptions>,
    consecutive_failures: Arc<AtomicUsize>,
    stalled: Arc<AtomicBool>,
    sent: Arc<AtomicUsize>,
    pub(crate) recorder: Option<Arc<Recorder>>,
    /// How often each body (by hash of endpoint and bytes) got no answer.
    crashes: Arc<Mutex<HashMap<u64, usize>>>,
    /// The single and batch endpoints, parsed once rather than per request.
    urls: Arc<(reqwest::Url, reqwest::Url)>,
}

impl Sender {
    /// A sender for the run described by `opts`.
    pub fn new(opts: Arc<RunOptions>) -> Result<Self, Error> {
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
        Ok(Sender {
            client,
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
        let key = Self::body_key(req);
        if !self.opts.resend_crashes {
            let crashed = self
                .crashes
                .lock()
                .map_or(0, |c| c.get(&key).copied().unwrap_or(0));
            if crashed >= CRASH_RESENDS {
                return Observed {
                    skipped: true,
                    error: Some(format!("not sent: this body already crashed the target {crashed} times (--resend-crashes sends it anyway)")),
                    ..Observed::default()
                };
            }
        }
        self.sent.fetch_add(1, Ordering::Relaxed);
        let url = self.url(req.endpoint);
        let headers = req.headers(&self.opts.headers, self.opts.gzip);
        let body = req.wire_body(self.opts.gzip);
        if let Some(recorder) = &self.recorder {
            recorder.record(&SavedRequest::new(url.as_str(), redacted(&headers), &body));
        }
        let mut builder = self.client.post(url.clone());
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
        let observed = match builder.send().await {
            Ok(resp) => read(resp).await,
            Err(e) => Observed {
                error: Some(describe(&e)),
                timed_out: e.is_timeout(),
                ..Observed::default()
            },
        };
        if observed.status.is_none() || observed.error.is_some() {
            // A reset or a cut-off answer counts towards the stall limit like a timeout: a
            // target that crashes on every request is as stuck as one that hangs.
            let n = self.consecutive_failures.fetch_add(1, Ordering::Relaxed) + 1;
            if n >= self.opts.stall_after {
                self.stalled.store(true, Ordering::Relaxed);
            }
            if let Ok(mut c) = self.crashes.lock() {
                *c.entry(key).or_default() += 1;
            }
        } else {
            self.consecutive_failures.store(0, Ordering::Relaxed);
        }
        observed
    }

    /// Sends a case's requests in order.
    pub async fn send_input(&self, input: &Input) -> Vec<Observed> {
        let mut out = Vec::with_capacity(input.requests.len());
        for req in &input.requests {
            out.push(self.send(req).await);
        }
        out
    }
}

async fn read(mut resp: reqwest::Response) -> Observed {
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
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
                error = Some(format!("answer cut off: {}", describe(&e)));
                break;
            }
        }
    }
    Observed {
        status: Some(status),
        content_type,
        body,
        error,
        timed_out,
        skipped: false,
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
