"""The HeroicCluster reference (Markdown) rendered from the CRD's openAPIV3Schema.

Written to ``docs/heroiccluster-reference.md`` by ``make generate``; a unit test fails while the
committed file differs, so the reference cannot drift from the spec models. Pure.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

TABLE_HEADER = "| field | type | required | constraints | description |"


def _type(schema: Mapping[str, Any]) -> str:
    kind = str(schema.get("type", "any"))
    if kind == "array":
        return f"[]{_type(schema.get('items', {}))}"
    if kind == "object" and "additionalProperties" in schema and "properties" not in schema:
        extra = schema["additionalProperties"]
        value = _type(extra) if isinstance(extra, Mapping) else "any"
        return f"map[string]{value}"
    if schema.get("x-kubernetes-int-or-string"):
        return "int-or-string"
    return kind


def _constraints(schema: Mapping[str, Any]) -> str:
    parts = []
    if "default" in schema:
        parts.append(f"default `{json.dumps(schema['default'])}`")
    if "enum" in schema:
        parts.append("one of " + ", ".join(f"`{v}`" for v in schema["enum"]))
    for key, label in (
        ("minimum", "≥"),
        ("maximum", "≤"),
        ("minLength", "min length"),
        ("maxLength", "max length"),
        ("pattern", "pattern"),
    ):
        if key in schema:
            parts.append(f"{label} `{schema[key]}`")
    for rule in schema.get("x-kubernetes-validations", []):
        parts.append(f"rule: {rule.get('message') or rule.get('rule')}")
    return "; ".join(parts)


def _rows(schema: Mapping[str, Any], path: str) -> Iterator[tuple[str, str, bool, str, str]]:
    required = set(schema.get("required", []))
    for name, child in schema.get("properties", {}).items():
        child_path = f"{path}.{name}" if path else name
        description = " ".join(str(child.get("description", "")).split())
        yield child_path, _type(child), name in required, _constraints(child), description
        target = child.get("items", {}) if child.get("type") == "array" else child
        yield from _rows(target, child_path + ("[]" if child.get("type") == "array" else ""))


def render(crd: Mapping[str, Any]) -> str:
    """The Markdown reference of every served version of the CRD."""
    names = crd["spec"]["names"]
    out = [
        f"# {names['kind']} reference",
        "",
        "Generated from the spec models (operator/heroic_operator/spec/) by `make generate`; "
        "do not edit by hand.",
        "",
        f"Group `{crd['spec']['group']}`, kind `{names['kind']}`, plural `{names['plural']}`"
        + (
            f", short names {', '.join(names.get('shortNames', []))}"
            if names.get("shortNames")
            else ""
        )
        + ".",
    ]
    for version in crd["spec"]["versions"]:
        schema = version["schema"]["openAPIV3Schema"]
        out += ["", f"## {version['name']}", ""]
        for rule in schema.get("x-kubernetes-validations", []):
            out.append(f"- rule: {rule.get('message') or rule.get('rule')}")
        for section in ("spec", "status"):
            if section not in schema.get("properties", {}):
                continue
            out += ["", f"### {section}", "", TABLE_HEADER, "|---|---|---|---|---|"]
            for path, kind, needed, constraints, description in _rows(
                schema["properties"][section], section
            ):
                cells = [
                    f"`{path}`",
                    f"`{kind}`",
                    "yes" if needed else "",
                    constraints.replace("|", "\\|"),
                    description.replace("|", "\\|"),
                ]
                out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"
