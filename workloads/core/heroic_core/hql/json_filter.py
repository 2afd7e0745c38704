"""Decode filters from JSON: the array form, the object form and the ``q`` operator (4.1).

Errors are ``JsonMappingError`` with upstream's messages and paths: ``{op}`` marks "inside
the arguments of operator op" and ``[i]`` the i-th filter argument (0-based, not counting the
operator), so ``["and", ["=", "a"]]`` fails with "Expected second argument" at
``{and}[0].{=}``. Every decoded filter is optimized. As upstream, filter arguments of the
array form must themselves be arrays, while the object form's ``filters``/``filter`` accept
both forms; unknown object fields are ignored, and ``raw`` (like ``q``) is parsed as HQL
(upstream left it unparsed and crashed when matching). It lives beside the HQL parser because
the JSON forms embed HQL; the filter terms themselves are ``heroic_core.filters``'.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from heroic_core.errors import JsonMappingError, QueryParseError, join_path
from heroic_core.filters import (
    FALSE,
    TRUE,
    And,
    Filter,
    HasTag,
    MatchKey,
    MatchTag,
    Not,
    Or,
    Regex,
    StartsWith,
    nesting_depth,
    optimize,
)
from heroic_core.hql.query import parse_filter
from heroic_core.limits import FILTER_TOO_DEEP, MAX_FILTER_DEPTH

_ORDINALS = ("first", "second")


def parse_filter_json(obj: object, path: str = "") -> Filter:
    """Decode and optimize a filter; ``path`` is the location of ``obj`` in the document.

    Filters nested deeper than ``MAX_FILTER_DEPTH`` (after optimization) are rejected.
    """
    try:
        result = optimize(_decode(obj))
    except JsonMappingError as e:
        raise e.prefixed(path) from None
    except RecursionError:
        raise JsonMappingError(FILTER_TOO_DEEP, path) from None
    if nesting_depth(result) > MAX_FILTER_DEPTH:
        raise JsonMappingError(FILTER_TOO_DEEP, path)
    return result


def _decode(obj: object) -> Filter:
    if isinstance(obj, list):
        return _decode_array(obj)
    if isinstance(obj, Mapping):
        return _decode_object(obj)
    raise JsonMappingError("Expected start of array or object")


def _decode_array(arr: Sequence[Any]) -> Filter:
    if not arr or not isinstance(arr[0], str):
        raise JsonMappingError("Expected operator (string)")
    op = arr[0]
    decoder = _ARRAY_DECODERS.get(op)
    if decoder is None:
        raise JsonMappingError(f"No such operator: {op}")
    try:
        return optimize(decoder(op, list(arr[1:])))
    except JsonMappingError as e:
        raise e.prefixed("{" + op + "}") from None
    except QueryParseError as e:
        raise JsonMappingError(e.message, "{" + op + "}") from None
    except ValueError as e:
        raise JsonMappingError(str(e), "{" + op + "}") from None


def _strings(op: str, args: list[Any], count: int) -> list[str]:
    for i in range(count):
        if i >= len(args):
            which = "one" if count == 1 else _ORDINALS[i]
            raise JsonMappingError(f"Expected {which} argument")
        if not isinstance(args[i], str):
            raise JsonMappingError("Expected string")
    _expect_end(op, args, count)
    return [str(a) for a in args[:count]]


def _expect_end(op: str, args: list[Any], count: int) -> None:
    if len(args) > count:
        raise JsonMappingError(f"Expected end of array from '{op}'")


def _child(args: list[Any], index: int) -> Filter:
    child = args[index]
    if not isinstance(child, list):
        raise JsonMappingError("Expected start of new filter expression")
    try:
        return _decode_array(child)
    except JsonMappingError as e:
        raise e.prefixed(f"[{index}]") from None


def _terms(args: list[Any]) -> tuple[Filter, ...]:
    return tuple(_child(args, i) for i in range(len(args)))


def _not(op: str, args: list[Any]) -> Filter:
    if not args:
        raise JsonMappingError("Expected one argument")
    inner = _child(args, 0)
    _expect_end(op, args, 1)
    return Not(inner)


def _constant(value: Filter) -> Callable[[str, list[Any]], Filter]:
    def decode(op: str, args: list[Any]) -> Filter:
        _expect_end(op, args, 0)
        return value

    return decode


_ARRAY_DECODERS: dict[str, Callable[[str, list[Any]], Filter]] = {
    "and": lambda op, a: And(_terms(a)),
    "or": lambda op, a: Or(_terms(a)),
    "not": _not,
    "key": lambda op, a: MatchKey(*_strings(op, a, 1)),
    "=": lambda op, a: MatchTag(*_strings(op, a, 2)),
    "+": lambda op, a: HasTag(*_strings(op, a, 1)),
    "^": lambda op, a: StartsWith(*_strings(op, a, 2)),
    "~": lambda op, a: Regex(*_strings(op, a, 2)),
    "true": _constant(TRUE),
    "false": _constant(FALSE),
    "q": lambda op, a: parse_filter(*_strings(op, a, 1)),
}


def _field(obj: Mapping[str, Any], name: str) -> str:
    value = obj.get(name)
    if value is None:
        raise JsonMappingError(f"Missing field: {name}", name)
    if not isinstance(value, str):
        raise JsonMappingError("Expected string", name)
    return value


def _object_child(obj: Mapping[str, Any], name: str) -> Filter:
    if obj.get(name) is None:
        raise JsonMappingError(f"Missing field: {name}", name)
    try:
        return _decode(obj[name])
    except JsonMappingError as e:
        raise e.prefixed(name) from None


def _object_terms(obj: Mapping[str, Any]) -> tuple[Filter, ...]:
    items = obj.get("filters")
    if not isinstance(items, list):
        raise JsonMappingError("Expected array of filters", "filters")
    terms: list[Filter] = []
    for i, item in enumerate(items):
        try:
            terms.append(_decode(item))
        except JsonMappingError as e:
            raise e.prefixed(join_path("filters", f"[{i}]")) from None
    return tuple(terms)


_OBJECT_DECODERS: dict[str, Callable[[Mapping[str, Any]], Filter]] = {
    "and": lambda o: And(_object_terms(o)),
    "or": lambda o: Or(_object_terms(o)),
    "not": lambda o: Not(_object_child(o, "filter")),
    "key": lambda o: MatchKey(_field(o, "key")),
    "matchTag": lambda o: MatchTag(_field(o, "tag"), _field(o, "value")),
    "hasTag": lambda o: HasTag(_field(o, "tag")),
    "startsWith": lambda o: StartsWith(_field(o, "tag"), _field(o, "value")),
    "regex": lambda o: Regex(_field(o, "tag"), _field(o, "value")),
    "true": lambda o: TRUE,
    "false": lambda o: FALSE,
    "raw": lambda o: parse_filter(_field(o, "filter")),
}


def _decode_object(obj: Mapping[str, Any]) -> Filter:
    if "type" not in obj:
        raise JsonMappingError("Expected 'type' field")
    kind = obj["type"]
    if not isinstance(kind, str):
        raise JsonMappingError("Expected 'type' to be string")
    decoder = _OBJECT_DECODERS.get(kind)
    if decoder is None:
        raise JsonMappingError(f"No such type: {kind}")
    try:
        return decoder(obj)
    except QueryParseError as e:
        raise JsonMappingError(e.message, "filter") from None
    except ValueError as e:
        raise JsonMappingError(str(e), "value") from None
