"""Prune a value to what a structural schema keeps, as the API server does. Pure.

An operator newer than the installed CRD (say, the chart installed with ``crds.install=false``
and the platform team's CRD one version behind) would otherwise send status fields the CRD
does not declare: server-side apply refuses the whole status ("field not declared in schema"),
so no condition would ever be written. The reconciler prunes its status with the installed
schema first, and says once which fields the old CRD cannot hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def prune(value: Any, schema: Mapping[str, Any], path: str = "") -> tuple[Any, list[str]]:
    """``value`` without the object fields ``schema`` does not declare, and their paths."""
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return value, []
    if isinstance(value, Mapping):
        properties = schema.get("properties")
        extra = schema.get("additionalProperties")
        out: dict[str, Any] = {}
        removed: list[str] = []
        for key, item in value.items():
            here = f"{path}.{key}" if path else key
            child = properties.get(key) if isinstance(properties, Mapping) else None
            if child is None and isinstance(extra, Mapping):
                child = extra
            if child is None:
                removed.append(here)
                continue
            out[key], lost = prune(item, child, here)
            removed += lost
        return out, removed
    if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        items = [prune(item, schema["items"], f"{path}[{i}]") for i, item in enumerate(value)]
        return [item for item, _ in items], [p for _, lost in items for p in lost]
    return value, []
