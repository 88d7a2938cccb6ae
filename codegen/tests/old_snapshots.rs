//! Code generation for snapshots older than the pin: before 1.40.0 the OpenAPI document has no
//! batch endpoint, and the batch types are left out rather than failing the build.

use std::path::PathBuf;

use openlineage_codegen::generate::{generate, openapi_facts};
use openlineage_codegen::spec::Pin;

/// An older release, from the folder the pin names for them (by default beside the pinned one).
fn snapshot(tag: &str) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    Pin::read(&root).expect("pin").history_dir(&root).join(tag)
}

#[test]
fn a_snapshot_without_a_batch_endpoint_generates_without_batch_types() {
    // 1.13.0 is the oldest release whose facets all extend the 2-0-2 core.
    for tag in ["1.13.0", "1.22.0"] {
        let dir = snapshot(tag);
        let facts = openapi_facts(&dir.join("OpenLineage.yml")).expect("OpenAPI facts");
        assert!(facts.batch_response.is_none(), "{tag}");
        let generated = generate(&dir, tag).expect("types");
        assert!(generated.code.contains("pub struct RunEvent"), "{tag}");
        assert!(
            !generated.code.contains("BatchResponse"),
            "{tag}: batch types left out"
        );
        assert!(!generated.batch, "{tag}");
    }
}

#[test]
fn a_snapshot_with_a_batch_endpoint_keeps_the_batch_types() {
    let dir = snapshot("1.40.0");
    let facts = openapi_facts(&dir.join("OpenLineage.yml")).expect("OpenAPI facts");
    assert!(facts.batch_response.is_some());
    let generated = generate(&dir, "1.40.0").expect("types");
    assert!(generated.batch && generated.code.contains("pub struct BatchResponse"));
}
