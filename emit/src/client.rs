//! The async [`Client`] and the [`BlockingClient`]: `emit` returns once the transport has the
//! event, or with the final error. Optional validation before sending.

use std::fmt;
use std::sync::Arc;

use openlineage_types::{DatasetEvent, Event, JobEvent, RunEvent, Tier, Validator, Violation};
use serde::Serialize;

use crate::config::TransportConfig;
use crate::transport::{Encoded, Transport};
use crate::Error;

/// An event a client can send: the three kinds, and [`Event`].
pub trait LineageEvent: Serialize {}
impl LineageEvent for RunEvent {}
impl LineageEvent for JobEvent {}
impl LineageEvent for DatasetEvent {}
impl LineageEvent for Event {}

/// What to do with an event that fails validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnInvalid {
    /// Report it (one line on stderr, naming the first violation) and send it anyway.
    ReportAndSend,
    /// Do not send it: `emit` returns [`Error::Invalid`].
    Refuse,
}

/// Validation before sending (off unless asked for).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validation {
    /// The tier events are checked at.
    pub tier: Tier,
    /// What happens to an event that fails.
    pub on_invalid: OnInvalid,
}

/// Serializes an event, validating it first when asked to.
pub(crate) fn encode<E: LineageEvent + ?Sized>(
    event: &E,
    validation: Option<Validation>,
) -> Result<Encoded, Error> {
    let Some(v) = validation else {
        return Encoded::new(event);
    };
    let value = serde_json::to_value(event)?;
    let violations: Vec<Violation> = Validator::global().validate_value(&value, v.tier);
    if !violations.is_empty() {
        let error = Error::Invalid {
            tier: v.tier,
            violations,
        };
        match v.on_invalid {
            OnInvalid::Refuse => return Err(error),
            OnInvalid::ReportAndSend => eprintln!("openlineage-emit: sending anyway: {error}"),
        }
    }
    Encoded::new(&value)
}

/// Sends events from async code: `emit(&event).await` resolves once the transport has it.
#[derive(Clone)]
pub struct Client {
    transport: Arc<dyn Transport>,
    validation: Option<Validation>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("transport", &self.transport)
            .field("validation", &self.validation)
            .finish()
    }
}

impl Client {
    /// A client over any transport.
    pub fn new(transport: impl Transport + 'static) -> Self {
        Client {
            transport: Arc::new(transport),
            validation: None,
        }
    }

    /// A client configured as the Python client would be from this process's `openlineage.yml`
    /// and environment ([`TransportConfig::from_sources`]).
    pub fn from_environment() -> Result<Self, Error> {
        Self::from_config(&TransportConfig::from_environment()?)
    }

    /// A client for a transport configuration.
    pub fn from_config(config: &TransportConfig) -> Result<Self, Error> {
        Ok(Client {
            transport: Arc::from(config.build()?),
            validation: None,
        })
    }

    /// Validates each event at `tier` before sending it.
    pub fn with_validation(mut self, tier: Tier, on_invalid: OnInvalid) -> Self {
        self.validation = Some(Validation { tier, on_invalid });
        self
    }

    /// The transport.
    pub fn transport(&self) -> &Arc<dyn Transport> {
        &self.transport
    }

    pub(crate) fn validation(&self) -> Option<Validation> {
        self.validation
    }

    /// Sends one event; resolves when it is delivered or has failed for good.
    pub async fn emit<E: LineageEvent + ?Sized>(&self, event: &E) -> Result<(), Error> {
        let encoded = encode(event, self.validation)?;
        self.transport.send(&encoded).await
    }

    /// Sends several events at once (one `/lineage/batch` request with an HTTP transport that
    /// has `batch` on), returning each one's outcome in order.
    pub async fn emit_batch<E: LineageEvent>(&self, events: &[E]) -> Vec<Result<(), Error>> {
        let mut outcomes: Vec<Option<Result<(), Error>>> = Vec::with_capacity(events.len());
        let mut encoded = Vec::with_capacity(events.len());
        for event in events {
            match encode(event, self.validation) {
                Ok(e) => {
                    encoded.push(e);
                    outcomes.push(None);
                }
                Err(e) => outcomes.push(Some(Err(e))),
            }
        }
        let mut sent = self.transport.send_batch(&encoded).await.into_iter();
        outcomes
            .into_iter()
            .map(|o| o.unwrap_or_else(|| sent.next().unwrap_or(Err(Error::Closed))))
            .collect()
    }
}

/// Sends events from plain (non-async) code, on a runtime of its own. Called from inside a
/// tokio runtime it returns [`Error::InsideRuntime`] rather than deadlock.
pub struct BlockingClient {
    client: Client,
    // Always `Some` until dropped; `Drop` takes it to shut it down without blocking.
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for BlockingClient {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which panics inside another runtime; this does not.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl fmt::Debug for BlockingClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingClient")
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

impl BlockingClient {
    /// A blocking client over an async one.
    pub fn new(client: Client) -> Result<Self, Error> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(Error::Runtime)?;
        Ok(BlockingClient {
            client,
            runtime: Some(runtime),
        })
    }

    /// A blocking client configured from this process's `openlineage.yml` and environment.
    pub fn from_environment() -> Result<Self, Error> {
        Self::new(Client::from_environment()?)
    }

    /// Validates each event at `tier` before sending it.
    pub fn with_validation(mut self, tier: Tier, on_invalid: OnInvalid) -> Self {
        self.client.validation = Some(Validation { tier, on_invalid });
        self
    }

    /// The async client inside.
    pub fn client(&self) -> &Client {
        &self.client
    }

    fn runtime(&self, what: &'static str) -> Result<&tokio::runtime::Runtime, Error> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(Error::InsideRuntime(what));
        }
        self.runtime.as_ref().ok_or(Error::Closed)
    }

    /// Sends one event; returns when it is delivered or has failed for good.
    pub fn emit<E: LineageEvent + ?Sized>(&self, event: &E) -> Result<(), Error> {
        self.runtime("BlockingClient::emit")?
            .block_on(self.client.emit(event))
    }

    /// Sends several events at once (see [`Client::emit_batch`]).
    pub fn emit_batch<E: LineageEvent>(
        &self,
        events: &[E],
    ) -> Result<Vec<Result<(), Error>>, Error> {
        Ok(self
            .runtime("BlockingClient::emit_batch")?
            .block_on(self.client.emit_batch(events)))
    }
}
