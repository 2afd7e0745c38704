"""Decide whether a child needs a write: zero writes when nothing we own has changed.

A desired object carries ``heroic.dev/desired-hash`` (a hash of everything we set). It needs an
apply when the observed object is missing or when the desired object is not a *subset* of the
observed one: fields added by the server (defaults) or by others (labels, annotations,
``kubectl rollout restart``, HPA-owned replicas) do not count; a changed or removed field of ours
does, and so does any change of the desired object itself (through the hash). Quantities are
compared by value ("1Gi" == "1024Mi"). Pure.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from heroic_operator import naming

_QUANTITY = re.compile(r"^([+-]?[0-9.]+)([eE][+-]?[0-9]+|[a-zA-Z]*)$")
_SUFFIX = {
    "": Decimal(1),
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": Decimal(10**3),
    "M": Decimal(10**6),
    "G": Decimal(10**9),
    "T": Decimal(10**12),
    "P": Decimal(10**15),
    "E": Decimal(10**18),
    "Ki": Decimal(2**10),
    "Mi": Decimal(2**20),
    "Gi": Decimal(2**30),
    "Ti": Decimal(2**40),
    "Pi": Decimal(2**50),
    "Ei": Decimal(2**60),
}
_QUANTITY_PARENTS = frozenset({"requests", "limits"})


def parse_quantity(value: str | int | float) -> Decimal | None:
    """A Kubernetes quantity as a number; ``None`` if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return Decimal(str(value))
    match = _QUANTITY.match(value.strip())
    if match is None:
        return None
    number, suffix = match.groups()
    try:
        if suffix[:1] in ("e", "E"):
            return Decimal(number + suffix)
        return Decimal(number) * _SUFFIX[suffix] if suffix in _SUFFIX else None
    except InvalidOperation:
        return None


def desired_hash(obj: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:16]


def annotation(obj: Mapping[str, Any] | None, key: str, template: bool = False) -> str | None:
    """An annotation of ``obj`` (of its pod template with ``template``), ``None`` if absent."""
    if obj is None:
        return None
    meta = obj.get("metadata")
    if template:
        meta = ((obj.get("spec") or {}).get("template") or {}).get("metadata")
    return ((meta or {}).get("annotations") or {}).get(key)


def with_desired_hash(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` with the hash of its content in ``heroic.dev/desired-hash``."""
    digest = desired_hash(obj)
    meta = obj.setdefault("metadata", {})
    meta.setdefault("annotations", {})[naming.ANNOTATION_DESIRED_HASH] = digest
    return obj


def _scalar_equal(want: object, have: object, quantity: bool) -> bool:
    if want == have:
        return True
    if quantity and isinstance(want, str | int) and isinstance(have, str | int):
        a, b = parse_quantity(want), parse_quantity(have)
        return a is not None and a == b
    return False


def _is_mapping(value: object) -> bool:
    # dict first: an ABC's isinstance check costs ten times a type's, and is_subset is called
    # for every field of every child on every reconcile
    return isinstance(value, (dict, Mapping))


def _list_subset(want: list[Any], have: list[Any], parent: str) -> bool:
    keyed = all(_is_mapping(w) and "name" in w for w in want)
    if keyed and all(_is_mapping(h) for h in have):
        by_name = {h.get("name"): h for h in have}
        return all(w["name"] in by_name and is_subset(w, by_name[w["name"]], parent) for w in want)
    return len(want) == len(have) and all(
        is_subset(w, h, parent) for w, h in zip(want, have, strict=True)
    )


def _mapping_subset(want: Mapping[str, Any], have: Any, parent: str) -> bool:
    if not _is_mapping(have):
        return False
    quantities = parent in _QUANTITY_PARENTS
    for key, value in want.items():
        if key not in have:
            return False
        if quantities and not isinstance(value, list) and not _is_mapping(value):
            if not _scalar_equal(value, have[key], quantity=True):
                return False
        elif not is_subset(value, have[key], key):
            return False
    return True


def is_subset(want: Any, have: Any, parent: str = "") -> bool:
    """Every field of ``want`` is in ``have`` with an equal value (recursively); ``parent`` is
    the key under which ``want`` sits (values under requests/limits are quantities)."""
    if isinstance(want, str | int | float | None):
        return _scalar_equal(want, have, quantity=False)
    if isinstance(want, list):
        return isinstance(have, list) and _list_subset(want, have, parent)
    if _is_mapping(want):
        return _mapping_subset(want, have, parent)
    return _scalar_equal(want, have, quantity=False)


def needs_apply(desired: Mapping[str, Any], observed: Mapping[str, Any] | None) -> bool:
    """True when applying ``desired`` would change what the operator owns."""
    return observed is None or not is_subset(desired, observed)


def drifted_fields(
    desired: Mapping[str, Any], observed: Mapping[str, Any], path: str = ""
) -> list[str]:
    """Paths of the first-level differences (for log messages and Events)."""
    out: list[str] = []
    for key, value in desired.items():
        here = f"{path}.{key}" if path else key
        if key not in observed:
            out.append(here)
        elif isinstance(value, Mapping) and isinstance(observed[key], Mapping):
            out += drifted_fields(value, observed[key], here)
        elif not is_subset({key: value}, {key: observed[key]}, path.rsplit(".", 1)[-1]):
            out.append(here)
    return out
