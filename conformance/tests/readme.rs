//! The README's table of checks is generated from the code; this keeps the two in step.

use openlineage_conformance::checks::{markdown_table, CHECKS};
use openlineage_conformance::producer::{checks as producer_checks, PRODUCER_CHECKS};

#[test]
fn readme_lists_every_check() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("README.md");
    let start =
        readme.find("<!-- checks:start -->").expect("start marker") + "<!-- checks:start -->".len();
    let end = readme.find("<!-- checks:end -->").expect("end marker");
    assert_eq!(
        readme[start..end].trim(),
        markdown_table().trim(),
        "README table of checks is stale: run `cargo xtask codegen`"
    );
    for c in CHECKS {
        assert!(
            readme.contains(&format!("`{}`", c.id)),
            "{} missing from README",
            c.id
        );
    }
}

#[test]
fn readme_lists_every_producer_check() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("README.md");
    let (start, end) = (
        "<!-- producer-checks:start -->",
        "<!-- producer-checks:end -->",
    );
    let a = readme.find(start).expect("start marker") + start.len();
    let b = readme.find(end).expect("end marker");
    assert_eq!(
        readme[a..b].trim(),
        producer_checks::markdown_table().trim(),
        "README table of producer checks is stale: run `cargo xtask codegen`"
    );
    for c in PRODUCER_CHECKS {
        assert!(
            c.id.starts_with("producer."),
            "{} is not a producer id",
            c.id
        );
        assert!(
            openlineage_conformance::checks::find(c.id).is_none(),
            "{} is both a server and a producer check",
            c.id
        );
    }
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
