//! Snapshot of the generated public surface for the pinned spec: any spec or generator change
//! shows up as a `.snap` diff in review.

use std::path::PathBuf;

use openlineage_codegen::generate::generate;
use openlineage_codegen::spec::{verify, Pin};
use openlineage_codegen::surface::surface;

#[test]
fn generated_surface_matches_snapshot() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf();
    let pin = Pin::read(&root).expect("pin");
    let dir = pin.resolve_dir(&root);
    verify(&dir, &root.join("spec/SHA256SUMS")).expect("snapshot matches the pin");
    let generated = generate(&dir, &pin.tag).expect("generates");
    let listing = surface(&generated.code).expect("parses");
    assert!(
        listing.contains("container RunFacets: RunFacet"),
        "{listing}"
    );
    insta::assert_snapshot!("generated_surface", listing);
}

#[test]
fn generated_docs_carry_the_schema_examples_and_link_their_urls() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf();
    let pin = Pin::read(&root).expect("pin");
    let generated = generate(&pin.resolve_dir(&root), &pin.tag).expect("generates");
    let code = &generated.code;
    assert!(
        code.contains("Example: `SELECT * FROM foo`"),
        "SQLJobFacet.query"
    );
    assert!(
        code.contains("Example: `my-scheduler-namespace`"),
        "ParentJob.namespace"
    );
    assert!(code.matches("Example: ").count() >= 50);
    assert!(code.contains("(<https://tools.ietf.org/html/rfc6901>)"));
    // The embedded schema text keeps its URLs as they are; the docs must not (CI's
    // `RUSTDOCFLAGS="-D warnings" cargo doc` checks every other form).
    let bare = code
        .lines()
        .filter(|l| !l.contains("BUNDLED_DEFS"))
        .find(|l| l.contains(" (https://"));
    assert_eq!(bare, None, "a bare URL is left in the docs");
}
