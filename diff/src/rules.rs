//! The rules table: every kind of change, its impact on producers and on consumers, and the
//! smallest SchemaVer bump it needs.
//!
//! Producers write events, so a change breaks them when an event that was valid may no longer be
//! (narrowing). Consumers read events, so a change breaks them when they may meet something they
//! did not expect or lose something they relied on (widening, removal). In the OpenAPI document
//! the client sending events is the producer and the server the consumer; for response schemas
//! the roles swap, since the server writes them.

use serde::Serialize;

/// How a change affects one side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Impact {
    /// Documentation or metadata only.
    Informational,
    /// Old behaviour keeps working.
    Compatible,
    /// Old behaviour may stop working.
    Breaking,
}

/// What kind of SchemaVer bump a version change is, or the smallest one a change needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Bump {
    /// Same version (or no bump needed).
    None,
    /// The third number grew: compatible with all historical data.
    Addition,
    /// The second number grew: may prevent interaction with some historical data.
    Revision,
    /// The first number grew.
    Model,
    /// The version went down or is not SchemaVer.
    Invalid,
}

/// What changed. The rules table is [`ChangeKind::impact`] and [`ChangeKind::min_bump`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// A facet schema file appeared.
    FacetAdded,
    /// A facet schema file disappeared.
    FacetRemoved,
    /// A facet's key changed: the old key is gone and a new one holds the facet.
    FacetKeyRenamed,
    /// A core definition appeared.
    DefinitionAdded,
    /// A core definition disappeared.
    DefinitionRemoved,
    /// An optional property appeared.
    OptionalPropertyAdded,
    /// A required property appeared.
    RequiredPropertyAdded,
    /// A property disappeared from an object that still allows other properties.
    PropertyRemoved,
    /// A property disappeared from an object that allows no other properties.
    PropertyRemovedFromClosedObject,
    /// An existing property became required.
    RequiredAdded,
    /// A property is no longer required.
    RequiredRemoved,
    /// The allowed types grew (`integer` to `number`, a type added, a type dropped).
    TypeWidened,
    /// The allowed types shrank.
    TypeNarrowed,
    /// The allowed types changed to an unrelated set.
    TypeChanged,
    /// An enum gained values.
    EnumValuesAdded,
    /// An enum lost values.
    EnumValuesRemoved,
    /// An `anyOf`/`oneOf` gained an alternative.
    AlternativeAdded,
    /// An `anyOf`/`oneOf` lost an alternative.
    AlternativeRemoved,
    /// A format appeared.
    FormatAdded,
    /// A format disappeared.
    FormatRemoved,
    /// A format changed to another.
    FormatChanged,
    /// A constraint appeared (bound, pattern, enum, const, `not`, closed object, `oneOf`).
    ConstraintAdded,
    /// A constraint disappeared.
    ConstraintRemoved,
    /// A bound got stricter.
    ConstraintTightened,
    /// A bound got looser.
    ConstraintLoosened,
    /// A constraint changed in a way that is neither stricter nor looser.
    ConstraintChanged,
    /// A reference now names another definition.
    ReferenceChanged,
    /// A reference to the core was re-pointed at another core version; it resolves to the
    /// same-named definition of the snapshot, so events see no change.
    ReferenceRetargeted,
    /// The file was rewritten (definitions moved, references re-pointed) without changing what
    /// an event must satisfy.
    Restructured,
    /// A description changed.
    DescriptionChanged,
    /// `deprecated` was set or cleared.
    DeprecationChanged,
    /// A schema `$id` version changed.
    VersionChanged,
    /// The OpenAPI `info.version` changed.
    ApiVersionChanged,
    /// An OpenAPI path or operation appeared.
    OperationAdded,
    /// An OpenAPI path or operation disappeared.
    OperationRemoved,
    /// An operation may answer with a new status code.
    ResponseAdded,
    /// An operation no longer answers with a status code.
    ResponseRemoved,
    /// A version does not fit the changes made (SchemaVer for schemas, `info.version` for the
    /// OpenAPI document).
    VersionBumpMismatch,
}

use Impact::{Breaking, Compatible, Informational};

impl ChangeKind {
    /// Every kind, in the order of the rules table.
    pub const ALL: [ChangeKind; 38] = [
        ChangeKind::FacetAdded,
        ChangeKind::FacetRemoved,
        ChangeKind::FacetKeyRenamed,
        ChangeKind::DefinitionAdded,
        ChangeKind::DefinitionRemoved,
        ChangeKind::OptionalPropertyAdded,
        ChangeKind::RequiredPropertyAdded,
        ChangeKind::PropertyRemoved,
        ChangeKind::PropertyRemovedFromClosedObject,
        ChangeKind::RequiredAdded,
        ChangeKind::RequiredRemoved,
        ChangeKind::TypeWidened,
        ChangeKind::TypeNarrowed,
        ChangeKind::TypeChanged,
        ChangeKind::EnumValuesAdded,
        ChangeKind::EnumValuesRemoved,
        ChangeKind::AlternativeAdded,
        ChangeKind::AlternativeRemoved,
        ChangeKind::FormatAdded,
        ChangeKind::FormatRemoved,
        ChangeKind::FormatChanged,
        ChangeKind::ConstraintAdded,
        ChangeKind::ConstraintRemoved,
        ChangeKind::ConstraintTightened,
        ChangeKind::ConstraintLoosened,
        ChangeKind::ConstraintChanged,
        ChangeKind::ReferenceChanged,
        ChangeKind::ReferenceRetargeted,
        ChangeKind::Restructured,
        ChangeKind::DescriptionChanged,
        ChangeKind::DeprecationChanged,
        ChangeKind::VersionChanged,
        ChangeKind::ApiVersionChanged,
        ChangeKind::OperationAdded,
        ChangeKind::OperationRemoved,
        ChangeKind::ResponseAdded,
        ChangeKind::ResponseRemoved,
        ChangeKind::VersionBumpMismatch,
    ];

