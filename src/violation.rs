//! Validation tiers and violations: what [`crate::Validator`] reports and parse errors carry.
//!
//! They are plain data, available without the `validate` feature, so [`crate::Error`] can
//! describe a parse failure the same way a validator describes a schema violation.

use std::fmt;

/// How deep validation goes; each tier includes the ones before it.
///
/// `Formats` asserts formats wherever they are, facet fields included (a `DatasourceDatasetFacet`
/// whose `uri` is `file` fails it); `Facets` adds every other rule of the facet schemas.
///
/// **Which tier a server should use: `Formats`.** It rejects everything the core schema forbids
/// (a missing field, a wrong type, a facet without `_producer` or `_schemaURL`) and malformed
/// `date-time`, `uuid` and `uri` values, which is what the spec's consumers are asked to refuse
/// and what the conformance suite's `should` checks expect. `Core` lets malformed formats through
/// (a run id that is not a UUID is accepted). `Facets` also refuses an event when one of its known
/// facets breaks that facet's own schema: the reference server does, to be as strict as the spec
/// allows, but a collector that must not lose lineage over one producer's facet bug should not;
/// the suite only reports it, as a `strict` check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    /// The core schema, with `format` as an annotation only.
    Core,
    /// The core schema with `date-time`, `uuid` and `uri` formats asserted.
    Formats,
    /// Formats, plus each known facet against its own facet schema.
    Facets,
}

impl Tier {
    /// Every tier, shallowest first.
    pub const ALL: [Tier; 3] = [Tier::Core, Tier::Formats, Tier::Facets];

    /// The tier's name as used on command lines and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Tier::Core => "core",
            Tier::Formats => "formats",
            Tier::Facets => "facets",
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Tier {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Tier::ALL
            .into_iter()
            .find(|t| t.name() == s)
            .ok_or_else(|| format!("unknown tier `{s}` (expected core, formats or facets)"))
    }
}

/// One way an event breaks the spec.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Violation {
    /// The shallowest tier that reports it.
    pub tier: Tier,
    /// JSON pointer of the offending value in the event.
    pub pointer: String,
    /// The schema keyword that failed, e.g. `required` or `format`.
    pub keyword: String,
    /// Where in the schema the keyword sits.
    pub schema_path: String,
    /// A readable message.
    pub message: String,
}

impl serde::Serialize for Tier {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        write!(
            f,
            "{at}: {} ({}, {})",
            self.message, self.keyword, self.tier
        )
    }
}

/// The body a server sends back when it refuses an event: a one-line reason and every
/// violation with its JSON pointer. Built by [`crate::Error::rejection`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rejection {
    /// Every problem, on one line.
    pub error: String,
    /// The problems one by one; a parse error is one violation at the place it was found.
    pub violations: Vec<Violation>,
}
