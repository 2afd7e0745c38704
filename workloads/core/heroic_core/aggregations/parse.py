"""Decoding of the JSON aggregation forms (reference 6.1) into ``Aggregation`` objects.

Strict like upstream's Jackson mapper: unknown types, unknown fields and badly typed values
fail with a ``JsonMappingError`` naming the JSON path. ``null`` means absent. Trees nested
deeper than ``limits.MAX_AGGREGATION_DEPTH`` JSON levels are refused before decoding. Durations take
any form ``durations.parse_duration`` accepts and must be at least one millisecond; a sampling
``value`` with a ``unit`` that is not a whole count (``0.5`` seconds) is the milliseconds it
means, where upstream truncates it (see docs/compatibility.md). This module only builds objects;
it must not evaluate anything.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from heroic_core.aggregations.base import Aggregation
from heroic_core.aggregations.cardinality import METHODS, Cardinality, CardinalityMethod
from heroic_core.aggregations.distributions import Tdigest
from heroic_core.aggregations.durations import (
    Duration,
    fraction_to_ms,
    parse_duration,
    parse_time_unit,
)
from heroic_core.aggregations.filters import (
    AboveK,
    BelowK,
    BottomK,
    Delta,
    DeltaPerSecond,
    NotNegative,
    PointsAbove,
    PointsBelow,
    TopK,
)
from heroic_core.aggregations.grouping import Chain, Collapse, Empty, Group, Options, flatten
from heroic_core.aggregations.members import GroupUnique, Quantile, RatePerSecond
from heroic_core.aggregations.sampling import (
    Average,
    Count,
    Max,
    Min,
    SamplingAggregation,
    Spread,
    StdDev,
    Sum,
    Sum2,
    Template,
)
from heroic_core.errors import JsonMappingError, join_path
from heroic_core.limits import AGGREGATION_TOO_DEEP, MAX_AGGREGATION_DEPTH, json_depth


class _Fields:
    """Typed access to the fields of one JSON object, rejecting unknown ones."""

    def __init__(self, obj: dict[str, Any], path: str, allowed: frozenset[str]) -> None:
        for name in obj:
            if name not in allowed:
                expected = ", ".join(sorted(allowed)) or "none"
                raise JsonMappingError(
                    f'Unrecognized field "{name}" (known fields: {expected})',
                    join_path(path, name),
                )
        self.obj, self.path = obj, path

    def at(self, name: str) -> str:
        return join_path(self.path, name)

    def get(self, name: str) -> Any:
        return self.obj.get(name)

    def duration(self, name: str) -> Duration | None:
        return _positive(self.get(name), self.at(name))

    def number(self, name: str, *, required: bool = False) -> float | None:
        value = self.get(name)
        if value is None:
            if required:
                raise JsonMappingError(f"missing required field {name}", self.at(name))
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise JsonMappingError(f"{name} must be a number", self.at(name))
        return float(value)

    def boolean(self, name: str) -> bool:
        value = self.get(name)
        if value is not None and not isinstance(value, bool):
            raise JsonMappingError(f"{name} must be a boolean", self.at(name))
        return bool(value)

    def tags(self, name: str) -> tuple[str, ...] | None:
        value = self.get(name)
        if value is None:
            return None
        if not isinstance(value, list):
            raise JsonMappingError(f"{name} must be a list of tag names", self.at(name))
        for i, tag in enumerate(value):
            if not isinstance(tag, str):
                raise JsonMappingError("tag name must be a string", self.at(name) + f"[{i}]")
        return tuple(value)

    def aggregation(self, name: str) -> Aggregation | None:
        value = self.get(name)
        return None if value is None else _decode(value, self.at(name))


def _at_least_one_ms(duration: Duration | None, path: str) -> Duration | None:
    if duration is not None and duration.to_ms() < 1:
        raise JsonMappingError("duration must be at least one millisecond", path)
    return duration


def _positive(value: object, path: str) -> Duration | None:
    return None if value is None else _at_least_one_ms(parse_duration(value, path), path)


def _sampling_count(fields: _Fields, name: str, unit: str | None) -> Duration | None:
    """A sampling ``value``/``extent``; with a unit, a count that is not whole is taken as the
    milliseconds it means (Grafana sends ``$__interval`` under a second as ``0.5`` seconds),
    where upstream truncates the count (to 0, an error)."""
    value = fields.get(name)
    if value is None:
        return None
    fraction = isinstance(value, float) and math.isfinite(value) and not value.is_integer()
    if unit is not None and fraction:
        return Duration.of_ms(fraction_to_ms(value, unit))
    duration = parse_duration(value, fields.at(name))
    return duration if unit is None else duration.with_unit(unit)


def _sampling_query(value: object, path: str) -> tuple[Duration | None, Duration | None]:
    """``{"unit"?, "value"?, "extent"?}``: a unit re-labels the counts; no unit → extent=value."""
    if value is None:
        return None, None
    if not isinstance(value, dict):
        raise JsonMappingError("sampling must be an object", path)
    fields = _Fields(value, path, frozenset({"unit", "value", "extent", "size"}))
    raw_unit = fields.get("unit")
    unit = None if raw_unit is None else parse_time_unit(raw_unit, fields.at("unit"))
    size = _sampling_count(fields, "value", unit)
    extent = _sampling_count(fields, "extent", unit)
    if unit is None:
        extent = extent or size
    _at_least_one_ms(size, fields.at("value"))
    _at_least_one_ms(extent, fields.at("extent"))
    return fields.duration("size") or size, extent


_SAMPLING_FIELDS = frozenset({"type", "sampling", "size", "extent"})


def _sampling(cls: type[SamplingAggregation], extra: frozenset[str] = frozenset()) -> Any:
    def build(fields: _Fields) -> SamplingAggregation:
        size, extent = _sampling_query(fields.get("sampling"), fields.at("sampling"))
        kwargs = {"size": fields.duration("size") or size}
        kwargs["extent"] = fields.duration("extent") or extent
        return cls(**kwargs, **_extra_params(cls, fields))

    return build, _SAMPLING_FIELDS | extra


def _extra_params(cls: type[SamplingAggregation], fields: _Fields) -> dict[str, Any]:
    if cls is Quantile:
        return {"q": fields.number("q"), "error": fields.number("error")}
    if cls is Cardinality:
        method = fields.get("method")
        if method is None:
            return {}
        return {"method": _cardinality_method(method, fields.at("method"))}
    return {}


def _cardinality_method(value: object, path: str) -> CardinalityMethod:
    if not isinstance(value, dict):
        raise JsonMappingError("method must be an object", path)
    kind = value.get("type")
    if kind not in METHODS:
        raise JsonMappingError(
            f"unknown cardinality method {kind!r} (expected exact, hll or hllp)",
            join_path(path, "type"),
        )
    allowed = {"type", "includeKey"} | (set() if kind == "exact" else {"precision"})
    fields = _Fields(value, path, frozenset(allowed))
    precision = fields.number("precision")
    if kind == "hllp" and precision is not None:
        precision = int(precision)
    return CardinalityMethod(kind, precision, fields.boolean("includeKey"))


def _each(value: object, path: str) -> Aggregation | None:
    """A group's ``each``: an aggregation, or a legacy list meaning a chain."""
    if not isinstance(value, list):
        return None if value is None else _decode(value, path)
    steps = flatten(tuple(_decode(v, f"{path}[{i}]") for i, v in enumerate(value)))
    if not steps:
        return None
    return steps[0] if len(steps) == 1 else Chain(steps)


