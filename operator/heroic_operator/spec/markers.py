"""Kubernetes-only schema keywords carried by the spec models, for the CRD generator.

The models say what pydantic can check (types, bounds, patterns, scalar defaults) and, through
these helpers, what only the API server checks: CEL rules (``x-kubernetes-validations``, often
transition rules pydantic cannot see), object defaults the API server fills in, list types and
int-or-string values. ``spec/schema.py`` turns both into the CRD's structural schema. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

Keywords = dict[str, Any]

QUANTITY_PATTERN = (
    r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|"
    r"([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"
)


def rule(
    expression: str, message: str, *, field_path: str | None = None, reason: str | None = None
) -> Keywords:
    """One CEL rule with its message (and where the API server reports it)."""
    out: Keywords = {"rule": expression, "message": message}
    if field_path:
        out["fieldPath"] = field_path
    if reason:
        out["reason"] = reason
    return out


def validations(*rules: Keywords) -> Keywords:
    """``json_schema_extra`` of a model or field checked by these CEL rules."""
    return {"x-kubernetes-validations": list(rules)}


def immutable(what: str, why: str) -> Keywords:
    """A transition rule refusing any change of a set value."""
    return rule("self == oldSelf", f"{what} cannot change in place: {why}")


def crd_default(value: object) -> Keywords:
    """A default the API server fills in where pydantic's differs (an absent block becomes
    ``{}`` and gets its fields' defaults)."""
    return {"default": value}


def list_map(*keys: str) -> Keywords:
    """A list whose items are identified by ``keys`` (correlatable for transition rules)."""
    return {"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": list(keys)}


LIST_SET: Keywords = {"x-kubernetes-list-type": "set"}


@dataclass(frozen=True, eq=False)  # hashed by identity: Annotated metadata must hash
class KubeSchema:
    """``Annotated`` metadata adding keywords to a type's JSON schema (not its validation)."""

    keywords: Mapping[str, Any]

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        out = dict(handler(schema))
        out.update(self.keywords)
        return out


def _quantity(value: int | str) -> int | str:
    if isinstance(value, str) and not re.fullmatch(QUANTITY_PATTERN, value):
        raise ValueError(f"{value!r} is not a Kubernetes quantity")
    return value


#: A number or a string such as ``25%`` (``intstr.IntOrString``).
IntOrString = Annotated[int | str, KubeSchema({"x-kubernetes-int-or-string": True})]
#: A Kubernetes resource quantity: ``2``, ``500m``, ``1Gi``.
Quantity = Annotated[
    int | str,
    AfterValidator(_quantity),
    KubeSchema({"x-kubernetes-int-or-string": True, "pattern": QUANTITY_PATTERN}),
]
#: An object passed through unchecked (a Kubernetes type the API server validates later).
Opaque = dict[str, Any]
