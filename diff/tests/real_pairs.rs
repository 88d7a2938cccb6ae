//! The verdict on real upstream release pairs (snapshots beside the pinned one): exit code,
//! which files break for whom, and which SchemaVer flags are raised.

use std::path::PathBuf;

use openlineage_spec_diff::{diff_dirs, ChangeKind, Error, SpecDiff};

/// The folder holding the snapshots: the parent of `OPENLINEAGE_SPEC_DIR` or of the pinned one.
fn snapshots() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let pin = std::fs::read_to_string(root.join("spec/pin.json")).expect("spec/pin.json");
    let pin: serde_json::Value = serde_json::from_str(&pin).expect("pin is JSON");
    // Older releases live where the pin's `history` says, else beside the pinned snapshot.
    if let Some(history) = pin["history"].as_str() {
        return root.join(history);
    }
    let pinned = match std::env::var_os("OPENLINEAGE_SPEC_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => root.join(pin["path"].as_str().expect("pin path")),
    };
    pinned.parent().expect("snapshots folder").to_path_buf()
}

fn run(old: &str, new: &str) -> SpecDiff {
    let dir = snapshots();
    diff_dirs(&dir.join(old), &dir.join(new)).expect("diff")
}

/// Files flagged by the SchemaVer check.
fn flags(d: &SpecDiff) -> Vec<&str> {
    d.version_flags().iter().map(|c| c.file()).collect()
}

fn of(d: &SpecDiff, kind: ChangeKind) -> Vec<&str> {
    d.changes
        .iter()
        .filter(|c| c.kind == kind)
        .map(|c| c.location.as_str())
        .collect()
}

fn verdict(d: &SpecDiff) -> (i32, Vec<&str>, Vec<&str>, Vec<&str>) {
    (
        d.exit_code(),
        d.breaks_producers(),
        d.breaks_consumers(),
        flags(d),
    )
}

const NONE: Vec<&str> = Vec::new();

#[test]
fn schema_fields_moved_to_defs_1_11_3_to_1_12_0_is_compatible() {
    let d = run("1.11.3", "1.12.0");
    assert_eq!(verdict(&d), (0, NONE, NONE, NONE), "{}", d.human());
    assert_eq!(
        of(&d, ChangeKind::OptionalPropertyAdded),
        ["facets/SchemaDatasetFacet.json#/properties/schema/properties/fields/items/properties/fields"]
    );
}

#[test]
fn column_lineage_input_field_moved_1_22_0_to_1_23_0_is_compatible() {
    let d = run("1.22.0", "1.23.0");
    assert_eq!(verdict(&d), (0, NONE, NONE, NONE), "{}", d.human());
    let real: Vec<_> = d
        .changes
        .iter()
        .filter(|c| {
            !matches!(
                c.kind,
                ChangeKind::DescriptionChanged | ChangeKind::VersionChanged
            )
        })
        .map(|c| (c.kind, c.location.as_str()))
        .collect();
    assert_eq!(
        real,
        [(
            ChangeKind::OptionalPropertyAdded,
            "facets/ColumnLineageDatasetFacet.json#/properties/columnLineage/properties/dataset"
        )]
    );
}

#[test]
fn facets_repointed_to_core_2_0_2_in_1_13_0_are_compatible_and_their_bumps_fit() {
    let d = run("1.12.0", "1.13.0");
    assert_eq!(verdict(&d), (0, NONE, NONE, NONE), "{}", d.human());
    assert_eq!(of(&d, ChangeKind::ReferenceRetargeted).len(), 23);
    assert!(
        d.changes
            .iter()
            .all(|c| c.kind.impact().0 == openlineage_spec_diff::Impact::Informational),
        "{}",
        d.human()
    );
}

#[test]
fn deleted_flag_in_core_2_0_1_0_29_2_to_0_30_0_is_compatible() {
    let d = run("0.29.2", "0.30.0");
    assert_eq!(verdict(&d), (0, NONE, NONE, NONE), "{}", d.human());
    assert_eq!(
        of(&d, ChangeKind::OptionalPropertyAdded),
        [
            "OpenLineage.json#/$defs/DatasetFacet/properties/_deleted",
            "OpenLineage.json#/$defs/JobFacet/properties/_deleted"
        ]
    );
}

