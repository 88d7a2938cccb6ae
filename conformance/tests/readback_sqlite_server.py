"""A small OpenLineage consumer that keeps events in SQLite, for the read-back tests.

Standard library only. `POST /api/v1/lineage` checks the few things a hand-written consumer
checks (a JSON object with run, job, producer and a known eventType), answers 400 otherwise, and
stores the payload beside derived columns (run_id, event_type, event_time), which is what its
queries read. With ARRIVAL_TIME set, event_time holds the time of arrival instead: the bug the
read-back checks exist to catch. Prints the port it listens on, then serves until killed.
"""

import datetime
import json
import os
import sqlite3
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DB = sys.argv[1]
ARRIVAL = bool(os.environ.get("ARRIVAL_TIME"))
LOCK = threading.Lock()
TYPES = {"START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"}

with sqlite3.connect(DB) as db:
    # Readers (the read-back command) then never wait for a write in progress.
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(
        "CREATE TABLE IF NOT EXISTS events (run_id TEXT, event_type TEXT, event_time TEXT, payload TEXT)"
    )


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body=None):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        if self.path != "/api/v1/lineage":
            return self.answer(404, {"error": "not found"})
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            event = json.loads(raw)
        except ValueError:
            return self.answer(400, {"error": "not JSON"})
        if (
            not isinstance(event, dict)
            or "producer" not in event
            or not isinstance(event.get("run"), dict)
            or not isinstance(event.get("job"), dict)
            or event.get("eventType", "OTHER") not in TYPES
        ):
            return self.answer(400, {"error": "not a run event"})
        run_id = event["run"].get("runId", "")
        event_type = event.get("eventType")
        if ARRIVAL:
            event_time = datetime.datetime.now(datetime.timezone.utc).isoformat()
        else:
            event_time = event.get("eventTime")
        with LOCK, sqlite3.connect(DB) as db:
            same = db.execute(
                "SELECT 1 FROM events WHERE payload = ?", (raw.decode("utf-8"),)
            ).fetchone()
            if same is None:
                db.execute(
                    "INSERT INTO events VALUES (?, ?, ?, ?)",
                    (run_id, event_type, event_time, raw.decode("utf-8")),
                )
        self.answer(200)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
