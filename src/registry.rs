//! Metadata about the facets of the pinned spec: the registry generated into [`crate::FACETS`].

pub use crate::facet_kind::FacetKind;

impl FacetKind {
    /// The keys with a typed field in this kind's container.
    pub fn keys(self) -> &'static [&'static str] {
        match self {
            FacetKind::Run => crate::RunFacets::KEYS,
            FacetKind::Job => crate::JobFacets::KEYS,
            FacetKind::Dataset => crate::DatasetFacets::KEYS,
            FacetKind::InputDataset => crate::InputDatasetFacets::KEYS,
            FacetKind::OutputDataset => crate::OutputDatasetFacets::KEYS,
        }
    }
}

/// One facet of the pinned spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FacetInfo {
    /// Key in the facets map, e.g. `columnLineage`.
    pub key: &'static str,
    /// Which container holds it.
    pub kind: FacetKind,
    /// Name of the generated Rust type, e.g. `ColumnLineageDatasetFacet`.
    pub rust_type: &'static str,
    /// `$id` of the facet's schema file.
    pub schema_id: &'static str,
    /// SchemaVer of the facet, e.g. `1-2-0`.
    pub version: &'static str,
    /// Schema file, relative to the spec snapshot.
    pub file: &'static str,
    /// The facet schema's description.
    pub description: &'static str,
}

/// Looks a facet up by container kind and key.
pub fn facet(kind: FacetKind, key: &str) -> Option<&'static FacetInfo> {
    crate::FACETS
        .iter()
        .find(|f| f.kind == kind && f.key == key)
}
