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
