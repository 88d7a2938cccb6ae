//! The non-blocking [`QueuedClient`]: `emit` only enqueues; a background thread drains a
//! bounded queue, taking whatever has piled up as one batch when the backend is slow.
//! Nothing is lost silently: every event emitted ends up delivered, dropped (the queue was
//! full) or failed, and the counts say so exactly.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::client::{encode, Client, LineageEvent, Validation};
use crate::transport::{Encoded, Transport};
use crate::Error;

/// The queue's size and batching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueConfig {
    /// Events waiting at most (default 10,000); past it `emit` drops the event and counts it.
    pub capacity: usize,
    /// Most events sent in one go (default 100): a batch request with an HTTP transport that
    /// has `batch` on, else one after another.
    pub max_batch: usize,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            capacity: 10_000,
            max_batch: 100,
        }
    }
}

/// What became of the events emitted so far. Once the queue is flushed or closed,
/// `delivered + dropped + failed == emitted` and `pending` is 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueStats {
    /// Calls to `emit`.
    pub emitted: u64,
    /// Taken by the transport.
    pub delivered: u64,
    /// Not queued: the queue was full or closed.
    pub dropped: u64,
    /// Refused by validation, or failed for good in the transport.
    pub failed: u64,
    /// Still queued or being sent.
    pub pending: u64,
}

#[derive(Default)]
struct Shared {
    emitted: AtomicU64,
    delivered: AtomicU64,
    dropped: AtomicU64,
    failed: AtomicU64,
    /// True once the worker has sent everything and stopped.
    finished: Mutex<bool>,
    changed: Condvar,
}

impl Shared {
    fn stats(&self) -> QueueStats {
        // Outcomes are read before `emitted`, so `pending` never goes below zero.
        let delivered = self.delivered.load(Ordering::SeqCst);
        let dropped = self.dropped.load(Ordering::SeqCst);
        let failed = self.failed.load(Ordering::SeqCst);
        let emitted = self.emitted.load(Ordering::SeqCst);
        QueueStats {
            emitted,
            delivered,
            dropped,
            failed,
            pending: emitted.saturating_sub(delivered + dropped + failed),
        }
    }

    fn notify(&self) {
        let _guard = self.finished.lock().unwrap_or_else(PoisonError::into_inner);
        self.changed.notify_all();
    }

    /// Waits until `done` holds (checked under the lock) or `timeout` passes.
    fn wait(&self, timeout: Duration, done: impl Fn(&Shared, bool) -> bool) {
        let deadline = Instant::now() + timeout;
        let mut finished = self.finished.lock().unwrap_or_else(PoisonError::into_inner);
        while !done(self, *finished) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            finished = self
                .changed
                .wait_timeout(finished, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

/// Sends events without ever waiting: for jobs that must not slow down.
///
/// ```no_run
/// use std::time::Duration;
/// use openlineage_emit::{Client, QueueConfig, QueuedClient};
/// # let event = openlineage_types::RunEvent::builder("https://p", "n", "j").build();
/// let queue = QueuedClient::new(Client::from_environment()?, QueueConfig::default())?;
/// let _ = queue.emit(&event); // never blocks; a full queue drops and counts
/// let stats = queue.close(Duration::from_secs(10));
/// assert_eq!(stats.delivered + stats.dropped + stats.failed + stats.pending, stats.emitted);
/// # Ok::<(), openlineage_emit::Error>(())
/// ```
pub struct QueuedClient {
    sender: Mutex<Option<mpsc::Sender<Encoded>>>,
    shared: Arc<Shared>,
    worker: Mutex<Option<JoinHandle<()>>>,
    validation: Option<Validation>,
}

impl fmt::Debug for QueuedClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueuedClient")
            .field("stats", &self.shared.stats())
            .field("validation", &self.validation)
            .finish_non_exhaustive()
    }
}

impl QueuedClient {
    /// Starts the background thread that drains the queue into `client`'s transport (with
    /// `client`'s validation applied when events are emitted).
    pub fn new(client: Client, config: QueueConfig) -> Result<Self, Error> {
        let (tx, rx) = mpsc::channel(config.capacity.max(1));
        let shared = Arc::new(Shared::default());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(Error::Runtime)?;
        let transport = client.transport().clone();
        let worker_shared = shared.clone();
        let max_batch = config.max_batch.max(1);
        let worker = std::thread::Builder::new()
            .name("openlineage-emit".into())
            .spawn(move || {
                runtime.block_on(drain(rx, transport, &worker_shared, max_batch));
                *worker_shared
                    .finished
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = true;
                worker_shared.changed.notify_all();
            })
            .map_err(Error::Runtime)?;
        Ok(QueuedClient {
            sender: Mutex::new(Some(tx)),
            shared,
            worker: Mutex::new(Some(worker)),
            validation: client.validation(),
        })
    }

