//! `ol-conformance spec`: commands about the spec itself, so another repository's CI can gate
//! spec upgrades without this workspace.

use std::io::Write;
use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};
use openlineage_spec_diff::diff_dirs;

use crate::Error;

/// The `spec` subcommands.
#[derive(Debug, Subcommand)]
pub enum SpecCommand {
    /// Semantic diff of two spec snapshot folders: exit 0 compatible, 1 breaking (or a version
    /// that does not fit the changes), 2 unusable input.
    Diff(DiffArgs),
}

/// Arguments of `spec diff`.
#[derive(Debug, Clone, clap::Args)]
pub struct DiffArgs {
    /// The old snapshot folder (holding OpenLineage.json, OpenLineage.yml, facets/).
    pub old: PathBuf,
    /// The new snapshot folder.
    pub new: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: DiffFormat,
}

/// Formats of `spec diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// One change per line, then who breaks.
    Human,
    /// `old`, `new`, `breaking` and every change.
    Json,
    /// A verdict, a table per file and a table of changes.
    Markdown,
}

/// Runs a `spec` subcommand and returns its exit code.
pub fn run(command: &SpecCommand, out: &mut impl Write) -> Result<u8, Error> {
    match command {
        SpecCommand::Diff(args) => {
            let diff = diff_dirs(&args.old, &args.new)?;
            let text = match args.format {
                DiffFormat::Human => diff.human(),
                DiffFormat::Json => diff.json() + "\n",
                DiffFormat::Markdown => diff.markdown(),
            };
            out.write_all(text.as_bytes())
                .map_err(|e| Error::io("cannot write to stdout", e))?;
            Ok(u8::from(diff.is_breaking()))
        }
    }
}
