# The Python peer of emit_load for `cargo xtask bench`: openlineage-python's HttpTransport sends
# COUNT events (a START and a COMPLETE per run, as emit_load does) to URL one request each, and
# prints the events delivered per second.
import datetime
import sys
import time

from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.transport.http import HttpConfig, HttpTransport
from openlineage.client.uuid import generate_new_uuid

url, count = sys.argv[1], int(sys.argv[2])
client = OpenLineageClient(transport=HttpTransport(HttpConfig(url=url)))
runs = [str(generate_new_uuid()) for _ in range((count + 1) // 2)]
start = time.perf_counter()
for i in range(count):
    client.emit(
        RunEvent(
            eventType=RunState.START if i % 2 == 0 else RunState.COMPLETE,
            eventTime=datetime.datetime.now(datetime.timezone.utc).isoformat(),
            run=Run(runId=runs[i // 2]),
            job=Job(namespace="emit-load", name=f"job-{i // 2}"),
            producer="https://github.com/openlineage-rs/openlineage-rs/emit-examples",
            inputs=[InputDataset(namespace="postgres://db:5432", name="shop.public.orders")],
            outputs=[OutputDataset(namespace="postgres://db:5432", name="shop.public.daily")],
        )
    )
print(count / (time.perf_counter() - start))
