"""Request models of the HTTP API: the shapes of upstream's JSON bodies (reference 2.6-2.9).

Bodies are validated here into pydantic models (camelCase on the wire, unknown fields ignored as
upstream's Jackson mapper does). Fields whose grammar lives in ``heroic_core`` (filters,
aggregations, ranges) are kept as raw JSON and decoded by the services with a JSON path. A
validation failure becomes a 400 ``json-error`` naming the field. No behaviour beyond shape.
"""

from __future__ import annotations

from types import UnionType
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo

from heroic_api.errors import json_path
from heroic_core.errors import JsonMappingError, join_path

M = TypeVar("M", bound=BaseModel)
Limit = int | None
#: Limits are Java ints upstream (a larger number is a 400 there too). One less than the Java
#: maximum: backends ask for ``limit + 1`` items to tell whether a result was truncated, and
#: pass that on as a request size (an Elasticsearch int).
MAX_LIMIT = 2**31 - 2


class RequestModel(BaseModel):
    """Base of every request model."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True
    )


def parse_model(model: type[M], obj: Any, path: str = "") -> M:
    """Validate ``obj`` into ``model``; failures become ``JsonMappingError`` with the path.

    For a field typed as a union (``tracing``: a boolean or a level name) pydantic reports one
    error per member, each with the member's type name as an extra path segment; those are
    reported as one error at the field, listing every alternative.
    """
    if obj is None:
        raise JsonMappingError("missing request body", path)
    try:
        return model.model_validate(obj)
    except ValidationError as exc:
        errors = [(_field_loc(model, tuple(e["loc"])), e["msg"]) for e in exc.errors()]
        loc = errors[0][0]
        message = " or ".join(dict.fromkeys(msg for at, msg in errors if at == loc))
        where = json_path(loc)
        raise JsonMappingError(message, join_path(path, where) if where else path) from None


def _field_loc(model: type[BaseModel] | None, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """``loc`` without the union-member segments pydantic inserts after union-typed fields."""
    out: list[Any] = []
    parts = list(loc)
    while parts:
        part = parts.pop(0)
        out.append(part)
        field = _field(model, part)
        model = None
        if field is None:
            continue
        members = [a for a in get_args(field.annotation) if a is not type(None)]
        if get_origin(field.annotation) in (Union, UnionType) and len(members) > 1:
            del parts[:1]
        nested = [m for m in (field.annotation, *members) if _is_model(m)]
        model = nested[0] if nested else None
    return tuple(out)


def _field(model: type[BaseModel] | None, alias: Any) -> FieldInfo | None:
    if model is None:
        return None
    for name, info in model.model_fields.items():
        if alias in (name, info.alias):
            return info
    return None


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


class QueryOptionsBody(RequestModel):
    """``options`` of a query (reference 2.6 QueryOptions)."""

    bucket_strategy: Literal["start", "end"] | None = None
    tracing: bool | Literal["NONE", "DEFAULT", "DETAILED"] | None = None
    fetch_size: int | None = Field(default=None, ge=1, le=MAX_LIMIT)
    data_limit: Limit = Field(default=None, ge=0, le=MAX_LIMIT)
    aggregation_limit: Limit = Field(default=None, ge=0, le=MAX_LIMIT)
    group_limit: Limit = Field(default=None, ge=0, le=MAX_LIMIT)
    series_limit: Limit = Field(default=None, ge=0, le=MAX_LIMIT)
    fail_on_limits: bool | None = None

    @field_validator("bucket_strategy", "tracing", mode="before")
    @classmethod
    def _case_insensitive(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        return value.upper() if value.upper() in ("NONE", "DEFAULT", "DETAILED") else value.lower()


class QueryMetricsBody(RequestModel):
    """``POST /query/metrics`` JSON body ("QueryMetrics")."""

    range: Any = None
    filter: Any = None
    aggregation: Any = None
    source: str | None = None
    options: QueryOptionsBody | None = None
    features: list[str] | None = None
    client_context: Any = None
    query: str | None = None
    key: str | None = None
    tags: dict[str, str] | None = None
    aggregators: list[Any] | None = None
    no_cache: bool | None = None


class QueryBatchBody(RequestModel):
    """``POST /query/batch``: named queries and a fallback range."""

    queries: dict[str, Any] = Field(default_factory=dict)
    range: Any = None


class WriteBody(RequestModel):
    """``POST /write``: one series and a MetricCollection."""

    series: Any = None
    data: Any = None


class MetricCollectionBody(RequestModel):
    """``{"type": "<identifier>", "data": [samples]}``."""

    type: str
    data: list[Any]


class MetadataBody(RequestModel):
    """Common fields of ``/metadata/*`` requests; ``limit=None`` means the endpoint default."""

    filter: Any = None
    range: Any = None
    limit: Limit = Field(default=None, ge=0, le=MAX_LIMIT)


class KeySuggestBody(MetadataBody):
    key: str | None = None
    match: dict[str, Any] | None = None


class TagSuggestBody(MetadataBody):
    key: str | None = None
    value: str | None = None
    match: dict[str, Any] | None = None


class TagValueSuggestBody(MetadataBody):
    key: str | None = None


class TagValuesSuggestBody(MetadataBody):
    group_limit: Limit = Field(default=None, ge=0, le=MAX_LIMIT)
    exclude: list[str] = Field(default_factory=list)


class TagKeyCountBody(MetadataBody):
    pass
