//! `emit_load`: sends N distinct valid RunEvents (a START and a COMPLETE per run, so the stream
//! passes the producer checks) and counts what was delivered, in blocking, batch or queued mode.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use openlineage_emit::{
    BlockingClient, Client, Compression, HttpConfig, QueueConfig, QueuedClient, TransportConfig,
};
use openlineage_types::{RunEvent, RunEventType, Uuid};
use serde_json::json;

/// How to send.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// The server root (`url` of the HTTP transport).
    pub url: String,
    /// Events to send.
    pub count: usize,
    /// Events per `/lineage/batch` request; `None` sends one request per event.
    pub batch: Option<usize>,
    /// gzip request bodies.
    pub gzip: bool,
    /// Non-blocking mode with this queue capacity; the answer then reports the caller's cost
    /// per `emit` (beyond building the event) and the peak resident memory.
    pub queue: Option<usize>,
    /// How long a queued run waits for the queue to drain at the end.
    pub drain: Duration,
    /// Requests in flight at once from the async client (1: the blocking client, one after
    /// another). Each task takes whole runs, so a run's START still goes before its COMPLETE.
    pub concurrency: usize,
}

/// Run ids of one load: a random first half and the run number, so nothing is stored per
/// event and the memory a run takes is the client's alone.
#[derive(Debug, Clone, Copy)]
pub struct Runs(u64);

impl Runs {
    /// Run ids no other load shares.
    pub fn new() -> Self {
        Runs(Uuid::new_v4().as_u64_pair().0)
    }

    fn id(self, run: usize) -> Uuid {
        Uuid::from_u64_pair(self.0, run as u64)
    }
}

impl Default for Runs {
    fn default() -> Self {
        Self::new()
    }
}

/// The `i`-th event: run `i / 2`, START for even `i`, COMPLETE for odd.
pub fn event(runs: Runs, i: usize) -> RunEvent {
    let state = if i % 2 == 0 {
        RunEventType::Start
    } else {
        RunEventType::Complete
    };
    RunEvent::builder(
        "https://github.com/openlineage-rs/openlineage-rs/emit-examples",
        "emit-load",
        format!("job-{}", i / 2),
    )
    .run_id(runs.id(i / 2))
    .event_type(state)
    .input("postgres://db:5432", "shop.public.orders")
    .output("postgres://db:5432", "shop.public.daily")
    .build()
}

/// Sends the events; the answer is one JSON object with the counts and rates. `Ok` with
/// `delivered < count` means some failed (the answer says how many).
pub fn run(opts: &LoadOptions) -> anyhow::Result<serde_json::Value> {
    let mut http = HttpConfig::new(&opts.url);
    http.batch = opts.batch.is_some();
    http.compression = opts.gzip.then_some(Compression::Gzip);
    let client = Client::from_config(&TransportConfig::Http(http))?;
    let runs = Runs::new();
    let started = Instant::now();
    if let Some(capacity) = opts.queue {
        // Events are built as they are emitted, so memory holds only what the queue holds; the
        // caller's cost of `emit` is the loop's time minus a loop that only builds.
        let building = Instant::now();
        for i in 0..opts.count {
            std::hint::black_box(event(runs, i));
        }
        let build_s = building.elapsed().as_secs_f64();
        let queue = QueuedClient::new(
            client,
            QueueConfig {
                capacity,
                max_batch: opts.batch.unwrap_or(100),
            },
        )?;
        let emitting = Instant::now();
        for i in 0..opts.count {
            // A full queue drops the event and counts it; the totals below say how many.
            let _ = queue.emit(&event(runs, i));
        }
        let emit_s = (emitting.elapsed().as_secs_f64() - build_s).max(0.0);
        let stats = queue.close(opts.drain);
        let n = opts.count.max(1) as f64;
        return Ok(json!({
            "sent": opts.count,
            "delivered": stats.delivered,
            "dropped": stats.dropped,
            "failed": stats.failed,
            "pending": stats.pending,
            "seconds": started.elapsed().as_secs_f64(),
            "emit_us_per_event": emit_s * 1e6 / n,
            "build_us_per_event": build_s * 1e6 / n,
            "peak_rss_kb": peak_rss_kb(),
        }));
    }
    if opts.concurrency > 1 {
        return concurrent(opts, client, runs, started);
    }
    let client = BlockingClient::new(client)?;
    let mut delivered = 0usize;
    let mut errors = Vec::new();
    match opts.batch {
        Some(size) => {
            for start in (0..opts.count).step_by(size.max(1)) {
                let end = (start + size.max(1)).min(opts.count);
                let events: Vec<RunEvent> = (start..end).map(|i| event(runs, i)).collect();
                for outcome in client.emit_batch(&events)? {
                    match outcome {
                        Ok(()) => delivered += 1,
                        Err(e) => errors.push(e.to_string()),
                    }
                }
            }
        }
        None => {
            for i in 0..opts.count {
                match client.emit(&event(runs, i)) {
                    Ok(()) => delivered += 1,
                    Err(e) => errors.push(e.to_string()),
                }
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    errors.truncate(5);
    Ok(json!({
        "sent": opts.count,
        "delivered": delivered,
        "failed": opts.count - delivered,
        "seconds": seconds,
        "events_per_s": delivered as f64 / seconds.max(1e-9),
        "first_errors": errors,
    }))
}

/// Sends with `opts.concurrency` tasks of the async client, each taking the next whole runs
/// (a batch, or one run's two events) as it finishes the last.
fn concurrent(
    opts: &LoadOptions,
    client: Client,
    runs: Runs,
    started: Instant,
) -> anyhow::Result<serde_json::Value> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let next = Arc::new(AtomicUsize::new(0));
    // Whole runs per take: an even number of events.
    let take = opts.batch.map_or(2, |size| size.max(2) / 2 * 2);
    let count = opts.count;
    let (delivered, errors) = runtime.block_on(async {
        let tasks: Vec<_> = (0..opts.concurrency)
            .map(|_| {
                let (client, next) = (client.clone(), next.clone());
                tokio::spawn(async move {
                    let (mut delivered, mut errors) = (0usize, Vec::new());
                    loop {
                        let start = next.fetch_add(take, Ordering::Relaxed);
                        if start >= count {
                            break;
                        }
                        let events: Vec<RunEvent> = (start..(start + take).min(count))
                            .map(|i| event(runs, i))
                            .collect();
                        let outcomes = if take > 2 {
                            client.emit_batch(&events).await
                        } else {
                            let mut out = Vec::new();
                            for e in &events {
                                out.push(client.emit(e).await);
                            }
                            out
                        };
                        for outcome in outcomes {
                            match outcome {
                                Ok(()) => delivered += 1,
                                Err(e) => errors.push(e.to_string()),
                            }
                        }
                    }
                    (delivered, errors)
                })
            })
            .collect();
        let (mut delivered, mut errors) = (0usize, Vec::new());
        for task in tasks {
            if let Ok((d, e)) = task.await {
                delivered += d;
                errors.extend(e);
            }
        }
        (delivered, errors)
    });
    let seconds = started.elapsed().as_secs_f64();
    Ok(json!({
        "sent": count,
        "delivered": delivered,
        "failed": count - delivered,
        "seconds": seconds,
        "events_per_s": delivered as f64 / seconds.max(1e-9),
        "first_errors": errors.into_iter().take(5).collect::<Vec<_>>(),
    }))
}

/// The process's peak resident set (VmHWM), in KiB; 0 where /proc is not there.
pub fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}
