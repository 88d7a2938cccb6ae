//! Code generation for a synthetic snapshot: the pinned one plus `SyntheticFacet.json`
//! (`tests/fixtures/synthetic/`), one facet key using every JSON Schema construct the spec uses
//! or may use. The key is typed in each container its variants name; what typify cannot express
//! falls back to raw JSON with a note, never an error. The rest of the pipeline (validation,
//! generation, round trips, Python's jsonschema) runs on the same snapshot in
//! `xtask/tests/synthetic.rs`.

use std::path::PathBuf;

use openlineage_codegen::catalogue::FacetKind;
use openlineage_codegen::generate::generate;
use openlineage_codegen::spec::{overlay_snapshot, Pin};

#[test]
fn every_construct_generates_typed_or_as_raw_json_with_a_note() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let pinned = Pin::read(&root).expect("pin").resolve_dir(&root);
    let out = std::env::temp_dir().join(format!("ol-synthetic-codegen-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    overlay_snapshot(
        &pinned,
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/synthetic"),
        &out,
    )
    .expect("derived snapshot");
    let generated = generate(&out, "synthetic").expect("generates");
    std::fs::remove_dir_all(&out).ok();
    let mut placed: Vec<(FacetKind, &str)> = generated
        .catalogue
        .iter()
        .filter(|e| e.key == "synthetic")
        .map(|e| (e.kind, e.def.as_str()))
        .collect();
    placed.sort();
    assert_eq!(
        placed,
        [
            (FacetKind::Run, "SyntheticRunFacet"),
            (FacetKind::Job, "SyntheticJobFacet")
        ]
    );
    let code = &generated.code;
    for typed in [
        "pub struct SyntheticRunFacet",
        "pub struct SyntheticJobFacet",
        // `const` and one-value enums are enums; a `oneOf` of a string and an integer too.
        "pub enum SyntheticRunKind",
        "pub enum SyntheticEntryType",
        "pub enum SyntheticRunChoice",
        // One key, two containers.
        "synthetic : \"synthetic\" => SyntheticRunFacet",
        "synthetic : \"synthetic\" => SyntheticJobFacet",
    ] {
        assert!(code.contains(typed), "{typed}");
    }
    // The constructor fills in the one-value enum.
    assert!(
        code.contains("pub fn new(name: impl ::std::convert::Into<::std::string::String>) -> Self")
    );
    for note in [
        "Not enforced by this type: `if`, `then`, `else`, `dependentRequired` (the validator checks it).",
        "Not enforced by this type: `not` (the validator checks it).",
        "Raw JSON: the schema's `patternProperties` has no Rust type; the validator checks it.",
        "Raw JSON: the schema's `prefixItems` has no Rust type; the validator checks it.",
        "Raw JSON: the schema's `allOf` has no Rust type; the validator checks it.",
    ] {
        assert!(code.contains(note), "{note}");
    }
}
