"""Independent validator for the differential test: Python's jsonschema on the spec files.

Reads JSON lines {"id": N, "event": ...} on stdin and writes {"id": N, "core": bool,
"formats": bool, "facets": bool} per line. The tiers are defined as in the Rust validator:
core = the core schema, formats = core with format assertion plus format errors in known
facets, facets = formats plus every rule of each known facet's own schema (a payload with
"_deleted": true is exempt). Facet maps inside facets (the parent facet forwards run and job
facets) hold facets that are checked the same way; where they are is read from each facet
file's own schema. It reads the spec folder given as argv[1] and nothing else.
"""

import json
import pathlib
import sys

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

FORMATS = Draft202012Validator.FORMAT_CHECKER
BASES = {
    "RunFacet": "run",
    "JobFacet": "job",
    "DatasetFacet": "dataset",
    "InputDatasetFacet": "input",
    "OutputDatasetFacet": "output",
}


def load(spec):
    core = json.loads((spec / "OpenLineage.json").read_text())
    files = sorted((spec / "facets").glob("*.json"))
    files += sorted(p for p in (spec / "registry").rglob("*.json") if p.parent.name == "facets")
    facets = [json.loads(p.read_text()) for p in files]
    registry = Registry().with_resources(
        [(s["$id"], Resource.from_contents(s)) for s in [core] + facets]
    )
    # (kind, key) -> (validators of the facet file's root schema with and without format
    # assertion, facet maps inside the facet). A key whose schema is an anyOf/oneOf of
    # definitions is known in the container of each definition's base facet.
    known = {}
    for schema in facets:
        validator = Draft202012Validator(schema, registry=registry, format_checker=FORMATS)
        plain = Draft202012Validator(schema, registry=registry)
        for key, prop in schema.get("properties", {}).items():
            for name in key_defs(prop):
                inner = list(nested_maps(schema, schema["$defs"][name], (), (name,)))
                for kind in kinds(schema, name):
                    _, _, before = known.get((kind, key), (None, None, []))
                    known[(kind, key)] = (validator, plain, before + inner)
    core_plain = Draft202012Validator(core, registry=registry)
    core_formats = Draft202012Validator(core, registry=registry, format_checker=FORMATS)
    return core_plain, core_formats, known


def key_defs(prop):
    """The local definitions a facet key names: one $ref, or an anyOf/oneOf of them."""
    ref = prop.get("$ref", "")
    if ref.startswith("#/$defs/"):
        return [ref.split("/")[-1]]
    names = []
    for keyword in ("anyOf", "oneOf"):
        for alternative in prop.get(keyword, []):
            names += [n for n in key_defs(alternative) if n not in names]
    if len(prop.get("allOf", [])) == 1:
        names += [n for n in key_defs(prop["allOf"][0]) if n not in names]
    return names


def kinds(schema, name):
    definition = schema["$defs"][name]
    found = []
    for part in definition.get("allOf", []):
        base = part.get("$ref", "").split("/")[-1]
        if base in BASES:
            found.append(BASES[base])
    for alternative in definition.get("oneOf", []) + definition.get("anyOf", []):
        ref = alternative.get("$ref", "")
        if ref.startswith("#/$defs/"):
            found += kinds(schema, ref.split("/")[-1])
    return found


def map_kind(definition):
    """The kind of facets a facet-map schema holds (possibly inside a one-element anyOf)."""

    def one(s):
        extra = s.get("additionalProperties")
        if "properties" in s or not isinstance(extra, dict):
            return None
        ref = extra.get("$ref", "")
        return BASES.get(ref.split("/")[-1]) if "OpenLineage.json#/$defs/" in ref else None

    found = one(definition)
    if found is None and len(definition.get("anyOf", [])) == 1:
        found = one(definition["anyOf"][0])
    return found


def nested_maps(schema, definition, path, seen):
    """(path, kind) of each facet map inside a facet file's definition; "*" for array items."""
    if not isinstance(definition, dict):
        return
    kind = map_kind(definition)
    if kind is not None:
        yield path, kind
        return
    ref = definition.get("$ref", "")
    if ref.startswith("#/$defs/") and ref.split("/")[-1] not in seen:
        name = ref.split("/")[-1]
        yield from nested_maps(schema, schema["$defs"][name], path, seen + (name,))
    for key in ("allOf", "anyOf", "oneOf"):
        for alternative in definition.get(key, []):
            yield from nested_maps(schema, alternative, path, seen)
    for name, prop in definition.get("properties", {}).items():
        yield from nested_maps(schema, prop, path + (name,), seen)
    if "items" in definition:
        yield from nested_maps(schema, definition["items"], path + ("*",), seen)


def at_path(value, path):
    if not path:
        yield value
    elif path[0] == "*" and isinstance(value, list):
        for item in value:
            yield from at_path(item, path[1:])
    elif isinstance(value, dict) and path[0] in value:
        yield from at_path(value[path[0]], path[1:])


def facet_maps(event):
    if not isinstance(event, dict):
        return
    for path, kind in (("run", "run"), ("job", "job"), ("dataset", "dataset")):
        holder = event.get(path)
        if isinstance(holder, dict):
            yield kind, holder.get("facets")
    for listing, own, own_kind in (("inputs", "inputFacets", "input"), ("outputs", "outputFacets", "output")):
        datasets = event.get(listing)
        if isinstance(datasets, list):
            for ds in datasets:
                if isinstance(ds, dict):
                    yield "dataset", ds.get("facets")
                    yield own_kind, ds.get(own)


def facet_errors(event, known):
    format_errors, other_errors = 0, 0
    pending = list(facet_maps(event))
    while pending:
        kind, facets = pending.pop()
        if not isinstance(facets, dict):
            continue
        for key, payload in facets.items():
            if isinstance(payload, dict) and payload.get("_deleted") is True:
                continue
            if (kind, key) not in known:
                continue
            validator, plain, inner = known[(kind, key)]
            for path, inner_kind in inner:
                pending.extend((inner_kind, m) for m in at_path(payload, path))
            if validator.is_valid({key: payload}):
                continue
            # Valid once formats are not asserted: only formats are broken, even when a
            # oneOf/anyOf reports it.
            if plain.is_valid({key: payload}):
                format_errors += 1
                continue
            for error in validator.iter_errors({key: payload}):
                if error.validator == "format":
                    format_errors += 1
                else:
                    other_errors += 1
    return format_errors, other_errors


def main():
    core_plain, core_formats, known = load(pathlib.Path(sys.argv[1]))
    for line in sys.stdin:
        item = json.loads(line)
        event = item["event"]
        core = core_plain.is_valid(event)
        format_errors, other_errors = facet_errors(event, known)
        formats = core_formats.is_valid(event) and format_errors == 0
        facets = formats and other_errors == 0
        print(json.dumps({"id": item["id"], "core": core, "formats": formats, "facets": facets}))


if __name__ == "__main__":
    main()
