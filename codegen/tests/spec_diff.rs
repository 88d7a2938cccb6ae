//! The semantic diff on the real upgrade in the shared snapshots: 1.40.0 -> 1.52.0.

use std::path::PathBuf;

use openlineage_codegen::diff::{diff_dirs, Impact, Kind};
use openlineage_codegen::spec::Pin;

fn snapshots() -> (PathBuf, PathBuf) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let pinned = root.join(Pin::read(&root).expect("pin").path);
    let parent = pinned.parent().expect("snapshots folder").to_path_buf();
    (parent.join("1.40.0"), parent.join("1.52.0"))
}

#[test]
fn upgrade_1_40_to_1_52() {
    let (old, new) = snapshots();
    let diff = diff_dirs(&old, &new).expect("diff");
    let of = |kind: Kind| -> Vec<&str> {
        diff.changes
            .iter()
            .filter(|c| c.kind == kind)
            .map(|c| c.location.as_str())
            .collect()
    };
    assert_eq!(
        of(Kind::FacetAdded),
        [
            "facets/ExecutionParametersRunFacet.json",
            "facets/HierarchyDatasetFacet.json",
            "facets/TestRunFacet.json"
        ]
    );
    let mut changed: Vec<&str> = of(Kind::VersionChanged)
        .into_iter()
        .map(|l| {
            l.trim_start_matches("facets/")
                .split('.')
                .next()
                .unwrap_or(l)
        })
        .collect();
    changed.sort_unstable();
    assert_eq!(
        changed,
        [
            "DataQualityAssertionsDatasetFacet",
            "JobDependenciesRunFacet",
            "JobTypeJobFacet",
            "ParentRunFacet",
            "SourceCodeLocationJobFacet"
        ]
    );
    assert!(diff
        .changes
        .iter()
        .any(|c| c.kind == Kind::OpenApiChanged && c.detail.contains("\"0.0.1\" -> \"2.0.2\"")));
    assert!(of(Kind::PropertyAdded)
        .iter()
        .any(|l| l.ends_with("/pullRequestNumber")));
    // Every change in this release is additive; nothing breaks and every bump fits.
    assert!(!diff.is_breaking(), "{}", diff.human());
    assert!(diff
        .changes
        .iter()
        .all(|c| c.producers != Impact::Breaking && c.consumers != Impact::Breaking));
    insta::assert_json_snapshot!("diff_1_40_0_to_1_52_0", diff);
}

#[test]
fn downgrade_is_breaking() {
    let (old, new) = snapshots();
    let diff = diff_dirs(&new, &old).expect("diff");
    assert!(diff.is_breaking());
    assert!(diff
        .changes
        .iter()
        .any(|c| c.kind == Kind::FacetRemoved && c.consumers == Impact::Breaking));
    assert!(diff
        .changes
        .iter()
        .any(|c| c.kind == Kind::VersionBumpMismatch));
}
