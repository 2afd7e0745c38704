"""Heroic series <-> Prometheus label sets: one documented, reversible rule.

A series' key is the metric name (label ``__name__``) and each tag is a label of the same name
and value. Heroic keys and tag names often hold dots (``cpu.usage``, ``host.name``), which
Prometheus before 3.0 did not allow in names. Two escapings, both reversible:

``allow-utf-8`` (the default)
    Names go out exactly as stored. Prometheus 3, Grafana 11+ and PromQL's quoted-name syntax
    (``{"cpu.usage", host="a"}``) handle them; what a user sees in Grafana is the Heroic key
    they know.
``values``
    Prometheus 3's ``values`` escaping for clients limited to the legacy charset: a name that is
    not a legal legacy name is sent as ``U__`` followed by the name with ``_`` doubled and every
    other illegal character as ``_<hex code point>_`` (``cpu.usage`` -> ``U__cpu_2e_usage``).
    Names in queries are unescaped the same way, so both spellings select the same series.

Prometheus' lossy ``underscores`` escaping is refused: two Heroic keys could map to one name.
Resource identifiers (upstream's unindexed ``resource``) are not labels.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum

from heroic_core.model import Series

NAME_LABEL = "__name__"
_LEGACY_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LEGACY_CHAR = re.compile(r"[a-zA-Z0-9_:]")
_ESCAPED_PREFIX = "U__"
_ESCAPE_TOKEN = re.compile(r"__|_([0-9a-fA-F]+)_|_|[^_]+")


class NameEscaping(StrEnum):
    """How metric and label names that are not legal legacy Prometheus names are sent."""

    ALLOW_UTF8 = "allow-utf-8"
    VALUES = "values"


class EscapedNameError(ValueError):
    """An escaped name that does not decode."""


def escape(name: str, escaping: NameEscaping) -> str:
    """``name`` as sent to Prometheus clients."""
    if escaping is NameEscaping.ALLOW_UTF8:
        return name
    # A legal name that starts with the prefix is escaped too, or it would not round-trip.
    if _LEGACY_NAME.fullmatch(name) and not name.startswith(_ESCAPED_PREFIX):
        return name
    out = [_ESCAPED_PREFIX]
    for i, char in enumerate(name):
        if char == "_":
            out.append("__")
        elif _LEGACY_CHAR.fullmatch(char) and not (i == 0 and char.isdigit()):
            out.append(char)
        else:
            out.append(f"_{ord(char):x}_")
    return "".join(out)


def unescape(name: str, escaping: NameEscaping) -> str:
    """The stored name a client's ``name`` stands for (the inverse of ``escape``)."""
    if escaping is NameEscaping.ALLOW_UTF8 or not name.startswith(_ESCAPED_PREFIX):
        return name
    body, out, pos = name[len(_ESCAPED_PREFIX) :], [], 0
    while pos < len(body):
        match = _ESCAPE_TOKEN.match(body, pos)
        if match is None or match.group(0) == "_":
            raise EscapedNameError(f"invalid escaped name {name!r}: a lone '_' at {pos + 3}")
        piece = match.group(0)
        if piece == "__":
            out.append("_")
        elif match.group(1) is not None:
            code = int(match.group(1), 16)
            if code > 0x10FFFF:
                raise EscapedNameError(f"invalid escaped name {name!r}: {piece} is too large")
            out.append(chr(code))
        else:
            out.append(piece)
        pos = match.end()
    return "".join(out)


def is_valid_label_name(name: str, *, legacy: bool) -> bool:
    """Prometheus' rule for a label name: the legacy charset, or any non-empty UTF-8."""
    return bool(_LEGACY_NAME.fullmatch(name)) if legacy else name != ""


def labels_of(series: Series) -> dict[str, str]:
    """The label set of ``series`` (stored names; escape at the HTTP edge)."""
    labels = {NAME_LABEL: series.key}
    for tag, value in series.tags.items():
        if tag != NAME_LABEL and value != "":
            labels[tag] = value
    return labels


def series_of(labels: Mapping[str, str]) -> Series:
    """The series a label set names: ``__name__`` is the key, other non-empty labels are tags
    (Prometheus treats an empty label as an absent one)."""
    key = labels.get(NAME_LABEL)
    if not key:
        raise ValueError("a series needs a metric name (label __name__)")
    return Series(key, {k: v for k, v in labels.items() if k != NAME_LABEL and v != ""})
