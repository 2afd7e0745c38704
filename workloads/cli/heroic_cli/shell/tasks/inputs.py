"""What the data tasks read from their arguments and how they print values, as upstream's
shell does (``Tasks.parseInstant``, series as JSON, ``<time>=<value>`` points, Java's
``toString`` of series and points, ``Tasks.formatTimeNanos``).

Pure functions: bad input is a ``UsageError`` naming the option and the accepted forms.
Times are UTC (upstream used the JVM's default zone, UTC in its containers).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, time
from typing import Any

from heroic_cli.shell.context import ShellContext
from heroic_cli.shell.errors import UsageError
from heroic_core.model import Series

_FULL = ("%Y-%m-%d/%H:%M", "%Y-%m-%d/%H:%M:%S", "%Y-%m-%d/%H:%M:%S.%f")
_TODAY = ("%H:%M", "%H:%M:%S", "%H:%M:%S.%f")
_INSTANTS = "ms, +ms, -ms, HH:mm[:ss[.SSS]] (today) or yyyy-MM-dd/HH:mm[:ss[.SSS]], UTC"


def parse_instant(text: str, now: int, option: str) -> int:
    """Milliseconds from upstream's instant forms: ``+n``/``-n`` ms from ``now``, a number of
    ms, ``yyyy-MM-dd/HH:mm[:ss[.SSS]]``, or a time of today ``HH:mm[:ss[.SSS]]``."""
    text = text.strip()
    if text[:1] in ("+", "-") and text[1:].isdigit():
        return now + int(text[1:]) if text[0] == "+" else now - int(text[1:])
    if text.isdigit():
        return int(text)
    formats = _FULL if "/" in text else _TODAY
    for fmt in formats:
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        if "/" not in text:
            today = datetime.fromtimestamp(now / 1000, UTC).date()
            parsed = datetime.combine(today, time(0), UTC).replace(
                hour=parsed.hour,
                minute=parsed.minute,
                second=parsed.second,
                microsecond=parsed.microsecond,
            )
        return int(parsed.replace(tzinfo=UTC).timestamp() * 1000)
    raise UsageError(f"{option}: {text!r} is not a valid instant ({_INSTANTS})")


def parse_json(text: str, option: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{option}: not valid JSON ({exc.msg} at column {exc.colno})") from None


def parse_series(text: str | None, option: str = "-s/--series") -> Series:
    """A series from its JSON (``{"key": ..., "tags": {...}, "resource": {...}}``); none given
    is upstream's empty series (key ``""``)."""
    if text is None:
        return Series("")
    obj = parse_json(text, option)
    try:
        return Series.from_json(obj)
    except TypeError as exc:
        raise UsageError(f"{option}: {exc}") from None


def parse_points(texts: Sequence[str], now: int) -> list[tuple[int, float]]:
    """Upstream's ``-p <time>=<value>`` (or just ``<value>``, at ``now``)."""
    points: list[tuple[int, float]] = []
    for text in texts:
        when, sep, value = text.rpartition("=")
        timestamp = parse_instant(when, now, "-p/--point") if sep else now
        try:
            points.append((timestamp, float(value)))
        except ValueError:
            raise UsageError(
                f"-p/--point: {text!r}: the value is not a number (use <time>=<value>)"
            ) from None
    return points


def _java_map(values: Mapping[str, str]) -> str:
    return "{" + ", ".join(f"{k}={v}" for k, v in values.items()) + "}"


def series_text(series: Series) -> str:
    """Upstream's ``Series.toString()``."""
    return (
        f"Series(key={series.key}, tags={_java_map(series.tags)}, "
        f"resource={_java_map(series.resource)})"
    )


def point_text(timestamp: int, value: float) -> str:
    """Upstream's ``Point.toString()``."""
    return f"Point(timestamp={timestamp}, value={value!r})"


def format_nanos(diff: int) -> str:
    """Upstream's ``Tasks.formatTimeNanos``: ns, us, ms or s with three decimals."""
    if diff < 1_000:
        return f"{diff} ns"
    if diff < 1_000_000:
        return f"{diff / 1_000:.3f} us"
    if diff < 1_000_000_000:
        return f"{diff / 1_000_000:.3f} ms"
    return f"{diff / 1_000_000_000:.3f} s"


def utc(timestamp: int, fmt: str) -> str:
    """``timestamp`` (ms) in UTC with ``fmt``; ``%f`` is cut to milliseconds."""
    text = datetime.fromtimestamp(timestamp / 1000, UTC).strftime(fmt)
    return text[:-3] if fmt.endswith("%f") else text


@contextmanager
def counting(
    ctx: ShellContext, what: str, total: int, at_least: int = 20
) -> Iterator[Callable[[], None]]:
    """A progress bar over ``total`` items (none for fewer than ``at_least``): yields the
    function that counts one item done."""
    if total < at_least:
        yield lambda: None
        return
    with ctx.io.progress(what, total) as bar:
        task = bar.task_ids[0]
        yield lambda: bar.advance(task)