    /// Impact on (producers, consumers) of event schemas.
    pub fn impact(self) -> (Impact, Impact) {
        use ChangeKind as K;
        match self {
            K::FacetAdded | K::DefinitionAdded | K::OptionalPropertyAdded | K::OperationAdded => {
                (Compatible, Compatible)
            }
            // Events carrying it stay valid (as a custom facet or an unknown field), but readers
            // lose what they relied on.
            K::FacetRemoved | K::DefinitionRemoved | K::PropertyRemoved => (Compatible, Breaking),
            K::FacetKeyRenamed | K::PropertyRemovedFromClosedObject => (Breaking, Breaking),
            // Narrowing: fewer events are valid.
            K::RequiredPropertyAdded
            | K::RequiredAdded
            | K::TypeNarrowed
            | K::EnumValuesRemoved
            | K::AlternativeRemoved
            | K::FormatAdded
            | K::ConstraintAdded
            | K::ConstraintTightened => (Breaking, Compatible),
            // Widening: more events are valid.
            K::RequiredRemoved
            | K::TypeWidened
            | K::EnumValuesAdded
            | K::AlternativeAdded
            | K::FormatRemoved
            | K::ConstraintRemoved
            | K::ConstraintLoosened => (Compatible, Breaking),
            K::TypeChanged | K::FormatChanged | K::ConstraintChanged | K::ReferenceChanged => {
                (Breaking, Breaking)
            }
            K::ReferenceRetargeted
            | K::Restructured
            | K::DescriptionChanged
            | K::DeprecationChanged
            | K::VersionChanged
            | K::ApiVersionChanged
            | K::VersionBumpMismatch => (Informational, Informational),
            // Clients may meet an answer they do not know; servers lose nothing.
            K::OperationRemoved => (Breaking, Compatible),
            K::ResponseAdded => (Breaking, Compatible),
            K::ResponseRemoved => (Compatible, Breaking),
        }
    }

    /// The smallest SchemaVer bump the change needs. ADDITION must stay compatible with all
    /// historical data: every old event still validates, and nothing an old event may carry
    /// loses its place in the schema. Widening is what ADDITION is for.
    pub fn min_bump(self) -> Bump {
        use ChangeKind as K;
        match self {
            K::ReferenceRetargeted
            | K::Restructured
            | K::DescriptionChanged
            | K::DeprecationChanged
            | K::VersionChanged
            | K::ApiVersionChanged
            | K::VersionBumpMismatch => Bump::None,
            // Data loss for readers of historical events counts as much as rejecting them.
            K::FacetRemoved
            | K::DefinitionRemoved
            | K::PropertyRemoved
            | K::FacetKeyRenamed
            | K::OperationRemoved
            | K::ResponseRemoved => Bump::Revision,
            other => match other.impact().0 {
                Breaking => Bump::Revision,
                _ => Bump::Addition,
            },
        }
    }

    /// The kind's name as it appears in reports (`snake_case`).
    pub fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }
}

impl std::fmt::Display for Impact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Impact::Informational => "informational",
            Impact::Compatible => "compatible",
            Impact::Breaking => "breaking",
        })
    }
}

impl std::fmt::Display for Bump {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Bump::None => "none",
            Bump::Addition => "ADDITION",
            Bump::Revision => "REVISION",
            Bump::Model => "MODEL",
            Bump::Invalid => "invalid",
        })
    }
}

/// The rules table as Markdown, for the README.
pub fn rules_markdown() -> String {
    let mut out = String::from(
        "| change | producers | consumers | smallest SchemaVer bump |\n|---|---|---|---|\n",
    );
    for kind in ChangeKind::ALL {
        let (p, c) = kind.impact();
        out.push_str(&format!(
            "| `{}` | {p} | {c} | {} |\n",
            kind.name(),
            kind.min_bump()
        ));
    }
    out
}

/// The SchemaVer segment of a `$id` (e.g. `1-2-0`), or the whole id when there is none.
pub fn version_of(id: &str) -> String {
    id.rsplit('/').nth(1).unwrap_or(id).to_string()
}

/// Classifies a SchemaVer change `old -> new`.
pub fn bump(old: &str, new: &str) -> Bump {
    let parse = |v: &str| -> Option<Vec<u64>> {
        v.split('-')
            .map(|p| p.parse().ok())
            .collect::<Option<Vec<_>>>()
            .filter(|p| p.len() == 3)
    };
    match (parse(old), parse(new)) {
        (Some(a), Some(b)) if a == b => Bump::None,
        (Some(a), Some(b)) if b[0] > a[0] => Bump::Model,
        (Some(a), Some(b)) if b[0] == a[0] && b[1] > a[1] => Bump::Revision,
        (Some(a), Some(b)) if b[0] == a[0] && b[1] == a[1] && b[2] > a[2] => Bump::Addition,
        _ if old == new => Bump::None,
        _ => Bump::Invalid,
    }
}
