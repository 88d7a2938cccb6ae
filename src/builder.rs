//! Constructors and a builder so a producer can write a minimal valid event in a few lines.

use uuid::Uuid;

use crate::event::now_event_time;
use crate::{
    InputDataset, Job, JobFacets, OutputDataset, Run, RunEvent, RunEventEventType, RunFacets,
    CORE_SCHEMA_VERSION,
};

/// The `schemaURL` of an event definition in the pinned core schema.
pub fn schema_url(def: &str) -> String {
    format!("https://openlineage.io/spec/{CORE_SCHEMA_VERSION}/OpenLineage.json#/$defs/{def}")
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
}

/// Builds a [`RunEvent`]; see [`RunEvent::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct RunEventBuilder {
    event: RunEvent,
}

impl RunEventBuilder {
    /// Sets `eventType`.
    pub fn event_type(mut self, event_type: RunEventEventType) -> Self {
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

    /// Adds an input dataset.
    pub fn input(mut self, namespace: impl Into<String>, name: impl Into<String>) -> Self {
        self.event
            .inputs
            .get_or_insert_with(Vec::new)
            .push(InputDataset::new(namespace, name));
        self
    }

    /// Adds an output dataset.
    pub fn output(mut self, namespace: impl Into<String>, name: impl Into<String>) -> Self {
        self.event
            .outputs
            .get_or_insert_with(Vec::new)
            .push(OutputDataset::new(namespace, name));
        self
    }

    /// Sets the run facets.
    pub fn run_facets(mut self, facets: RunFacets) -> Self {
        self.event.run.facets = Some(facets);
        self
    }

    /// Sets the job facets.
    pub fn job_facets(mut self, facets: JobFacets) -> Self {
        self.event.job.facets = Some(facets);
        self
    }

    /// The finished event.
    pub fn build(self) -> RunEvent {
        self.event
    }
}
