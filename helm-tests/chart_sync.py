"""Keep the chart's copies of the operator's sources in step with the sources.

The chart carries three things it does not own: the CRD
(``crds/heroicclusters.heroic.dev.yaml``), the operator's RBAC rules, and, inside
``values.schema.json``, the HeroicCluster spec schema (derived from the CRD, with
``additionalProperties: false`` on every object). ``python helm-tests/chart_sync.py`` rewrites
the copies; ``--check`` only reports what differs (exit 1), and the helm-tests call the same
functions. It never edits the sources themselves.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
CHART_DIR = REPO_ROOT / "charts" / "heroic"
CRD_SOURCES = [
    REPO_ROOT / "crds" / n for n in ("heroicclusters.heroic.dev.yaml", "heroicclusters.yaml")
]
CRD_COPY_DIR = CHART_DIR / "files" / "crds"
RBAC_SOURCE = REPO_ROOT / "operator" / "rbac" / "rbac.yaml"
RBAC_COPY = CHART_DIR / "files" / "operator-rbac.yaml"
VALUES_SCHEMA = CHART_DIR / "values.schema.json"

Schema = dict[str, Any]

# Keywords a CRD schema shares with JSON schema and that mean the same there.
_KEPT = (
    "type", "description", "enum", "default", "required", "pattern", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "minItems", "maxItems",
    "uniqueItems", "minProperties", "maxProperties", "multipleOf", "title", "example",
)  # fmt: skip
_STANDARD_FORMATS = {"date-time", "date", "time", "email", "hostname", "ipv4", "ipv6", "uri"}


def crd_spec_schema(crd: dict[str, Any]) -> Schema:
    """The storage version's ``spec`` schema of a CRD, as strict JSON schema."""
    version = next(v for v in crd["spec"]["versions"] if v.get("storage"))
    spec = version["schema"]["openAPIV3Schema"]["properties"]["spec"]
    return to_json_schema(spec, "spec")


def to_json_schema(node: Schema, path: str) -> Schema:
    """One CRD (structural OpenAPI v3) schema node as JSON schema; objects become closed."""
    out: Schema = {key: node[key] for key in _KEPT if key in node}
    if not path.endswith(("[]", ".*")):  # properties need a description; items and values do not
        out.setdefault("description", f"HeroicCluster field {path} (see the CRD).")
    if node.get("format") in _STANDARD_FORMATS:
        out["format"] = node["format"]
    out.update(_type(node))
    out.update(_children(node, path))
    out.update(_additional(node, path))
    return out


def _type(node: Schema) -> Schema:
    if node.get("x-kubernetes-int-or-string"):
        return {"type": ["integer", "string"]}
    if node.get("nullable") and isinstance(node.get("type"), str):
        return {"type": [node["type"], "null"]}
    return {}


def _children(node: Schema, path: str) -> Schema:
    out: Schema = {}
    if "items" in node:
        out["items"] = to_json_schema(node["items"], f"{path}[]")
    if "not" in node:
        out["not"] = to_json_schema(node["not"], path)
    if "properties" in node:
        props = node["properties"].items()
        out["properties"] = {k: to_json_schema(v, f"{path}.{k}") for k, v in props}
    for keyword in ("oneOf", "anyOf", "allOf"):
        if keyword in node:
            # A CRD's oneOf/anyOf branches usually list only required fields; closing them
            # would refuse every property they do not repeat, so branches stay open.
            out[keyword] = [_open(to_json_schema(sub, path)) for sub in node[keyword]]
    return out


def _open(schema: Schema) -> Schema:
    if "properties" not in schema:
        schema.pop("additionalProperties", None)
    return schema


def _additional(node: Schema, path: str) -> Schema:
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        return {"additionalProperties": to_json_schema(extra, f"{path}.*")}
    if extra is not None:
        return {"additionalProperties": extra}
    if node.get("x-kubernetes-preserve-unknown-fields"):
        return {"additionalProperties": True}
    if node.get("type") == "object":
        return {"additionalProperties": False}
    return {}


def crd_source() -> Path:
    """The canonical CRD file the operator writes."""
    for path in CRD_SOURCES:
        if path.exists():
            return path
    raise FileNotFoundError(f"no canonical CRD: none of {[str(p) for p in CRD_SOURCES]}")


def crd_copy() -> Path:
    """Where the chart keeps its copy (same file name as the source)."""
    return CRD_COPY_DIR / crd_source().name


def expected_values_schema() -> Schema:
    """values.schema.json with its HeroicCluster spec regenerated from the canonical CRD."""
    schema: Schema = json.loads(VALUES_SCHEMA.read_text())
    crd = yaml.safe_load(crd_source().read_text())
    cluster = schema["properties"]["heroicCluster"]["properties"]
    cluster["spec"] = crd_spec_schema(crd)
    # The chart fills spec.image from image.repository/tag when values leave it out.
    required = [k for k in cluster["spec"].get("required", []) if k != "image"]
    cluster["spec"].pop("required", None)
    if required:
        cluster["spec"]["required"] = required
    cluster["spec"]["description"] = (
        "The HeroicCluster spec, as in examples/; mirrors the CRD (regenerated by "
        "helm-tests/chart_sync.py)."
    )
    return schema


def dump_json(schema: Schema) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def expected_files() -> dict[Path, str]:
    """Every chart file this module keeps, with the content it must have."""
    files = {
        crd_copy(): crd_source().read_text(),
        VALUES_SCHEMA: dump_json(expected_values_schema()),
    }
    if RBAC_SOURCE.exists():  # test_chart_sync fails while it is missing
        files[RBAC_COPY] = RBAC_SOURCE.read_text()
    return files


def out_of_date() -> list[Path]:
    """The kept files whose content differs from what the sources say."""
    return [p for p, text in expected_files().items() if not p.exists() or p.read_text() != text]


def strays() -> list[Path]:
    """Files in the chart's CRD directory that are no copy of the source."""
    return [p for p in CRD_COPY_DIR.glob("*") if p != crd_copy()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale files")
    args = parser.parse_args(argv)
    stale = out_of_date()
    if args.check:
        for path in [*stale, *strays()]:
            sys.stderr.write(f"out of date: {path.relative_to(REPO_ROOT)}\n")
        return 1 if stale or strays() else 0
    for path in strays():
        path.unlink()
        sys.stderr.write(f"removed {path.relative_to(REPO_ROOT)}\n")
    for path, text in expected_files().items():
        if path in stale:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            sys.stderr.write(f"updated {path.relative_to(REPO_ROOT)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
