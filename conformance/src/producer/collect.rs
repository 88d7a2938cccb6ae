//! `collect`: receives events from a producer over HTTP, answering exactly as the reference
//! server does (it is the reference server's router, with a hook), and checks them as a stream
//! until interrupted, idle or full.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde_json::value::RawValue;
use tokio::net::TcpListener;
use tokio::sync::Notify;

use super::{EventLine, ProducerReport, Stream};
use crate::expectations::Expectations;
use crate::server::{router_with_hook, Delivery, EventHook, ServerConfig};
use crate::Error;

/// How `collect` listens and when it stops.
#[derive(Debug, Clone)]
pub struct CollectOptions {
    /// Address to listen on; port 0 picks a free one.
    pub listen: String,
    /// The reference server's settings (prefix, body limit).
    pub server: ServerConfig,
    /// Stop after this long without an event, counted from the last event.
    pub until_idle: Option<Duration>,
    /// Stop when no event has arrived this long after start-up (a producer that is slow to
    /// start, such as a scheduler, has its own limit apart from `until_idle`).
    pub first_event_timeout: Option<Duration>,
    /// Stop once this many events have arrived (a batch is taken whole).
    pub max_events: Option<usize>,
    /// Print each event as it arrives, on stderr, when stderr is a terminal.
    pub live: bool,
    /// Print each event as it arrives even when stderr is not a terminal (CI logs).
    pub progress: bool,
    /// Fail on should-tier findings too.
    pub strict: bool,
}

struct Shared {
    stream: Mutex<Stream>,
    activity: Notify,
    closed: AtomicBool,
    requests: AtomicUsize,
    /// Requests to other paths, `METHOD path`, with how often each came.
    elsewhere: Mutex<std::collections::BTreeMap<String, usize>>,
    prefix: String,
    max_events: Option<usize>,
    live: bool,
}

impl Shared {
    fn receive(&self, delivery: Delivery<'_>) {
        if self.closed.load(Ordering::Relaxed) {
            return;
        }
        let n = self.requests.fetch_add(1, Ordering::Relaxed) + 1;
        let text = String::from_utf8_lossy(delivery.body);
        let mut stream = self.stream.lock().unwrap_or_else(PoisonError::into_inner);
        let live = |line: EventLine| {
            if self.live {
                eprintln!("{line}");
            }
        };
        let endpoint = if delivery.batch { "/batch" } else { "" };
        let source = format!("POST {}/lineage{endpoint} #{n}", self.prefix);
        if !delivery.decoded {
            live(stream.push_refused(
                source,
                delivery.body,
                &format!(
                    "the request was refused with {} before its events were read (content type, encoding or size)",
                    delivery.status
                ),
            ));
        } else if delivery.batch {
            match serde_json::from_str::<Vec<&RawValue>>(&text) {
                Ok(items) => {
                    for (i, item) in items.iter().enumerate() {
                        live(stream.push(format!("{source}[{i}]"), item.get()));
                    }
                }
                Err(e) => live(stream.push_refused(
                    source,
                    delivery.body,
                    &format!("the batch endpoint takes a JSON array of events: {e}"),
                )),
            }
        } else {
            live(stream.push(source, &text));
        }
        let full = self.max_events.is_some_and(|max| stream.delivered() >= max);
        drop(stream);
        if full {
            self.closed.store(true, Ordering::Relaxed);
        }
        self.activity.notify_one();
    }
}

/// A collector that is listening.
pub struct Collector {
    /// The API base producers should be pointed at, e.g. `http://127.0.0.1:5000/api/v1`.
    pub base_url: String,
    /// The bound address.
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    opts: CollectOptions,
    listener: Option<TcpListener>,
}

