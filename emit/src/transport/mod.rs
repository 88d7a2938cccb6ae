//! The [`Transport`] trait every way of delivering events implements, and the encoded event
//! it takes.

pub mod composite;
pub mod console;
pub mod file;
pub mod http;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::Serialize;

use crate::Error;

/// A boxed, sendable future: what [`Transport`] methods return, so transports can be trait
/// objects (a composite holds several).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An event serialized once, as JSON; cheap to clone, so retries and composites resend the
/// same bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Encoded(Arc<str>);

impl Encoded {
    /// Serializes an event.
    pub fn new<E: Serialize + ?Sized>(event: &E) -> Result<Self, Error> {
        Ok(Encoded(serde_json::to_string(event)?.into()))
    }

    /// Takes JSON text as it is, without checking it.
    pub fn from_json(json: impl Into<Arc<str>>) -> Self {
        Encoded(json.into())
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Encoded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Encoded({} bytes)", self.0.len())
    }
}

/// A way of delivering events. Implement [`Transport::send`]; [`Transport::send_batch`]
/// defaults to sending one by one.
///
/// `send` resolves when the event is delivered (the backend acknowledged it, the line is
/// written) or has failed for good; retrying is the transport's business.
pub trait Transport: Send + Sync + fmt::Debug {
    /// Delivers one event.
    fn send<'a>(&'a self, event: &'a Encoded) -> BoxFuture<'a, Result<(), Error>>;

    /// Delivers several events, returning one outcome per event in order.
    fn send_batch<'a>(&'a self, events: &'a [Encoded]) -> BoxFuture<'a, Vec<Result<(), Error>>> {
        Box::pin(async move {
            let mut out = Vec::with_capacity(events.len());
            for event in events {
                out.push(self.send(event).await);
            }
            out
        })
    }
}

impl<T: Transport + ?Sized> Transport for Arc<T> {
    fn send<'a>(&'a self, event: &'a Encoded) -> BoxFuture<'a, Result<(), Error>> {
        (**self).send(event)
    }

    fn send_batch<'a>(&'a self, events: &'a [Encoded]) -> BoxFuture<'a, Vec<Result<(), Error>>> {
        (**self).send_batch(events)
    }
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn send<'a>(&'a self, event: &'a Encoded) -> BoxFuture<'a, Result<(), Error>> {
        (**self).send(event)
    }

    fn send_batch<'a>(&'a self, events: &'a [Encoded]) -> BoxFuture<'a, Vec<Result<(), Error>>> {
        (**self).send_batch(events)
    }
}

/// Takes every event and does nothing: what `OPENLINEAGE_DISABLED=true` gives.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoopTransport;

impl Transport for NoopTransport {
    fn send<'a>(&'a self, _event: &'a Encoded) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async { Ok(()) })
    }
}
