"""Small constructors for OpenAPI v3 structural schema nodes and CEL rules (used by the CRD
generator only). Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

QUANTITY_PATTERN = (
    r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|"
    r"([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"
)


def rule(
    expression: str, message: str, field_path: str | None = None, reason: str | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {"rule": expression, "message": message}
    if field_path:
        out["fieldPath"] = field_path
    if reason:
        out["reason"] = reason
    return out


def obj(
    description: str,
    properties: Mapping[str, Any],
    *,
    required: Sequence[str] = (),
    rules: Sequence[dict[str, Any]] = (),
    default: Any = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "description": description}
    if default is not None:
        out["default"] = default
    if required:
        out["required"] = list(required)
    out["properties"] = dict(properties)
    if rules:
        out["x-kubernetes-validations"] = list(rules)
    return out


def string(
    description: str,
    *,
    enum: Sequence[str] = (),
    default: str | None = None,
    pattern: str | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
    rules: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "string", "description": description}
    extras = {
        "enum": list(enum) or None,
        "default": default,
        "pattern": pattern,
        "minLength": min_length,
        "maxLength": max_length,
    }
    out |= {k: v for k, v in extras.items() if v is not None}
    if rules:
        out["x-kubernetes-validations"] = list(rules)
    return out


def integer(
    description: str,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    default: int | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "integer", "description": description}
    extras = {"minimum": minimum, "maximum": maximum, "default": default}
    return out | {k: v for k, v in extras.items() if v is not None}


def boolean(description: str, default: bool | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "boolean", "description": description}
    if default is not None:
        out["default"] = default
    return out


def string_list(
    description: str, *, min_items: int | None = None, max_items: int = 64
) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "array", "description": description, "maxItems": max_items}
    if min_items is not None:
        out["minItems"] = min_items
    out["items"] = {"type": "string", "minLength": 1, "maxLength": 512}
    return out


def string_map(description: str, *, min_properties: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "description": description}
    if min_properties is not None:
        out["minProperties"] = min_properties
    out["additionalProperties"] = {"type": "string"}
    return out


def int_or_string(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "anyOf": [{"type": "integer"}, {"type": "string"}],
        "x-kubernetes-int-or-string": True,
    }


def quantity_map(description: str) -> dict[str, Any]:
    value = {
        "anyOf": [{"type": "integer"}, {"type": "string"}],
        "pattern": QUANTITY_PATTERN,
        "x-kubernetes-int-or-string": True,
    }
    return {"type": "object", "description": description, "additionalProperties": value}


def opaque(description: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "x-kubernetes-preserve-unknown-fields": True,
    }


def opaque_list(description: str, max_items: int = 64) -> dict[str, Any]:
    item = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    return {"type": "array", "description": description, "maxItems": max_items, "items": item}


def map_list(
    description: str, item: dict[str, Any], *, key: str = "name", max_items: int = 20
) -> dict[str, Any]:
    """A list whose items are identified by ``key`` (correlatable for transition rules)."""
    return {
        "type": "array",
        "description": description,
        "maxItems": max_items,
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": [key],
        "items": item,
    }
