//! Delivers OpenLineage events from Rust producers: transports, configuration and clients.
//!
//! Events built with [`openlineage_types`] go out through a [`Transport`]: [`HttpTransport`]
//! (`/lineage`, or `/lineage/batch` when batching is on; timeouts, retries with backoff and
//! jitter, API-key authentication, custom headers, gzip, https), [`FileTransport`] (JSON lines),
//! [`ConsoleTransport`] and [`CompositeTransport`]. [`TransportConfig::from_environment`] reads
//! `openlineage.yml` and the `OPENLINEAGE_*` variables by the Python client's rules.
//!
//! Three ways to send: [`Client`] (async, for tokio code), [`BlockingClient`] (plain code; it
//! refuses to run inside a runtime rather than deadlock) and [`QueuedClient`] (never waits: a
//! bounded queue drained in the background, with exact delivered/dropped/failed counts).
//!
//! **Delivery guarantee: at least once.** An event the transport reports delivered was
//! acknowledged by the backend; an event whose request failed in a retriable way is sent again,
//! so a backend that stored it but whose answer was lost (a reset, a timeout) sees it twice.
//! Duplicates happen only around such retried failures.
//!
//! ```no_run
//! use openlineage_emit::BlockingClient;
//! use openlineage_types::{RunEvent, RunEventType};
//!
//! let client = BlockingClient::from_environment()?;
//! let event = RunEvent::builder("https://example.com/my-producer", "analytics", "daily")
//!     .event_type(RunEventType::Start)
//!     .build();
//! client.emit(&event)?;
//! # Ok::<(), openlineage_emit::Error>(())
//! ```
#![deny(missing_docs)]

mod client;
mod config;
mod error;
mod queue;
mod secret;
mod transport;

pub use client::{BlockingClient, Client, LineageEvent, OnInvalid, Validation};
pub use config::{Sources, TransportConfig};
pub use error::Error;
pub use queue::{QueueConfig, QueueStats, QueuedClient};
pub use secret::Secret;
pub use transport::composite::{CompositeConfig, CompositeTransport};
pub use transport::console::{ConsoleConfig, ConsoleStream, ConsoleTransport};
pub use transport::file::{FileConfig, FileTransport};
pub use transport::http::{Compression, HttpConfig, HttpTransport, RetryConfig};
pub use transport::{BoxFuture, Encoded, NoopTransport, Transport};
