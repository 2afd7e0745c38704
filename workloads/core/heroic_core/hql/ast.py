"""HQL syntax tree: expression nodes (also used as evaluated values) and statements.

Mirrors upstream's ``Expression`` classes; every node carries the ``Span`` of source text it
came from so that errors can point at it. Pure data: evaluation lives in ``evaluate.py``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from heroic_core.errors import QueryParseError
from heroic_core.filters import Filter
from heroic_core.model import MetricType

# TimeUnit name -> milliseconds, finest first.
UNIT_MILLIS = {
    "MILLISECONDS": 1,
    "SECONDS": 1000,
    "MINUTES": 60_000,
    "HOURS": 3_600_000,
    "DAYS": 86_400_000,
}
UNIT_SUFFIX = {"MILLISECONDS": "ms", "SECONDS": "s", "MINUTES": "m", "HOURS": "h", "DAYS": "d"}


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_DAY_MS = 86_400_000
_GREGORIAN_CYCLE_DAYS = 146_097  # 400 years


def iso_instant(millis: int) -> str:
    """ISO-8601 UTC text of an epoch-ms instant, also outside ``datetime``'s years 1-9999.

    Out-of-range instants are shifted by whole 400-year Gregorian cycles (which repeat the
    calendar exactly) into range, formatted, and given back their year.
    """
    try:
        moment = _EPOCH + dt.timedelta(milliseconds=millis)
    except OverflowError:
        days, ms_of_day = divmod(millis, _DAY_MS)
        cycles, days = divmod(days, _GREGORIAN_CYCLE_DAYS)
        moment = _EPOCH + dt.timedelta(days=days, milliseconds=ms_of_day)
        text = moment.isoformat().replace("+00:00", "Z")
        return str(moment.year + 400 * cycles) + text[text.index("-") :]
    return moment.isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Span:
    """Source location: 1-based lines, 0-based columns, end column inclusive."""

    line: int
    col: int
    end_line: int
    end_col: int

    def join(self, other: Span) -> Span:
        start = min((self.line, self.col), (other.line, other.col))
        end = max((self.end_line, self.end_col), (other.end_line, other.end_col))
        return Span(start[0], start[1], end[0], end[1])

    def error(self, detail: str) -> QueryParseError:
        return QueryParseError(detail, self.line, self.col, self.end_line, self.end_col)


@dataclass(frozen=True, slots=True)
class Expr:
    """Base of all expression nodes."""

    span: Span

    type_name = "expression"

    def repr(self) -> str:
        return self.type_name


@dataclass(frozen=True, slots=True)
class IntegerExpr(Expr):
    value: int
    type_name = "integer"

    def repr(self) -> str:
        return str(self.value)


@dataclass(frozen=True, slots=True)
class DoubleExpr(Expr):
    value: float
    type_name = "double"

    def repr(self) -> str:
        return repr(self.value)


@dataclass(frozen=True, slots=True)
class StringExpr(Expr):
    value: str
    type_name = "string"

    def repr(self) -> str:
        return '"' + self.value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True, slots=True)
class DurationExpr(Expr):
    unit: str
    value: int
    type_name = "duration"

    def repr(self) -> str:
        return f"<{self.value}{UNIT_SUFFIX[self.unit]}>"

    def millis(self) -> int:
        return self.value * UNIT_MILLIS[self.unit]


@dataclass(frozen=True, slots=True)
class InstantExpr(Expr):
    millis: int
    type_name = "instant"

    def repr(self) -> str:
        return "{" + iso_instant(self.millis) + "}"


@dataclass(frozen=True, slots=True)
class TimeExpr(Expr):
    """``{HH:mm[:ss[.SSS]]}``: a time of day, resolved against ``$now``'s UTC date."""

    hours: int
    minutes: int
    seconds: int
    millis: int
    type_name = "time"

    def repr(self) -> str:
        return f"{{{self.hours:02d}:{self.minutes:02d}:{self.seconds:02d}.{self.millis:03d}}}"


@dataclass(frozen=True, slots=True)
class DateTimeExpr(Expr):
    """``{yyyy-MM-dd[ HH:mm[:ss[.SSS]]]}`` in UTC, as epoch milliseconds."""

    millis: int
    type_name = "date-time"


@dataclass(frozen=True, slots=True)
class ListExpr(Expr):
    items: tuple[Expr, ...]
    type_name = "list"

    def repr(self) -> str:
        return "[" + ", ".join(i.repr() for i in self.items) + "]"


@dataclass(frozen=True, slots=True)
class FunctionExpr(Expr):
    name: str
    args: tuple[Expr, ...]
    keywords: tuple[tuple[str, Expr], ...]
    type_name = "function"

    def repr(self) -> str:
        parts = [a.repr() for a in self.args] + [f"{k}={v.repr()}" for k, v in self.keywords]
        return f"{self.name}({', '.join(parts)})"


@dataclass(frozen=True, slots=True)
class EmptyExpr(Expr):
    """The ``*`` of ``by *``: no grouping."""

    type_name = "empty"


@dataclass(frozen=True, slots=True)
class ReferenceExpr(Expr):
    name: str
    type_name = "reference"

    def repr(self) -> str:
        return "$" + self.name


@dataclass(frozen=True, slots=True)
class NegateExpr(Expr):
    expr: Expr
    type_name = "negate"

    def repr(self) -> str:
        return "-" + self.expr.repr()


@dataclass(frozen=True, slots=True)
class BinaryExpr(Expr):
    """``left <op> right`` for op in ``+ - * /``."""

    op: str
    left: Expr
    right: Expr
    type_name = "binary"

    def repr(self) -> str:
        return f"{self.left.repr()} {self.op} {self.right.repr()}"


@dataclass(frozen=True, slots=True)
class RangeExpr(Expr):
    start: Expr
    end: Expr
    type_name = "range"


@dataclass(frozen=True, slots=True)
class QueryStatement:
    """``select [from] [where] [with] [as]``; ``select`` None means ``*``."""

    span: Span
    select: Expr | None
    source: MetricType | None
    range: RangeExpr | None
    filter: Filter | None
    with_options: tuple[tuple[str, Expr], ...]
    as_options: tuple[tuple[str, Expr], ...]


@dataclass(frozen=True, slots=True)
class LetStatement:
    """``let $name = <query>``: parsed, never executable."""

    span: Span
    name: str
    query: QueryStatement


Statement = QueryStatement | LetStatement
