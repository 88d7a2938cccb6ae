//! A producer: a RunEvent with an SQL job facet, a parent run facet and a schema facet on an
//! output, printed as JSON for `POST {base}/lineage`. `cargo run --example producer`

use openlineage_types::{
    OutputDataset, ParentJob, ParentRun, ParentRunFacet, RunEvent, RunEventType,
    SchemaDatasetFacet, SchemaDatasetFacetFields as Column, SqlJobFacet, Uuid,
};

/// The event. Each facet's `_schemaURL` is its own, and `build` gives it the event's producer.
pub fn event(parent_run: Uuid) -> RunEvent {
    let columns = vec![Column::new("day").with_type("DATE"), Column::new("total")];
    let output = OutputDataset::new("postgres://db:5432", "public.daily")
        .with_facet(SchemaDatasetFacet::new().with_fields(columns));
    let parent = ParentRun::new(parent_run.to_string());
    RunEvent::builder("https://example.com/my-producer", "analytics", "daily")
        .event_type(RunEventType::Complete)
        .job_facet(SqlJobFacet::new("INSERT INTO daily SELECT * FROM orders"))
        .run_facet(ParentRunFacet::new(
            parent,
            ParentJob::new("scheduler", "nightly"),
        ))
        .input("postgres://db:5432", "public.orders")
        .output_dataset(output)
        .build()
}

fn main() -> serde_json::Result<()> {
    println!("{}", serde_json::to_string(&event(Uuid::now_v7()))?);
    Ok(())
}