impl Collector {
    /// Binds the address.
    pub async fn bind(opts: CollectOptions) -> Result<Self, Error> {
        let listener = TcpListener::bind(&opts.listen)
            .await
            .map_err(|e| Error::io(format!("cannot listen on {}", opts.listen), e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::io("cannot read the bound address", e))?;
        let prefix = opts.server.prefix.trim_end_matches('/').to_string();
        let shared = Arc::new(Shared {
            stream: Mutex::new(Stream::new()),
            activity: Notify::new(),
            closed: AtomicBool::new(false),
            requests: AtomicUsize::new(0),
            elsewhere: Mutex::default(),
            prefix: prefix.clone(),
            max_events: opts.max_events,
            live: opts.progress || (opts.live && std::io::stderr().is_terminal()),
        });
        Ok(Collector {
            base_url: format!("http://{addr}{prefix}"),
            addr,
            shared,
            opts,
            listener: Some(listener),
        })
    }

    /// Serves until a signal, `until_idle` or `max_events` stops it, then judges the stream.
    pub async fn run(
        mut self,
        expectations: Option<&Expectations>,
    ) -> Result<ProducerReport, Error> {
        let started = Instant::now();
        let listener = self
            .listener
            .take()
            .ok_or_else(|| Error::Internal("collector run twice".into()))?;
        let shared = self.shared.clone();
        let hook: EventHook = Arc::new(move |d| shared.receive(d));
        let missed = self.shared.clone();
        let app = router_with_hook(self.opts.server.clone(), Some(hook)).fallback(
            move |method: axum::http::Method, uri: axum::http::Uri| {
                let missed = missed.clone();
                async move {
                    let what = format!("{method} {}", uri.path());
                    if missed.live {
                        eprintln!("{what}: 404, not an OpenLineage endpoint of this collector");
                    }
                    *missed
                        .elsewhere
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .entry(what)
                        .or_default() += 1;
                    missed.activity.notify_one();
                    axum::http::StatusCode::NOT_FOUND
                }
            },
        );
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let shutdown = async {
                let _ = stop_rx.await;
            };
            // An accept error ends serving early; the stream collected so far is still judged.
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await;
        });
        // Signals are caught from before the address is announced, so none is missed.
        let signals = Signals::new()?;
        eprintln!(
            "ol-conformance: collecting events; API base {} (events go to /lineage and /lineage/batch under it)",
            self.base_url
        );
        let reason = self.wait(signals).await;
        let reason_text = reason.clone();
        eprintln!("ol-conformance: collect stopped: {reason}");
        self.shared.closed.store(true, Ordering::Relaxed);
        let _ = stop_tx.send(());
        // Keep-alive connections can hold a graceful shutdown open; they get a moment.
        if tokio::time::timeout(Duration::from_secs(2), server)
            .await
            .is_err()
        {
            eprintln!("ol-conformance: connections still open at shutdown were closed");
        }
        let mut stream = std::mem::take(
            &mut *self
                .shared
                .stream
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        let elsewhere = self
            .shared
            .elsewhere
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let requests = self.shared.requests.load(Ordering::Relaxed);
        let mut seen = format!(
            "no event arrived at {0}/lineage or {0}/lineage/batch in {1:.1}s ({reason_text})",
            self.base_url,
            started.elapsed().as_secs_f64()
        );
        if requests > 0 {
            seen.push_str(&format!(
                "; {requests} requests reached the endpoints with no event in them"
            ));
        }
        if elsewhere.is_empty() {
            seen.push_str("; no request came to any other path either: is the producer pointed at this address, and enabled?");
        } else {
            let list: Vec<String> = elsewhere
                .iter()
                .map(|(what, n)| format!("{what} ({n} times)"))
                .collect();
            seen.push_str(&format!(
                "; requests to other paths were answered 404: {} (is the producer's URL or endpoint wrong?)",
                list.join(", ")
            ));
        }
        stream.explain_nothing(seen);
        Ok(ProducerReport::new(
            stream,
            format!("collect at {}", self.base_url),
            self.shared.requests.load(Ordering::Relaxed),
            started.elapsed(),
            self.opts.strict,
            expectations,
        ))
    }

    /// Waits for the first reason to stop, and says what it was.
    async fn wait(&self, mut signals: Signals) -> String {
        let started = Instant::now();
        let idle_or_full = async {
            loop {
                if self.shared.closed.load(Ordering::Relaxed) {
                    let n = self.opts.max_events.unwrap_or_default();
                    return format!("{n} events received");
                }
                let activity = self.shared.activity.notified();
                let any = self
                    .shared
                    .stream
                    .lock()
                    .map_or(true, |s| s.delivered() > 0);
                if !any {
                    // Before the first event only the first-event limit applies.
                    match self.opts.first_event_timeout {
                        Some(limit) => {
                            let left = limit.saturating_sub(started.elapsed());
                            if tokio::time::timeout(left, activity).await.is_err() {
                                return format!(
                                    "no event within {:.1}s of start-up (--first-event-timeout)",
                                    limit.as_secs_f64()
                                );
                            }
                        }
                        None => activity.await,
                    }
                    continue;
                }
                match self.opts.until_idle {
                    Some(idle) => {
                        if tokio::time::timeout(idle, activity).await.is_err() {
                            return format!("no event for {:.1}s", idle.as_secs_f64());
                        }
                    }
                    None => activity.await,
                }
            }
        };
        tokio::select! {
            reason = idle_or_full => reason,
            signal = signals.recv() => signal,
        }
    }
}

/// Ctrl-C (SIGINT) and SIGTERM, caught from when this is made.
struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> Result<Self, Error> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Signals {
                interrupt: signal(SignalKind::interrupt())
                    .map_err(|e| Error::io("cannot catch SIGINT", e))?,
                terminate: signal(SignalKind::terminate())
                    .map_err(|e| Error::io("cannot catch SIGTERM", e))?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    /// Resolves on the first signal, saying which.
    async fn recv(&mut self) -> String {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => "interrupted".into(),
                _ = self.terminate.recv() => "terminated".into(),
            }
        }
        #[cfg(not(unix))]
        {
            // Without a handler Ctrl-C ends the process, so waiting on it cannot fail silently.
            match tokio::signal::ctrl_c().await {
                Ok(()) => "interrupted".into(),
                Err(e) => format!("cannot wait for ctrl-c ({e})"),
            }
        }
    }
}
