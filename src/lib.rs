//! Lossless Rust types for OpenLineage events, generated at build time from the upstream spec.
//!
//! The core schema, every facet schema (core and registry) and the OpenAPI batch response are
//! turned into serde types by `build.rs`. Every facet has a typed field in its container
//! ([`RunFacets`], [`JobFacets`], [`DatasetFacets`], [`InputDatasetFacets`],
//! [`OutputDatasetFacets`]); custom facets and unknown fields are kept, so parsing and writing an
//! event gives back the same JSON. [`Event`] dispatches the three event kinds by structure, as the
//! spec's `oneOf` does.
//!
//! **Producers** build a facet in one expression from its required fields (`SqlJobFacet::new`,
//! optional ones with `with_*`); its `_schemaURL` is the type's own `SCHEMA_URL`, and
//! [`RunEventBuilder::build`] gives every facet the event's producer.
//!
//! ```
//! use openlineage_types::{Event, OutputDataset, RunEvent, RunEventType, SchemaDatasetFacet, SqlJobFacet};
//!
//! let event = RunEvent::builder("https://example.com/my-producer", "my-namespace", "my-job")
//!     .event_type(RunEventType::Start)
//!     .job_facet(SqlJobFacet::new("SELECT * FROM orders"))
//!     .input("postgres://db:5432", "public.orders")
//!     .output_dataset(OutputDataset::new("s3://bucket", "out").with_facet(SchemaDatasetFacet::new()))
//!     .build();
//! let json = serde_json::to_string(&event).unwrap();
//! let back = Event::from_json(&json).unwrap();
//! assert_eq!(back, Event::Run(event));
//! ```
//!
//! **Consumers** read facets by type ([`Job::facet`], [`RunFacets::get`]) and the event's fields
//! through [`Event`]'s accessors ([`Event::run_id`], [`Event::job`], [`Event::inputs`], ...).
//!
//! **Collectors** parse and validate in one call, [`Event::parse_validated`] (and
//! [`BatchRequest::parse_validated`] with [`BatchResponse::from_results`] for batches); an
//! [`Error`] lists every violation with its JSON pointer ([`Error::violations`]) and
//! [`Error::rejection`] is a ready answer body. [`Tier`] says which tier a server should use
//! (`Formats`) and why.
//!
//! **Names**: spec definitions keep their names; types typify makes up for inline schemas are
//! named by one rule: the parent facet's stem (`ParentRunFacet` gives `Parent`), then the
//! property, singular for array items and map values, with shared words written once
//! (`ParentRun`, `ParentJob`, `ColumnLineageField`, `RunEventType`).
#![deny(missing_docs)]

#[cfg(feature = "proptest")]
pub mod arb;
#[cfg(openlineage_batch)]
mod batch;
mod builder;
mod de;
mod errors;
mod event;
mod facet;
mod json;
mod number;
/// The five facet containers of an event, defined once in the code generator (see
/// `openlineage_codegen::FACET_KIND_SOURCE`) and written out by the build script.
mod facet_kind {
    include!(concat!(env!("OUT_DIR"), "/facet_kind.rs"));
}
mod registry;
pub mod unknown;
#[cfg(feature = "validate")]
mod validate;
mod violation;

pub use builder::{schema_url, RunEventBuilder};
pub use errors::Error;
pub use event::{BatchRequest, Event, EventKind};
pub(crate) use facet::facet_container;
pub use facet::{Facet, FacetOf};
pub use number::Integer;
pub use registry::{facet, FacetInfo, FacetKind, NestedFacetMap};
pub use unknown::UnknownFields;
#[cfg(feature = "validate")]
pub use validate::Validator;
pub use violation::{Rejection, Tier, Violation};

// Types of these crates appear in public signatures (`run_id(Uuid)`, `event_time()`, `extra`
// maps), so users need not depend on matching versions themselves.
pub use chrono;
pub use serde_json;
pub use uuid;
pub use uuid::Uuid;

/// The README's Rust example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// Types generated from the pinned spec snapshot (see `build.rs`).
#[allow(missing_docs, clippy::all, clippy::pedantic, rust_2018_idioms)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/openlineage.rs"));
}
pub use generated::*;
