//! `cargo xtask`: the project's maintenance commands. The command line is declared here (clap);
//! the work is in the modules, most of it in `openlineage-codegen`.

mod bench;
mod fetch;
mod package;
mod selfcheck;
mod tasks;
mod wheel;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand, ValueEnum};

/// Maintenance commands: spec diffs and upgrades, codegen checks, packaging, local CI,
/// benchmarks.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Spec snapshots: diff, upgrade, fetch, compatibility, self-check.
    Spec {
        #[command(subcommand)]
        command: SpecCommand,
    },
    /// Refresh (or check) everything derived from the spec that is committed: spec/SHA256SUMS,
    /// the generated-code snapshots and the README tables.
    Codegen {
        /// Only check; exit 1 when something is stale.
        #[arg(long)]
        check: bool,
    },
    /// .crate files for ol-conformance and the workspace crates it needs, with the pinned spec
    /// staged in the types crate.
    Package {
        /// Also build a downstream crate and cargo-install ol-conformance from the packages, in
        /// a folder with no spec snapshot.
        #[arg(long)]
        check: bool,
        /// Package uncommitted changes too.
        #[arg(long)]
        allow_dirty: bool,
    },
    /// The Python wheel openlineage-conformance (maturin, the ol-conformance binary) in
    /// target/wheels.
    Wheel {
        /// Also check its metadata and files, pip-install it into a fresh venv and run
        /// ol-conformance run and lint with no Rust tool on PATH.
        #[arg(long)]
        check: bool,
    },
    /// Run .ci/run locally.
    Ci,
    /// Benchmarks against peers, one table of ratios.
    Bench {
        /// A short smoke run.
        #[arg(long, conflicts_with_all = ["first_build", "emit", "dependent"])]
        quick: bool,
        /// Only the first-build row: with an empty scratch cargo home and target folder,
        /// download, build ol-conformance in release and run it once.
        #[arg(long, conflicts_with_all = ["emit", "dependent"])]
        first_build: bool,
        /// Only the rows of a dependent crate's first debug build: a new crate depending on the
        /// openlineage-types package and serde_json, empty target folder, with the types
        /// crate's default features and without.
        #[arg(long, conflicts_with = "emit")]
        dependent: bool,
        /// Only the openlineage-emit rows (release build), printed.
        #[arg(long)]
        emit: bool,
    },
}

#[derive(Debug, Subcommand)]
enum SpecCommand {
    /// Semantic diff of two spec snapshots; exit 1 if anything breaks, 2 if a folder is unusable.
    Diff {
        /// The older snapshot folder.
        old: PathBuf,
        /// The newer snapshot folder.
        new: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Re-pin spec/ to NEW_DIR, regenerate and run the tests; on any failure the previous pin
    /// is restored (exit 1). Prints the diff either way.
    Upgrade {
        /// The new snapshot folder (any folder holding a spec/ snapshot).
        new: PathBuf,
        /// Release tag of the new snapshot (default: the folder's name).
        #[arg(long)]
        tag: Option<String>,
        /// Folder holding the older releases as <tag>/ that tests and README examples read
        /// (default: the new snapshot's parent folder).
        #[arg(long)]
        history: Option<PathBuf>,
        /// Upgrade a scratch copy of the repository (target/spec-upgrade-check/), accept its
        /// snapshots there and run the tests that cover codegen, validation, generation and
        /// round trips; the checkout itself is not changed.
        #[arg(long)]
        check: bool,
    },
    /// Download the spec/ folder of release TAG from the upstream archive.
    Fetch {
        /// The release tag, e.g. 1.52.0.
        tag: String,
        /// URL template with {tag} (default: $OPENLINEAGE_SPEC_URL, else GitHub).
        #[arg(long)]
        url: Option<String>,
        /// Where to put it (default: spec/fetched/TAG).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Build the types crate side by side against the pinned snapshot with OVERLAY's files laid
    /// over it (default: the synthetic facet using every schema construct), and check examples,
    /// broken variants and generated events end to end, Python's jsonschema included.
    Selfcheck {
        /// Folder of files added to the snapshot (facets/…, tests/…).
        #[arg(long, requires = "key")]
        overlay: Option<PathBuf>,
        /// A facet key generated events must carry in every container it has.
        #[arg(long)]
        key: Option<String>,
        /// JSON lines of {"kind", "tier", "facets"} that must be invalid from that tier on.
        #[arg(long, requires = "key")]
        broken: Option<PathBuf>,
        /// How many events to generate.
        #[arg(long, default_value_t = 300)]
        count: usize,
    },
    /// Build against OLD_DIR side by side and check that events it generates parse and validate
    /// under the pinned spec.
    Compat {
        /// The older snapshot folder.
        old: PathBuf,
        /// How many events to generate.
        #[arg(long, default_value_t = 500)]
        count: usize,
    },
}

/// Output formats of `spec diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    Json,
    Markdown,
}

fn main() -> Result<()> {
    // clap exits with 2 and a usage message on a usage error, before anything runs.
    let cli = Cli::parse();
    let code = run(cli.command)?;
    std::process::exit(code)
}

fn run(command: Command) -> Result<i32> {
    Ok(match command {
        Command::Spec { command } => match command {
            SpecCommand::Diff { old, new, format } => {
                let format = match format {
                    Format::Human => tasks::DiffFormat::Human,
                    Format::Json => tasks::DiffFormat::Json,
                    Format::Markdown => tasks::DiffFormat::Markdown,
                };
                tasks::spec_diff(&old, &new, format)?
            }
            SpecCommand::Upgrade {
                new,
                tag,
                history,
                check,
            } => {
                let options = tasks::Upgrade { new, tag, history };
                if check {
                    tasks::spec_upgrade_check(&options)?
                } else {
                    tasks::spec_upgrade(&tasks::root(), &options)?
                }
            }
            SpecCommand::Fetch { tag, url, out } => {
                let root = tasks::root();
                let url = fetch::url_for(&tag, url.as_deref());
                let out = out.unwrap_or_else(|| root.join(fetch::FETCHED_DIR).join(&tag));
                fetch::fetch(&root, &tag, &url, &out)?;
                println!("{}", out.display());
                eprintln!(
                    "build against it with {}={}, or re-pin with `cargo xtask spec upgrade {}`",
                    openlineage_codegen::spec::SPEC_DIR_ENV,
                    out.display(),
                    out.display()
                );
                0
            }
            SpecCommand::Compat { old, count } => tasks::spec_compat(&old, count)?,
            SpecCommand::Selfcheck {
                overlay,
                key,
                broken,
                count,
            } => {
                let mut check = selfcheck::SelfCheck::synthetic();
                if let Some(overlay) = overlay {
                    check = selfcheck::SelfCheck {
                        overlay,
                        key,
                        broken,
                        count,
                    };
                }
                check.count = count;
                selfcheck::selfcheck(&check)?;
                0
            }
        },
        Command::Codegen { check } => tasks::codegen(check)?,
        Command::Package {
            check: true,
            allow_dirty,
        } => package::check(allow_dirty)?,
        Command::Package {
            check: false,
            allow_dirty,
        } => {
            package::package(allow_dirty)?;
            0
        }
        Command::Wheel { check: true } => wheel::check()?,
        Command::Wheel { check: false } => wheel::wheel()?,
        Command::Ci => tasks::ci()?,
        Command::Bench {
            first_build: true, ..
        } => bench::first_build()?,
        Command::Bench {
            dependent: true, ..
        } => bench::dependent_only()?,
        Command::Bench { emit: true, .. } => bench::emit_only()?,
        Command::Bench { quick, .. } => bench::run(quick)?,
    })
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