#[test]
fn facet_maps_widened_to_any_of_0_16_1_to_0_17_0_break_only_consumers() {
    let d = run("0.16.1", "0.17.0");
    assert_eq!(
        verdict(&d),
        (1, NONE, vec!["OpenLineage.json"], NONE),
        "{}",
        d.human()
    );
    assert_eq!(of(&d, ChangeKind::AlternativeAdded).len(), 37);
}

#[test]
fn facet_maps_regrouped_as_any_of_0_17_0_to_0_18_0_only_widen() {
    // `additionalProperties: anyOf[RunFacet, facet files]` became `anyOf[{additionalProperties:
    // RunFacet}, facet files]`: the facet-file alternatives accept any object, so no event that
    // was valid became invalid. Nothing breaks producers and the ADDITION bump fits.
    let d = run("0.17.0", "0.18.0");
    assert_eq!(
        verdict(&d),
        (1, NONE, vec!["OpenLineage.json"], NONE),
        "{}",
        d.human()
    );
    assert!(
        of(&d, ChangeKind::AlternativeRemoved).is_empty(),
        "{}",
        d.human()
    );
    assert_eq!(of(&d, ChangeKind::AlternativeAdded).len(), 38);
    assert_eq!(
        of(&d, ChangeKind::FacetAdded),
        ["facets/ExternalQueryRunFacet.json"]
    );
}

#[test]
fn request_body_widened_to_one_of_0_28_0_to_0_29_0_breaks_only_consumers() {
    let d = run("0.28.0", "0.29.0");
    assert_eq!(
        verdict(&d),
        (
            1,
            NONE,
            vec!["OpenLineage.json", "OpenLineage.yml"],
            vec!["OpenLineage.yml"]
        ),
        "{}",
        d.human()
    );
    assert_eq!(
        of(&d, ChangeKind::AlternativeAdded),
        [
            "OpenLineage.json#/oneOf/1",
            "OpenLineage.json#/oneOf/2",
            "OpenLineage.yml#/paths/~1lineage/post/requestBody/oneOf/1",
            "OpenLineage.yml#/paths/~1lineage/post/requestBody/oneOf/2"
        ]
    );
}

#[test]
fn core_2_0_2_narrowed_under_an_addition_bump_in_1_0_0_is_flagged() {
    let d = run("0.30.1", "1.0.0");
    assert_eq!(
        verdict(&d),
        (
            1,
            vec![
                "OpenLineage.json",
                "facets/ExtractionErrorRunFacet.json",
                "facets/ProcessingEngineRunFacet.json"
            ],
            vec![
                "facets/ExtractionErrorRunFacet.json",
                "facets/ProcessingEngineRunFacet.json"
            ],
            vec!["OpenLineage.json"]
        ),
        "{}",
        d.human()
    );
    let flag = &d.version_flags()[0].detail;
    assert!(
        flag.contains("2-0-1 -> 2-0-2 is an ADDITION bump"),
        "{flag}"
    );
    assert!(
        flag.contains("alternative_removed") && flag.contains("constraint_added"),
        "{flag}"
    );
    assert_eq!(of(&d, ChangeKind::AlternativeRemoved).len(), 47);
    assert_eq!(of(&d, ChangeKind::ConstraintAdded).len(), 2);
}

#[test]
fn iceberg_key_renames_1_39_0_to_1_40_0_are_flagged() {
    let d = run("1.39.0", "1.40.0");
    let iceberg = vec![
        "registry/iceberg/facets/IcebergCommitReportOutputDatasetFacet.json",
        "registry/iceberg/facets/IcebergScanReportInputDatasetFacet.json",
    ];
    let mut flagged = iceberg.clone();
    flagged.insert(0, "OpenLineage.yml");
    assert_eq!(
        verdict(&d),
        (1, iceberg.clone(), iceberg, flagged),
        "{}",
        d.human()
    );
    let renames: Vec<_> = d
        .changes
        .iter()
        .filter(|c| c.kind == ChangeKind::FacetKeyRenamed)
        .map(|c| c.detail.as_str())
        .collect();
    assert_eq!(
        renames,
        [
            "facet key `iceberg_commit_report` renamed to `icebergCommitReport`",
            "facet key `iceberg_scan_report` renamed to `icebergScanReport`"
        ]
    );
    // The batch endpoint came without a new info.version.
    assert!(of(&d, ChangeKind::OperationAdded).contains(&"OpenLineage.yml#/paths/~1lineage~1batch"));
    assert!(d.version_flags()[0]
        .detail
        .contains("info.version stayed 0.0.1"));
}

