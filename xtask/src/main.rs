//! `cargo xtask`: the project's maintenance commands. Argument parsing stays here; the work is
//! in the modules, most of it in `openlineage-codegen`.

mod bench;
mod tasks;

use anyhow::{bail, Result};

const USAGE: &str = "usage: cargo xtask <command>

commands:
  spec diff OLD_DIR NEW_DIR [--format human|json|markdown]
                               semantic diff of two spec snapshots; exit 1 if anything breaks
  spec upgrade NEW_DIR [--tag TAG]
                               re-pin spec/ to NEW_DIR, regenerate, run the tests, keep
                               snapshot diffs (.snap.new) for review, print the diff
  spec compat OLD_DIR [--count N]
                               build against OLD_DIR side by side and check that events it
                               generates parse and validate under the pinned spec
  codegen [--check]            refresh (or check) everything derived from the spec that is
                               committed: spec/SHA256SUMS, the generated-surface snapshot and
                               the README table of checks
  ci                           run .ci/run locally
  bench [--quick]              benchmarks against peers, one table of ratios";

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
        ["spec", "compat", old, ..] => {
            let count = value("--count").map(str::parse).transpose()?.unwrap_or(500);
            tasks::spec_compat(old, count)?
        }
        ["codegen", ..] => tasks::codegen(flag("--check"))?,
        ["ci", ..] => tasks::ci()?,
        ["bench", ..] => bench::run(flag("--quick"))?,
        ["help" | "--help" | "-h"] | [] => {
            println!("{USAGE}");
            0
        }
        _ => bail!("unknown command `{}`\n\n{USAGE}", args.join(" ")),
    };
    std::process::exit(code)
}
