//! Spec loading, schema passes and Rust code generation for the `openlineage-types` build script.
//!
//! The pipeline is: [`spec::SpecSet::load`] reads a pinned snapshot, [`bundle::bundle`] merges the
//! core, facet and registry schemas into one schema with local references, [`passes`] rewrite that
//! schema so typify's output is lossless, and [`generate::generate`] turns the result (plus the
//! OpenAPI batch response) into one Rust source file: typify's types renamed by [`naming`], the
//! facet constructors of [`impls`], and a streaming `Deserialize` for each struct
//! ([`streaming`]).
#![deny(missing_docs)]

pub mod bundle;
pub mod catalogue;
pub mod derived;
mod facet_kind;
pub mod generate;
pub mod impls;
pub mod naming;
pub mod passes;
pub mod shipped;
pub mod spec;
pub mod streaming;
pub mod surface;
pub mod tagged;

use std::path::PathBuf;

/// The source of the `FacetKind` module, which the types crate's build script writes out for the
/// types crate to compile: one definition for both crates, with no path between their folders
/// (packages have none).
pub const FACET_KIND_SOURCE: &str = include_str!("facet_kind.rs");

/// [`FACET_KIND_SOURCE`] as the types crate includes it: without the module docs, which are
/// inner attributes that `include!` does not accept.
pub fn facet_kind_include() -> String {
    FACET_KIND_SOURCE
        .lines()
        .filter(|l| !l.starts_with("//!"))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Everything that can go wrong while loading a spec or generating code from it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A spec file or directory could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path that failed.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A spec file is not valid JSON or YAML.
    #[error("cannot parse {path}: {message}")]
    Parse {
        /// The file that failed to parse.
        path: PathBuf,
        /// What the parser said.
        message: String,
    },
    /// The pin in `spec/` is malformed.
    #[error("bad pin file {path}: {message}")]
    Pin {
        /// The pin or checksum file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A spec file does not match the checksum recorded in the pin.
    #[error("checksum mismatch for {path}: pinned {expected}, found {actual} (re-pin with `cargo xtask spec upgrade DIR` if the change is intended)")]
    Checksum {
        /// The file whose content changed.
        path: PathBuf,
        /// The pinned sha256.
        expected: String,
        /// The sha256 of the file on disk.
        actual: String,
    },
    /// A schema has a shape the generator does not support.
    #[error("unsupported schema in {location}: {message}")]
    Schema {
        /// File and JSON pointer of the schema.
        location: String,
        /// What is unsupported.
        message: String,
    },
    /// typify rejected the bundled schema.
    #[error("typify failed: {0}")]
    Typify(String),
    /// The generated code is not valid Rust.
    #[error("generated code does not parse: {0}")]
    Syntax(String),
}

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
