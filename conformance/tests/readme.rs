//! The README's tables of checks are generated from the code; this keeps them in step.

use openlineage_codegen::derived::{ensure_file_contents, replace_between, updating, UPDATE_ENV};
use openlineage_conformance::checks::{aliases_markdown_table, markdown_table, CHECKS};
use openlineage_conformance::producer::{checks as producer_checks, PRODUCER_CHECKS};

/// Both tables in one test, since in fix mode it rewrites the README and two writers would race.
#[test]
fn readme_lists_every_server_and_producer_check() {
    let path = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"));
    let readme = std::fs::read_to_string(path).expect("README.md");
    let mut updated = readme.clone();
    for (marker, table) in [
        ("checks", markdown_table()),
        ("producer-checks", producer_checks::markdown_table()),
        ("check-aliases", aliases_markdown_table()),
    ] {
        let (start, end) = (
            format!("<!-- {marker}:start -->"),
            format!("<!-- {marker}:end -->"),
        );
        updated = replace_between(&updated, &start, &end, &table)
            .unwrap_or_else(|| panic!("README.md has the {start} and {end} markers"));
    }
    let fix = updating();
    let fresh = ensure_file_contents(path, &updated, !fix).expect("README.md is writable");
    assert!(
        fresh || fix,
        "README tables of checks were stale: run `cargo xtask codegen` (or set {UPDATE_ENV}=1)"
    );
}

#[test]
fn producer_check_ids_are_their_own() {
    for c in PRODUCER_CHECKS {
        assert!(
            c.id.starts_with("producer."),
            "{} is not a producer id",
            c.id
        );
        assert!(
            !CHECKS.iter().any(|s| s.id == c.id),
            "{} is both a server and a producer check",
            c.id
        );
    }
}
