//! Helpers shared by the integration tests: where the pinned spec snapshot is.

use std::path::PathBuf;

use openlineage_codegen::spec::Pin;
use openlineage_types::{EventKind, FacetKind};

pub use openlineage_testkit::corpus;
use serde_json::{json, Value};

/// The spec snapshot the crate was built from (honours `OPENLINEAGE_SPEC_DIR`).
pub fn spec_dir() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let pin = Pin::read(&root).expect("spec/pin.json is readable");
    pin.resolve_dir(&root)
}

/// A minimal RunEvent with one input and one output dataset.
pub fn base_event() -> Value {
    json!({
        "eventTime": "2024-01-01T00:00:00Z",
        "producer": "https://example.com/p",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": "0190d5a4-7c6c-7b8e-9f00-000000000001"},
        "job": {"namespace": "ns", "name": "job"},
        "inputs": [{"namespace": "ns", "name": "in"}],
        "outputs": [{"namespace": "ns", "name": "out"}]
    })
}

/// [`base_event`] with a facet map where facets of `kind` live.
pub fn event_with(kind: FacetKind, facets: &Value) -> Value {
    let mut event = base_event();
    // The first place the kind sits in a RunEvent, with the first dataset for `*`.
    let site = kind.sites(EventKind::Run)[0].replace('*', "0");
    let (parent, key) = site.rsplit_once('/').expect("a pointer");
    event
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .expect("the base event has every container")
        .insert(key.to_string(), facets.clone());
    event
}
