//! The README's table of checks is generated from the code; this keeps the two in step.

use openlineage_codegen::derived::{ensure_file_contents, replace_between, updating, UPDATE_ENV};
use openlineage_conformance::checks::{markdown_table, CHECKS};

#[test]
fn readme_lists_every_check() {
    let path = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"));
    let readme = std::fs::read_to_string(path).expect("README.md");
    let updated = replace_between(
        &readme,
        "<!-- checks:start -->",
        "<!-- checks:end -->",
        &markdown_table(),
    )
    .expect("README.md has the <!-- checks:start --> and <!-- checks:end --> markers");
    let fix = updating();
    let fresh = ensure_file_contents(path, &updated, !fix).expect("README.md is writable");
    assert!(
        fresh || fix,
        "README table of checks was stale: run `cargo xtask codegen` (or set {UPDATE_ENV}=1)"
    );
}

#[test]
fn every_check_is_reported_by_some_family_and_every_family_check_exists() {
    let gen = openlineage_types::arb::ValueGen::new(openlineage_types::arb::GenConfig::SMALL)
        .expect("generator");
    let families = openlineage_conformance::families::families(&gen).expect("families");
    let reachable = openlineage_conformance::families::family_check_ids(&families);
    let mut declared: Vec<&str> = CHECKS.iter().map(|c| c.id).collect();
    declared.sort_unstable();
    assert_eq!(reachable, declared);
}
