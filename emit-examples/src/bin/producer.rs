//! A producer: one run of a job loading `orders` into `daily`, sent as START then COMPLETE (or,
//! with `--fail`, FAIL with the error) through the client configured from the environment
//! (`OPENLINEAGE_URL`, `openlineage.yml`, ...). `tests/fixtures/producer.py` is the same program
//! with openlineage-python.

use std::collections::BTreeMap;

use openlineage_emit::BlockingClient;
use openlineage_types::{
    ColumnLineageDatasetFacet, ColumnLineageField, ErrorMessageRunFacet, InputDataset, InputField,
    JobTypeJobFacet, OutputDataset, OutputStatisticsOutputDatasetFacet, ParentJob, ParentRun,
    ParentRunFacet, RunEventBuilder, RunEventType, SchemaDatasetFacet,
    SchemaDatasetFacetFields as Column, SqlJobFacet, Uuid,
};

const PRODUCER: &str = "https://github.com/openlineage-rs/openlineage-rs/emit-examples";
const DB: &str = "postgres://db:5432";

fn event(run: Uuid, parent: Uuid, state: RunEventType, rows: Option<i64>) -> RunEventBuilder {
    let columns = || {
        let day = Column::new("day").with_type("DATE");
        SchemaDatasetFacet::new().with_fields(vec![day, Column::new("total").with_type("DECIMAL")])
    };
    let total = InputField::new(DB, "shop.public.orders", "total");
    let lineage = BTreeMap::from([("total".into(), ColumnLineageField::new(vec![total]))]);
    let mut daily = OutputDataset::new(DB, "shop.public.daily")
        .with_facet(columns())
        .with_facet(ColumnLineageDatasetFacet::new(lineage));
    if let Some(rows) = rows {
        daily =
            daily.with_output_facet(OutputStatisticsOutputDatasetFacet::new().with_row_count(rows));
    }
    let parent = ParentRunFacet::new(
        ParentRun::new(parent.to_string()),
        ParentJob::new("scheduler", "nightly"),
    );
    openlineage_types::RunEvent::builder(PRODUCER, "analytics", "daily")
        .run_id(run)
        .event_type(state)
        .job_facet(SqlJobFacet::new(
            "INSERT INTO daily SELECT day, sum(total) FROM orders GROUP BY day",
        ))
        .job_facet(JobTypeJobFacet::new("BATCH", "SQL").with_job_type("QUERY"))
        .run_facet(parent)
        .input_dataset(InputDataset::new(DB, "shop.public.orders").with_facet(columns()))
        .output_dataset(daily)
}

/// The job itself: how many rows it wrote, or why it failed.
fn load(fail: bool) -> Result<i64, String> {
    if fail {
        return Err("relation \"orders\" does not exist".into());
    }
    Ok(42)
}

fn main() -> anyhow::Result<()> {
    let client = BlockingClient::from_environment()?;
    let (run, parent) = (Uuid::now_v7(), Uuid::now_v7());
    client.emit(&event(run, parent, RunEventType::Start, None).build())?;
    let end = match load(std::env::args().any(|a| a == "--fail")) {
        Ok(rows) => event(run, parent, RunEventType::Complete, Some(rows)),
        Err(e) => event(run, parent, RunEventType::Fail, None)
            .run_facet(ErrorMessageRunFacet::new(e, "rust")),
    };
    client.emit(&end.build())?;
    Ok(())
}
