//! Constructors, facet accessors and the RunEvent builder, so producers write short code and
//! consumers read facets by type.
//!
//! Facets themselves get their constructors from the generator (`SqlJobFacet::new(query)`);
//! this file covers the core types, whose constructors take typed values (`Run::new(Uuid)`).

use uuid::Uuid;

use crate::event::now_event_time;
use crate::facet_kind::local_ref;
use crate::{
    DatasetFacets, FacetOf, InputDataset, InputDatasetFacets, Job, JobFacets, OutputDataset,
    OutputDatasetFacets, Run, RunEvent, RunEventType, RunFacets, StaticDataset,
    CORE_SCHEMA_VERSION,
};

/// The `schemaURL` of an event definition in the pinned core schema.
pub fn schema_url(def: &str) -> String {
    format!(
        "https://openlineage.io/spec/{CORE_SCHEMA_VERSION}/OpenLineage.json{}",
        local_ref(def)
    )
}

impl Job {
    /// A job with no facets.
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        Job {
            facets: None,
            name: name.into(),
            namespace: namespace.into(),
            extra: Default::default(),
        }
    }
}

impl Run {
    /// A run with no facets.
    pub fn new(run_id: Uuid) -> Self {
        Run {
            facets: None,
            run_id: run_id.to_string(),
            extra: Default::default(),
        }
    }
}

impl InputDataset {
    /// An input dataset with no facets.
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        InputDataset {
            facets: None,
            input_facets: None,
            name: name.into(),
            namespace: namespace.into(),
            extra: Default::default(),
        }
    }
}

impl OutputDataset {
    /// An output dataset with no facets.
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        OutputDataset {
            facets: None,
            name: name.into(),
            namespace: namespace.into(),
            output_facets: None,
            extra: Default::default(),
        }
    }
}

impl StaticDataset {
    /// A dataset with no facets, for a DatasetEvent.
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        StaticDataset {
            facets: None,
            name: name.into(),
            namespace: namespace.into(),
            extra: Default::default(),
        }
    }
}

/// `facet::<T>()` to read and `with_facet(f)` to attach a facet, for each type that has a facet
/// map; the container is created on first use.
macro_rules! facet_access {
    ($($ty:ident . $map:ident : $container:ident => $get:ident, $with:ident;)*) => {$(
        impl $ty {
            #[doc = concat!("The typed facet `T` of `", stringify!($map), "`, if present and typed.")]
            pub fn $get<T: FacetOf<$container>>(&self) -> Option<&T> {
                self.$map.as_ref().and_then(|facets| facets.get::<T>())
            }

            #[doc = concat!("Adds a facet to `", stringify!($map), "` (replacing one of the same type).")]
            #[must_use]
            pub fn $with<T: FacetOf<$container>>(mut self, facet: T) -> Self {
                self.$map.get_or_insert_with(Default::default).insert(facet);
                self
            }
        }
    )*};
}

facet_access! {
    Run.facets: RunFacets => facet, with_facet;
    Job.facets: JobFacets => facet, with_facet;
    InputDataset.facets: DatasetFacets => facet, with_facet;
    InputDataset.input_facets: InputDatasetFacets => input_facet, with_input_facet;
    OutputDataset.facets: DatasetFacets => facet, with_facet;
    OutputDataset.output_facets: OutputDatasetFacets => output_facet, with_output_facet;
    StaticDataset.facets: DatasetFacets => facet, with_facet;
}

impl RunEvent {
    /// Starts a RunEvent for a job: a new UUIDv7 run id, `eventTime` now, no `eventType`.
    pub fn builder(
        producer: impl Into<String>,
        job_namespace: impl Into<String>,
        job_name: impl Into<String>,
    ) -> RunEventBuilder {
        RunEventBuilder {
            event: RunEvent {
                event_time: now_event_time(),
                event_type: None,
                inputs: None,
                job: Job::new(job_namespace, job_name),
                outputs: None,
                producer: producer.into(),
                run: Run::new(Uuid::now_v7()),
                schema_url: schema_url("RunEvent"),
                extra: Default::default(),
            },
        }
    }

    /// Sets `_producer` on every facet of the event that has none, to the event's producer.
    pub fn fill_facet_producers(&mut self) {
        let producer = self.producer.as_str();
        if let Some(f) = &mut self.run.facets {
            f.fill_producer(producer);
        }
        if let Some(f) = &mut self.job.facets {
            f.fill_producer(producer);
        }
        for input in self.inputs.iter_mut().flatten() {
            if let Some(f) = &mut input.facets {
                f.fill_producer(producer);
            }
            if let Some(f) = &mut input.input_facets {
                f.fill_producer(producer);
            }
        }
        for output in self.outputs.iter_mut().flatten() {
            if let Some(f) = &mut output.facets {
                f.fill_producer(producer);
            }
            if let Some(f) = &mut output.output_facets {
                f.fill_producer(producer);
            }
        }
    }
}

/// Builds a [`RunEvent`]; see [`RunEvent::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct RunEventBuilder {
    event: RunEvent,
}

impl RunEventBuilder {
    /// Sets `eventType`.
    pub fn event_type(mut self, event_type: RunEventType) -> Self {
        self.event.event_type = Some(event_type);
        self
    }

    /// Sets `run.runId`.
    pub fn run_id(mut self, run_id: Uuid) -> Self {
        self.event.run.run_id = run_id.to_string();
        self
    }

    /// Sets `eventTime` (RFC 3339 text, kept as given).
    pub fn event_time(mut self, event_time: impl Into<String>) -> Self {
        self.event.event_time = event_time.into();
        self
    }

    /// Adds an input dataset with no facets.
    pub fn input(self, namespace: impl Into<String>, name: impl Into<String>) -> Self {
        self.input_dataset(InputDataset::new(namespace, name))
    }

    /// Adds an output dataset with no facets.
    pub fn output(self, namespace: impl Into<String>, name: impl Into<String>) -> Self {
        self.output_dataset(OutputDataset::new(namespace, name))
    }

    /// Adds an input dataset, facets and all (`InputDataset::new(ns, name).with_facet(f)`).
    pub fn input_dataset(mut self, dataset: InputDataset) -> Self {
        self.event.inputs.get_or_insert_with(Vec::new).push(dataset);
        self
    }

    /// Adds an output dataset, facets and all (`OutputDataset::new(ns, name).with_facet(f)`).
    pub fn output_dataset(mut self, dataset: OutputDataset) -> Self {
        self.event
            .outputs
            .get_or_insert_with(Vec::new)
            .push(dataset);
        self
    }

    /// Adds a run facet.
    pub fn run_facet<T: FacetOf<RunFacets>>(mut self, facet: T) -> Self {
        self.event.run = self.event.run.with_facet(facet);
        self
    }

    /// Adds a job facet.
    pub fn job_facet<T: FacetOf<JobFacets>>(mut self, facet: T) -> Self {
        self.event.job = self.event.job.with_facet(facet);
        self
    }

    /// Sets the run facets.
    pub fn run_facets(mut self, facets: RunFacets) -> Self {
        self.event.run.facets = Some(Box::new(facets));
        self
    }

    /// Sets the job facets.
    pub fn job_facets(mut self, facets: JobFacets) -> Self {
        self.event.job.facets = Some(Box::new(facets));
        self
    }

    /// The finished event; every facet without a `_producer` gets the event's producer.
    pub fn build(mut self) -> RunEvent {
        self.event.fill_facet_producers();
        self.event
    }
}
