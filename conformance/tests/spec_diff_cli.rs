//! `ol-conformance spec diff`: exit 0 compatible, 1 breaking, 2 unusable input, in each format.

use std::path::PathBuf;
use std::process::Command;

fn snapshot(tag: &str) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let pin = std::fs::read_to_string(root.join("spec/pin.json")).expect("spec/pin.json");
    let pin: serde_json::Value = serde_json::from_str(&pin).expect("pin is JSON");
    // Older releases live where the pin's `history` says, else beside the pinned snapshot.
    if let Some(history) = pin["history"].as_str() {
        return root.join(history).join(tag);
    }
    let pinned = match std::env::var_os("OPENLINEAGE_SPEC_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => root.join(pin["path"].as_str().expect("pin path")),
    };
    pinned.parent().expect("snapshots folder").join(tag)
}

fn diff(old: &str, new: &str, format: &str) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ol-conformance"))
        .args(["spec", "diff"])
        .arg(snapshot(old))
        .arg(snapshot(new))
        .args(["--format", format])
        .output()
        .expect("runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_compatible_upgrade_exits_0() {
    let (code, stdout, _) = diff("1.22.0", "1.23.0", "human");
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains("optional_property_added at facets/ColumnLineageDatasetFacet.json"));
    assert!(stdout.ends_with("no breaking changes\n"), "{stdout}");
}

#[test]
fn a_breaking_upgrade_exits_1_in_every_format() {
    let (code, stdout, _) = diff("1.39.0", "1.40.0", "json");
    assert_eq!(code, Some(1));
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON report");
    assert_eq!(report["breaking"], true);
    assert!(report["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .any(|c| c["kind"] == "facet_key_renamed" && c["producers"] == "breaking"));
    let (code, stdout, _) = diff("1.39.0", "1.40.0", "markdown");
    assert_eq!(code, Some(1));
    assert!(stdout.starts_with("#### Spec diff 1.39.0 → 1.40.0\n\n**breaking changes found**"));
}

#[test]
fn unusable_input_exits_2_naming_the_folder() {
    let (code, _, stderr) = diff("1.22.0", "no-such-release", "human");
    assert_eq!(code, Some(2));
    assert!(stderr.contains("no-such-release"), "{stderr}");
    assert!(stderr.contains("is not a spec snapshot"), "{stderr}");
}
