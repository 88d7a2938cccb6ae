"""A scripted producer for the producer conformance test: the openlineage-python client sends a
parent run and, inside it, a child run, each START -> RUNNING -> COMPLETE, over its HTTP
transport to the URL in OPENLINEAGE_URL (the client posts to {url}/api/v1/lineage)."""

import datetime
import sys

from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import (
    InputDataset,
    Job,
    OutputDataset,
    Run,
    RunEvent,
    RunState,
)
from openlineage.client.facet_v2 import parent_run, schema_dataset
from openlineage.client.uuid import generate_new_uuid

PRODUCER = "https://github.com/openlineage-rs/openlineage-rs/conformance/tests/producers"
NAMESPACE = "ol-conformance-test"


def now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


def lifecycle(client, run_id, job_name, facets=None, inputs=None, outputs=None):
    for state in (RunState.START, RunState.RUNNING, RunState.COMPLETE):
        client.emit(
            RunEvent(
                eventType=state,
                eventTime=now(),
                run=Run(runId=run_id, facets=facets or {}),
                job=Job(namespace=NAMESPACE, name=job_name),
                producer=PRODUCER,
                inputs=inputs or [],
                outputs=outputs or [],
            )
        )


def main():
    client = OpenLineageClient()
    parent_id = str(generate_new_uuid())
    child_id = str(generate_new_uuid())
    client.emit(
        RunEvent(
            eventType=RunState.START,
            eventTime=now(),
            run=Run(runId=parent_id),
            job=Job(namespace=NAMESPACE, name="nightly"),
            producer=PRODUCER,
        )
    )
    parent = parent_run.ParentRunFacet(
        run=parent_run.Run(runId=parent_id),
        job=parent_run.Job(namespace=NAMESPACE, name="nightly"),
        root=parent_run.Root(
            run=parent_run.RootRun(runId=parent_id),
            job=parent_run.RootJob(namespace=NAMESPACE, name="nightly"),
        ),
    )
    schema = schema_dataset.SchemaDatasetFacet(
        fields=[schema_dataset.SchemaDatasetFacetFields(name="id", type="INT")]
    )
    lifecycle(
        client,
        child_id,
        "nightly.load_orders",
        facets={"parent": parent},
        inputs=[
            InputDataset(
                namespace="postgres://db:5432",
                name="shop.public.orders",
                facets={"schema": schema},
            )
        ],
        outputs=[OutputDataset(namespace="s3://warehouse", name="orders/daily")],
    )
    for state in (RunState.RUNNING, RunState.COMPLETE):
        client.emit(
            RunEvent(
                eventType=state,
                eventTime=now(),
                run=Run(runId=parent_id),
                job=Job(namespace=NAMESPACE, name="nightly"),
                producer=PRODUCER,
            )
        )
    print("sent 6 events", file=sys.stderr)


if __name__ == "__main__":
    main()