    /// Queues an event and returns at once. An error says the event will not be sent:
    /// refused by validation (counted failed), or the queue is full or closed (counted dropped).
    pub fn emit<E: LineageEvent + ?Sized>(&self, event: &E) -> Result<(), Error> {
        self.shared.emitted.fetch_add(1, Ordering::SeqCst);
        let encoded = match encode(event, self.validation) {
            Ok(e) => e,
            Err(e) => {
                self.shared.failed.fetch_add(1, Ordering::SeqCst);
                self.shared.notify();
                return Err(e);
            }
        };
        let sender = self.sender.lock().unwrap_or_else(PoisonError::into_inner);
        let outcome = match sender.as_ref() {
            Some(tx) => tx.try_send(encoded).map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => Error::QueueFull,
                mpsc::error::TrySendError::Closed(_) => Error::Closed,
            }),
            None => Err(Error::Closed),
        };
        drop(sender);
        if outcome.is_err() {
            self.shared.dropped.fetch_add(1, Ordering::SeqCst);
            self.shared.notify();
        }
        outcome
    }

    /// The counts so far.
    pub fn stats(&self) -> QueueStats {
        self.shared.stats()
    }

    /// Waits up to `timeout` for every queued event to be delivered or to fail; the counts
    /// say what happened (`pending` is what was still in flight at the timeout).
    pub fn flush(&self, timeout: Duration) -> QueueStats {
        self.shared
            .wait(timeout, |s, finished| finished || s.stats().pending == 0);
        self.shared.stats()
    }

    /// Stops taking events, then waits up to `timeout` for the queue to drain and the
    /// background thread to stop. Events emitted afterwards are dropped (and counted).
    pub fn close(&self, timeout: Duration) -> QueueStats {
        self.sender
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        self.shared.wait(timeout, |_, finished| finished);
        let finished = *self
            .shared
            .finished
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if finished {
            if let Some(worker) = self
                .worker
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take()
            {
                let _ = worker.join();
            }
        }
        self.shared.stats()
    }
}

impl Drop for QueuedClient {
    fn drop(&mut self) {
        // Closing the queue lets the thread send what is left and stop; call `close` to wait.
        self.sender
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }
}

async fn drain(
    mut rx: mpsc::Receiver<Encoded>,
    transport: Arc<dyn Transport>,
    shared: &Shared,
    max_batch: usize,
) {
    let mut batch = Vec::with_capacity(max_batch);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        // Whatever piled up while the last send was in flight goes in this one.
        while batch.len() < max_batch {
            match rx.try_recv() {
                Ok(e) => batch.push(e),
                Err(_) => break,
            }
        }
        let outcomes = if batch.len() == 1 {
            vec![transport.send(&batch[0]).await]
        } else {
            transport.send_batch(&batch).await
        };
        let delivered = outcomes.iter().filter(|o| o.is_ok()).count() as u64;
        // A transport that returns fewer outcomes than events counts the rest as failed.
        let failed = batch.len() as u64 - delivered;
        shared.delivered.fetch_add(delivered, Ordering::SeqCst);
        shared.failed.fetch_add(failed, Ordering::SeqCst);
        batch.clear();
        shared.notify();
    }
}
