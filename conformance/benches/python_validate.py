"""Times Python's jsonschema on the bench corpus at the core tier (the peer of Validator::Core).

Usage: python_validate.py SPEC_DIR EVENTS_JSONL ROUNDS; prints events per second (best round).
"""

import json
import pathlib
import sys
import time

from jsonschema import Draft202012Validator
from referencing import Registry, Resource


def main():
    spec = pathlib.Path(sys.argv[1])
    events = [json.loads(line) for line in open(sys.argv[2])]
    rounds = int(sys.argv[3])
    core = json.loads((spec / "OpenLineage.json").read_text())
    files = sorted((spec / "facets").glob("*.json"))
    files += sorted(p for p in (spec / "registry").rglob("*.json") if p.parent.name == "facets")
    schemas = [core] + [json.loads(p.read_text()) for p in files]
    registry = Registry().with_resources([(s["$id"], Resource.from_contents(s)) for s in schemas])
    validator = Draft202012Validator(core, registry=registry)
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for event in events:
            validator.is_valid(event)
        best = min(best, time.perf_counter() - start)
    print(len(events) / best)


if __name__ == "__main__":
    main()
