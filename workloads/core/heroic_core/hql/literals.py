"""HQL literal tokens to expression nodes: numbers, durations, strings, times and dates.

Follows upstream's listener: durations accept only ``ms s m H h d`` ("illegal unit: w"),
quoted strings understand ``\\b \\t \\n \\f \\r \\" \\' \\\\ \\uXXXX``, ``{HH:mm[:ss[.SSS]]}``
and ``{yyyy-MM-dd[ HH:mm[:ss[.SSS]]]}`` need exact field widths (Java ``DateTimeFormatter``).
Integers are Java longs; out-of-range numbers are reported instead of crashing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from heroic_core.hql.ast import (
    DateTimeExpr,
    DoubleExpr,
    DurationExpr,
    Expr,
    IntegerExpr,
    ReferenceExpr,
    Span,
    StringExpr,
    TimeExpr,
)
from heroic_core.hql.lexer import (
    DATETIME,
    DURATION,
    FLOAT,
    IDENTIFIER,
    INTEGER,
    QUOTED,
    REFERENCE,
    SIMPLE,
    TIME,
    Token,
)

LONG_MIN = -(2**63)
LONG_MAX = 2**63 - 1
_INT_MIN = -(2**31)
_INT_MAX = 2**31 - 1

_UNITS = {"s": "SECONDS", "m": "MINUTES", "H": "HOURS", "h": "HOURS", "d": "DAYS"}
_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r"}
_TIME = r"([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{3}))?)?"
_TIME_RE = re.compile(_TIME)
_DATETIME_RE = re.compile(r"([0-9]{4,})-([0-9]{2})-([0-9]{2})(?: " + _TIME + ")?")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _span(token: Token) -> Span:
    return Span(token.line, token.col, token.end_line, token.end_col)


def _integer(span: Span, text: str) -> Expr:
    value = int(text)
    if not LONG_MIN <= value <= LONG_MAX:
        raise span.error(f"integer out of range: {text}")
    return IntegerExpr(span, value)


def _duration(span: Span, text: str) -> DurationExpr:
    if text.endswith("ms"):
        unit, digits = "MILLISECONDS", text[:-2]
    elif text[-1] in _UNITS:
        unit, digits = _UNITS[text[-1]], text[:-1]
    else:
        raise span.error(f"illegal unit: {text[-1]}")
    if digits.startswith("--"):
        raise span.error(f"invalid duration: {text}")
    value = int(digits)
    if not _INT_MIN <= value <= _INT_MAX:
        raise span.error(f"duration out of range: {text}")
    return DurationExpr(span, unit, value)


_CONVERTERS: dict[str, Callable[[Span, str], Expr]] = {
    SIMPLE: StringExpr,
    IDENTIFIER: StringExpr,
    QUOTED: lambda span, text: StringExpr(span, unquote(text)),
    REFERENCE: lambda span, text: ReferenceExpr(span, text[1:]),
    INTEGER: _integer,
    FLOAT: lambda span, text: DoubleExpr(span, float(text)),
    DURATION: _duration,
}


def from_token(token: Token) -> Expr | None:
    """The literal expression for ``token``, or None if it does not start a literal."""
    converter = _CONVERTERS.get(token.kind)
    return None if converter is None else converter(_span(token), token.text)


def unquote(text: str) -> str:
    """Decode a QuotedString token (including its quotes)."""
    out: list[str] = []
    i, body = 0, text[1:-1]
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        escaped = body[i + 1]
        if escaped == "u":
            out.append(chr(int(body[i + 2 : i + 6], 16)))
            i += 6
        else:
            out.append(_ESCAPES.get(escaped, escaped))
            i += 2
    # \\uXXXX escapes are UTF-16 code units: merge surrogate pairs into characters.
    return "".join(out).encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def from_braced(token: Token, span: Span) -> Expr | None:
    """``{12:00}`` / ``{2020-01-01 12:00}`` literals; None for any other token in braces."""
    if token.kind == TIME:
        m = _TIME_RE.fullmatch(token.text)
        parts = _time_parts(m.groups()) if m else None
        if parts is None:
            raise span.error(f"Invalid instant: {token.text}")
        return TimeExpr(span, *parts)
    if token.kind == DATETIME:
        millis = _datetime_millis(token.text)
        if millis is None:
            raise span.error(f"Invalid dateTime: {token.text}")
        return DateTimeExpr(span, millis)
    return None


def _time_parts(groups: tuple[str | None, ...]) -> tuple[int, int, int, int] | None:
    h, m, s, ms = (int(g) if g is not None else 0 for g in groups)
    if h > 23 or m > 59 or s > 59:
        return None
    return h, m, s, ms


def _datetime_millis(text: str) -> int | None:
    m = _DATETIME_RE.fullmatch(text)
    if m is None:
        return None
    year, month, day = (int(g) for g in m.groups()[:3])
    time = _time_parts(m.groups()[3:]) if m.group(4) is not None else (0, 0, 0, 0)
    if time is None:
        return None
    try:
        moment = dt.datetime(year, month, day, *time[:3], time[3] * 1000, tzinfo=dt.UTC)
    except ValueError:
        return None
    return (moment - _EPOCH) // dt.timedelta(milliseconds=1)
