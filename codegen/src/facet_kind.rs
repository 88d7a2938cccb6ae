//! The five facet containers of an event, and local schema references (`#/$defs/Name`), spelled
//! and read one way. The code generator compiles this file as a module and
//! the types crate compiles the copy its build script writes from [`crate::FACET_KIND_SOURCE`],
//! so the two cannot disagree about kinds and their names, and each package builds on its own.

/// The container a facet belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FacetKind {
    /// `run.facets`, container `RunFacets`.
    Run,
    /// `job.facets`, container `JobFacets`.
    Job,
    /// `facets` of any dataset, container `DatasetFacets`.
    Dataset,
    /// `inputFacets` of an input dataset, container `InputDatasetFacets`.
    InputDataset,
    /// `outputFacets` of an output dataset, container `OutputDatasetFacets`.
    OutputDataset,
}

impl FacetKind {
    /// Every kind, in container order.
    pub const ALL: [FacetKind; 5] = [
        FacetKind::Run,
        FacetKind::Job,
        FacetKind::Dataset,
        FacetKind::InputDataset,
        FacetKind::OutputDataset,
    ];

    /// The core definition facets of this kind extend, e.g. `RunFacet`.
    pub fn base_def(self) -> &'static str {
        match self {
            FacetKind::Run => "RunFacet",
            FacetKind::Job => "JobFacet",
            FacetKind::Dataset => "DatasetFacet",
            FacetKind::InputDataset => "InputDatasetFacet",
            FacetKind::OutputDataset => "OutputDatasetFacet",
        }
    }

    /// Name of the generated container type, e.g. `RunFacets`.
    pub fn container(self) -> &'static str {
        match self {
            FacetKind::Run => "RunFacets",
            FacetKind::Job => "JobFacets",
            FacetKind::Dataset => "DatasetFacets",
            FacetKind::InputDataset => "InputDatasetFacets",
            FacetKind::OutputDataset => "OutputDatasetFacets",
        }
    }

    /// The variant's name, as generated code spells it.
    pub fn variant(self) -> &'static str {
        match self {
            FacetKind::Run => "Run",
            FacetKind::Job => "Job",
            FacetKind::Dataset => "Dataset",
            FacetKind::InputDataset => "InputDataset",
            FacetKind::OutputDataset => "OutputDataset",
        }
    }

    /// The kind whose base definition is `name`, if any.
    pub fn from_base_def(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.base_def() == name)
    }

    /// The kind of a facet-map schema (`additionalProperties: {"$ref": "#/$defs/RunFacet"}`,
    /// possibly wrapped in a one-element `anyOf`, as the spec writes them), if `schema` is one.
    pub fn of_facet_map(schema: &serde_json::Value) -> Option<Self> {
        let map_of = |s: &serde_json::Value| {
            if s.get("properties").is_some() {
                return None;
            }
            let target = s
                .get("additionalProperties")?
                .get("$ref")?
                .as_str()
                .and_then(ref_target)?;
            Self::from_base_def(target)
        };
        map_of(schema).or_else(|| match schema.get("anyOf")?.as_array()?.as_slice() {
            [only] => map_of(only),
            _ => None,
        })
    }
}

/// What a reference to a definition of the same document starts with.
pub const LOCAL_PREFIX: &str = "#/$defs/";

/// Name of the definition a local `$ref` points to.
pub fn ref_target(reference: &str) -> Option<&str> {
    reference.strip_prefix(LOCAL_PREFIX)
}

/// A local reference to the definition `name`.
pub fn local_ref(name: &str) -> String {
    format!("{LOCAL_PREFIX}{name}")
}
