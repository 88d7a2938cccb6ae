//! Code generation for snapshots older than the pin: before 1.40.0 the OpenAPI document has no
//! batch endpoint, and the batch types are left out rather than failing the build.

use std::path::PathBuf;

use openlineage_codegen::generate::{generate, openapi_facts};
use openlineage_codegen::spec::{Pin, SPEC_DIR_ENV};

/// A snapshot beside the pinned one (the pin, or `OPENLINEAGE_SPEC_DIR`, says where they are).
fn snapshot(tag: &str) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let pinned = match std::env::var_os(SPEC_DIR_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => root.join(Pin::read(&root).expect("pin").path),
    };
    pinned.parent().expect("snapshots folder").join(tag)
}

#[test]
fn a_snapshot_without_a_batch_endpoint_generates_without_batch_types() {
    let dir = snapshot("1.22.0");
    let facts = openapi_facts(&dir.join("OpenLineage.yml")).expect("OpenAPI facts");
    assert!(facts.batch_response.is_none());
    let generated = generate(&dir, "1.22.0").expect("types for 1.22.0");
    assert!(generated.code.contains("pub struct RunEvent"));
    assert!(
        !generated.code.contains("BatchResponse"),
        "batch types left out"
    );
}

#[test]
fn a_snapshot_with_a_batch_endpoint_keeps_the_batch_types() {
    let dir = snapshot("1.40.0");
    let facts = openapi_facts(&dir.join("OpenLineage.yml")).expect("OpenAPI facts");
    assert!(facts.batch_response.is_some());
}