def _group(fields: _Fields) -> Aggregation:
    return Group(fields.tags("of"), _each(fields.get("each"), fields.at("each")))


def _collapse(fields: _Fields) -> Aggregation:
    return Collapse(fields.tags("of"), fields.aggregation("each"))


def _chain(fields: _Fields) -> Aggregation:
    value = fields.get("chain")
    if not isinstance(value, list) or not value:
        raise JsonMappingError("chain must be a non-empty list of aggregations", fields.at("chain"))
    at = fields.at("chain")
    return Chain(tuple(_decode(v, f"{at}[{i}]") for i, v in enumerate(value)))


def _options(fields: _Fields) -> Aggregation:
    size, extent = _sampling_query(fields.get("sampling"), fields.at("sampling"))
    return Options(size, extent, fields.aggregation("aggregation"))


def _no_child(fields: _Fields) -> None:
    child = fields.aggregation("of")
    if child is not None and not isinstance(child, Empty):
        raise JsonMappingError(
            "of: filtering aggregations should not take a child aggregation any longer",
            fields.at("of"),
        )


def _k_filter(cls: type[TopK] | type[AboveK], integer: bool) -> Any:
    def build(fields: _Fields) -> Aggregation:
        _no_child(fields)
        k = fields.number("k", required=True)
        assert k is not None  # noqa: S101 - required above
        if not integer:
            return AboveK(k=k) if cls is AboveK else BelowK(k=k)
        if k < 0:
            raise JsonMappingError("k must not be negative", fields.at("k"))
        return TopK(k=int(k)) if cls is TopK else BottomK(k=int(k))

    return build, frozenset({"type", "k", "of"})