#[test]
fn upgrade_1_40_0_to_1_52_0_is_compatible() {
    let d = run("1.40.0", "1.52.0");
    assert_eq!(verdict(&d), (0, NONE, NONE, NONE), "{}", d.human());
    assert_eq!(
        of(&d, ChangeKind::FacetAdded),
        [
            "facets/ExecutionParametersRunFacet.json",
            "facets/HierarchyDatasetFacet.json",
            "facets/TestRunFacet.json"
        ]
    );
    assert!(d.changes.iter().any(
        |c| c.kind == ChangeKind::ApiVersionChanged && c.detail == "API version 0.0.1 -> 2.0.2"
    ));
}

#[test]
fn downgrade_1_52_0_to_1_40_0_breaks_consumers_and_every_bump_goes_down() {
    let d = run("1.52.0", "1.40.0");
    assert_eq!(d.exit_code(), 1);
    assert!(d.breaks_producers().is_empty(), "{}", d.human());
    assert!(of(&d, ChangeKind::FacetRemoved).len() == 3);
    assert!(d
        .version_flags()
        .iter()
        .all(|c| c.detail.contains("is not a SchemaVer increase")));
}

#[test]
fn unusable_input_is_an_error_naming_the_file() {
    let dir = std::env::temp_dir().join(format!("spec-diff-bad-{}", std::process::id()));
    let good = snapshots().join("1.22.0");
    std::fs::create_dir_all(dir.join("facets")).expect("scratch");
    // No such folder.
    let err = diff_dirs(&dir.join("nope"), &good).expect_err("missing folder");
    assert!(matches!(err, Error::NotASnapshot { .. }), "{err}");
    // A missing OpenLineage.json.
    let err = diff_dirs(&dir, &good).expect_err("missing core");
    assert!(err.to_string().contains("OpenLineage.json"), "{err}");
    // A missing OpenAPI document.
    std::fs::copy(good.join("OpenLineage.json"), dir.join("OpenLineage.json")).expect("copy");
    let err = diff_dirs(&dir, &good).expect_err("missing yml");
    assert!(err.to_string().contains("OpenLineage.yml"), "{err}");
    // An unparsable facet.
    std::fs::copy(good.join("OpenLineage.yml"), dir.join("OpenLineage.yml")).expect("copy");
    std::fs::write(dir.join("facets/Broken.json"), "{not json").expect("write");
    let err = diff_dirs(&dir, &good).expect_err("bad facet");
    assert!(err.to_string().contains("facets/Broken.json"), "{err}");
    // A reference that names nothing.
    std::fs::write(
        dir.join("facets/Broken.json"),
        r##"{"properties": {"x": {"$ref": "#/$defs/Nowhere"}}}"##,
    )
    .expect("write");
    let err = diff_dirs(&dir, &good).expect_err("bad ref");
    assert_eq!(
        err.to_string(),
        "unresolvable reference `#/$defs/Nowhere` in facets/Broken.json"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// Upstream main after 1.52.0 adds one facet whose one key lives in two containers; the line
/// says where, and which registry lists it.
#[test]
fn lineage_facet_on_main_is_one_compatible_addition_in_two_containers() {
    let d = run("1.52.0", "main-8f02abfb");
    assert_eq!(verdict(&d), (0, NONE, NONE, NONE), "{}", d.human());
    let lines: Vec<(&str, ChangeKind, &str)> = d
        .changes
        .iter()
        .map(|c| (c.location.as_str(), c.kind, c.detail.as_str()))
        .collect();
    assert_eq!(
        lines,
        [(
            "facets/LineageFacet.json",
            ChangeKind::FacetAdded,
            "facet LineageFacet (key lineage, in the dataset and job containers) added at 1-0-0; listed in registry/core/registry.json"
        )]
    );
}
