//! `cargo xtask`: the project's maintenance commands. Argument parsing stays here; the work is
//! in the modules, most of it in `openlineage-codegen`.

mod bench;
mod fetch;
mod package;
/// The Python environments the tests build, shared so xtask and the tests use one venv.
#[path = "../../conformance/tests/support/pyenv.rs"]
mod pyenv;
mod tasks;
mod wheel;

use anyhow::{bail, Result};

const USAGE: &str = "usage: cargo xtask <command>

commands:
  spec diff OLD_DIR NEW_DIR [--format human|json|markdown]
                               semantic diff of two spec snapshots; exit 1 if anything breaks
  spec upgrade NEW_DIR [--tag TAG]
                               re-pin spec/ to NEW_DIR, regenerate, run the tests, keep
                               snapshot diffs (.snap.new) for review, print the diff
  spec fetch TAG [--url TEMPLATE] [--out DIR]
                               download the spec/ folder of release TAG from the upstream
                               archive (TEMPLATE, or $OPENLINEAGE_SPEC_URL, with {tag}) into
                               DIR (default spec/fetched/TAG); the pinned tag is checksummed
  spec compat OLD_DIR [--count N]
                               build against OLD_DIR side by side and check that events it
                               generates parse and validate under the pinned spec
  codegen [--check]            refresh (or check) everything derived from the spec that is
                               committed: spec/SHA256SUMS, the generated-surface snapshot and
                               the README table of checks
  package [--check] [--allow-dirty]
                               .crate files for ol-conformance and the workspace crates it
                               needs, with the pinned spec staged in the types crate; --check
                               also builds a downstream crate and cargo-installs ol-conformance
                               from the packages in a folder with no spec snapshot
  wheel [--check]              the Python wheel openlineage-conformance (maturin, the
                               ol-conformance binary) in target/wheels; --check also checks
                               its metadata and files, pip-installs it into a fresh venv and
                               runs ol-conformance run and lint with no Rust tool on PATH
  ci                           run .ci/run locally
  bench [--quick]              benchmarks against peers, one table of ratios
  bench --first-build          only the first-build row: with an empty scratch cargo home
                               and target folder, download, build ol-conformance in release
                               and run it once
  bench --emit                 only the openlineage-emit rows (release build), printed";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let flag = |name: &str| args.contains(&name);
    let value = |name: &str| {
        args.iter()
            .position(|a| *a == name)
            .and_then(|i| args.get(i + 1))
            .copied()
    };
    let code = match args.as_slice() {
        ["spec", "diff", old, new, ..] => {
            tasks::spec_diff(old, new, value("--format").unwrap_or("human"))?
        }
        ["spec", "upgrade", new, ..] => tasks::spec_upgrade(new, value("--tag"))?,
        ["spec", "fetch", tag, ..] => {
            let root = tasks::root();
            let url = fetch::url_for(tag, value("--url"));
            let out = value("--out").map_or_else(
                || root.join(fetch::FETCHED_DIR).join(tag),
                std::path::PathBuf::from,
            );
            fetch::fetch(&root, tag, &url, &out)?;
            println!("{}", out.display());
            eprintln!(
                "build against it with {}={}, or re-pin with `cargo xtask spec upgrade {}`",
                openlineage_codegen::spec::SPEC_DIR_ENV,
                out.display(),
                out.display()
            );
            0
        }
        ["spec", "compat", old, ..] => {
            let count = value("--count").map(str::parse).transpose()?.unwrap_or(500);
            tasks::spec_compat(old, count)?
        }
        ["codegen", ..] => tasks::codegen(flag("--check"))?,
        ["package", ..] if flag("--check") => package::check(flag("--allow-dirty"))?,
        ["package", ..] => {
            package::package(flag("--allow-dirty"))?;
            0
        }
        ["wheel", ..] if flag("--check") => wheel::check()?,
        ["wheel", ..] => wheel::wheel()?,
        ["ci", ..] => tasks::ci()?,
        ["bench", ..] if flag("--first-build") => bench::first_build()?,
        ["bench", ..] if flag("--emit") => bench::emit_only()?,
        ["bench", ..] => bench::run(flag("--quick"))?,
        ["help" | "--help" | "-h"] | [] => {
            println!("{USAGE}");
            0
        }
        _ => bail!("unknown command `{}`\n\n{USAGE}", args.join(" ")),
    };
    std::process::exit(code)
}
