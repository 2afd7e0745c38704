"""The CRD's structural OpenAPI v3 schema, generated from the spec models.

pydantic writes a JSON schema (types, bounds, patterns, enums, scalar defaults, required fields,
docstrings as descriptions, and the Kubernetes keywords of ``spec/markers.py``); this module
turns it into the structural form the API server accepts: every ``$ref`` inlined (a field's own
description and keywords win over its model's), an optional field is just absent (no
``anyOf`` with null, no ``default: null``), no titles, objects without ``additionalProperties:
false`` (unknown fields are pruned or refused by the API server anyway) and free-form objects
marked ``x-kubernetes-preserve-unknown-fields``. A keyword a structural schema does not allow is
an error, so a new field cannot slip an invalid CRD through. Pure.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from heroic_operator.spec.cluster import HeroicClusterSpec
from heroic_operator.spec.resource import HeroicCluster
from heroic_operator.spec.status import HeroicClusterStatus

Schema = dict[str, Any]

# Keyword order of the generated YAML (what a reader looks for first), and every keyword the
# generator lets through.
_ORDER = (
    "type",
    "format",
    "description",
    "anyOf",
    "enum",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "default",
    "pattern",
    "x-kubernetes-int-or-string",
    "minLength",
    "maxLength",
    "maxItems",
    "minItems",
    "minProperties",
    "maxProperties",
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
    "required",
    "x-kubernetes-preserve-unknown-fields",
    "properties",
    "additionalProperties",
    "items",
    "x-kubernetes-validations",
)


class _OpenApiV3(GenerateJsonSchema):
    """pydantic's JSON schema without the null branch of optional fields, unsorted (CEL rules
    read rule first, message second, as written)."""

    def sort(self, value: JsonSchemaValue, parent_key: str | None = None) -> JsonSchemaValue:
        return value

    def nullable_schema(self, schema: core_schema.NullableSchema) -> JsonSchemaValue:
        return self.generate_inner(schema["schema"])

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        out = super().default_schema(schema)
        if out.get("default", ...) is None:  # unset means absent, not null
            del out["default"]
        return out


def openapi_schema(model: type[BaseModel]) -> Schema:
    """The structural schema of ``model`` (camelCase field names)."""
    raw = model.model_json_schema(by_alias=True, schema_generator=_OpenApiV3)
    raw = copy.deepcopy(raw)  # json_schema_extra lists are shared with the models
    return _structural(raw, raw.pop("$defs", {}), model.__name__)


def _structural(node: Schema, defs: dict[str, Schema], path: str) -> Schema:
    node = _inlined(node, defs)
    node.pop("title", None)
    extra = node.get("additionalProperties")
    if extra is False:
        del node["additionalProperties"]
    elif extra is True or extra == {}:  # values of any shape: dict[str, Any], extra="allow"
        del node["additionalProperties"]
        node["x-kubernetes-preserve-unknown-fields"] = True
    if "const" in node:  # a one-value Literal; OpenAPI v3.0 has no const
        node["enum"] = [node.pop("const")]
    if "description" in node:
        node["description"] = " ".join(node["description"].split())
    if "properties" in node:
        node["properties"] = {
            k: _structural(v, defs, f"{path}.{k}") for k, v in node["properties"].items()
        }
    if "items" in node:
        node["items"] = _structural(node["items"], defs, f"{path}[]")
    if isinstance(node.get("additionalProperties"), dict):
        node["additionalProperties"] = _structural(node["additionalProperties"], defs, f"{path}.*")
    if "anyOf" in node:
        node["anyOf"] = [_structural(branch, defs, path) for branch in node["anyOf"]]
    unknown = set(node) - set(_ORDER)
    if unknown:
        raise ValueError(f"{path}: no structural schema keyword: {sorted(unknown)}")
    return {key: node[key] for key in _ORDER if key in node}


def _inlined(node: Schema, defs: dict[str, Schema]) -> Schema:
    """``node`` with its ``$ref`` (or one-element ``allOf``) replaced by the definition; the
    node's own keywords (a field's description, default, rules) win."""
    if len(node.get("allOf", ())) == 1:
        node = {**node.pop("allOf")[0], **node}
    ref = node.pop("$ref", None)
    if ref is None:
        return node
    target = copy.deepcopy(defs[ref.removeprefix("#/$defs/")])
    return {**_inlined(target, defs), **node}


def spec_schema() -> Schema:
    return openapi_schema(HeroicClusterSpec)


def status_schema() -> Schema:
    """The status schema of the CRD (what the API server keeps of a status update)."""
    return openapi_schema(HeroicClusterStatus)


def resource_schema() -> Schema:
    """The CRD version's ``openAPIV3Schema``."""
    return openapi_schema(HeroicCluster)
