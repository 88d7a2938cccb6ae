//! Code generation for snapshots older than the pin: before 1.40.0 the OpenAPI document has no
//! batch endpoint, and the batch types are left out rather than failing the build. Each
//! release's outline (every public item and the facet catalogue) is pinned whole with insta.

use std::fmt::Write;
use std::path::PathBuf;

use openlineage_codegen::generate::{generate, openapi_facts, Generated};
use openlineage_codegen::spec::Pin;
use openlineage_codegen::surface::surface;

/// An older release, from the folder the pin names for them (by default beside the pinned one).
fn snapshot(tag: &str) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    Pin::read(&root).expect("pin").history_dir(&root).join(tag)
}

/// The public items (the surface listing's unindented lines), then the facet catalogue.
fn outline(generated: &Generated) -> String {
    let listing = surface(&generated.code).expect("parses");
    let mut out = format!("batch types: {}\n\n", generated.batch);
    for line in listing.lines().filter(|l| !l.starts_with(' ')) {
        out.push_str(line);
        out.push('\n');
    }
    out.push('\n');
    for e in &generated.catalogue {
        writeln!(
            out,
            "{:?} {} => {} {} ({})",
            e.kind, e.key, e.def, e.version, e.file
        )
        .expect("a string takes writes");
    }
    out
}

#[test]
fn a_snapshot_without_a_batch_endpoint_generates_without_batch_types() {
    // 1.13.0 is the oldest release whose facets all extend the 2-0-2 core.
    for tag in ["1.13.0", "1.22.0"] {
        let dir = snapshot(tag);
        let facts = openapi_facts(&dir.join("OpenLineage.yml")).expect("OpenAPI facts");
        assert!(facts.batch_response.is_none(), "{tag}");
        let generated = generate(&dir, tag).expect("types");
        insta::assert_snapshot!(format!("outline_{tag}"), outline(&generated));
    }
}

#[test]
fn a_snapshot_with_a_batch_endpoint_keeps_the_batch_types() {
    let dir = snapshot("1.40.0");
    let facts = openapi_facts(&dir.join("OpenLineage.yml")).expect("OpenAPI facts");
    assert!(facts.batch_response.is_some());
    let generated = generate(&dir, "1.40.0").expect("types");
    insta::assert_snapshot!("outline_1.40.0", outline(&generated));
}