def _threshold(cls: type[PointsAbove] | type[PointsBelow]) -> Any:
    def build(fields: _Fields) -> Aggregation:
        threshold = fields.number("threshold", required=True)
        assert threshold is not None  # noqa: S101 - required above
        return cls(threshold=threshold)

    return build, frozenset({"type", "threshold"})


def _plain(cls: type[Aggregation]) -> Any:
    return (lambda fields: cls()), frozenset({"type"})


_Builder = tuple[Callable[[_Fields], Aggregation], frozenset[str]]
_BUILDERS: dict[str, _Builder] = {
    "empty": _plain(Empty),
    "group": (_group, frozenset({"type", "of", "each"})),
    "collapse": (_collapse, frozenset({"type", "of", "each"})),
    "chain": (_chain, frozenset({"type", "chain"})),
    "opts": (_options, frozenset({"type", "sampling", "aggregation"})),
    "quantile": _sampling(Quantile, frozenset({"q", "error"})),
    "cardinality": _sampling(Cardinality, frozenset({"method"})),
    "delta": _plain(Delta),
    "deltaPerSecond": _plain(DeltaPerSecond),
    "notNegative": _plain(NotNegative),
    "topk": _k_filter(TopK, integer=True),
    "bottomk": _k_filter(BottomK, integer=True),
    "abovek": _k_filter(AboveK, integer=False),
    "belowk": _k_filter(BelowK, integer=False),
    "pointsabove": _threshold(PointsAbove),
    "pointsbelow": _threshold(PointsBelow),
}
_SIMPLE: tuple[type[SamplingAggregation], ...] = (
    Sum, Sum2, Average, Min, Max, Count, StdDev, Spread, Template, GroupUnique, RatePerSecond,
    Tdigest,
)  # fmt: skip
for _cls in _SIMPLE:
    _BUILDERS[_cls.type_name] = _sampling(_cls)

#: Every aggregation type name ``parse_aggregation`` knows.
AGGREGATION_TYPES = frozenset(_BUILDERS)


def parse_aggregation(obj: object, path: str = "") -> Aggregation:
    """Decode an aggregation's JSON form; ``path`` is where ``obj`` sits in the request.

    The depth bound is checked first: decoding (and later evaluation) recurses on the tree.
    """
    if json_depth(obj) > MAX_AGGREGATION_DEPTH:
        raise JsonMappingError(AGGREGATION_TOO_DEEP, path)
    return _decode(obj, path)


def parse_aggregation_list(items: Sequence[object], path: str) -> Aggregation:
    """A legacy ``aggregators`` list: the chain of its items, each named ``<path>[N]`` in
    errors (the request has no ``chain`` to name)."""
    if 1 + json_depth(list(items)) > MAX_AGGREGATION_DEPTH:  # as deep as the chain it means
        raise JsonMappingError(AGGREGATION_TOO_DEEP, path)
    if not items:
        raise JsonMappingError("must be a non-empty list of aggregations", path)
    return Chain(tuple(_decode(v, f"{path}[{i}]") for i, v in enumerate(items)))


def _decode(obj: object, path: str) -> Aggregation:
    if not isinstance(obj, dict):
        raise JsonMappingError('aggregation must be an object with a "type"', path)
    kind = obj.get("type")
    if kind is None:
        raise JsonMappingError("missing type id property 'type' of aggregation", path)
    if not isinstance(kind, str):
        raise JsonMappingError("aggregation type must be a string", join_path(path, "type"))
    builder = _BUILDERS.get(kind)
    if builder is None:
        raise JsonMappingError(
            f"Could not resolve type id '{kind}' as an aggregation "
            f"(known: {', '.join(sorted(_BUILDERS))})",
            join_path(path, "type"),
        )
    build, allowed = builder
    return build(_Fields(obj, path, allowed))
