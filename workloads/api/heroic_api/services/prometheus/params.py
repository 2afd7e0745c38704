"""Prometheus' HTTP API parameters: times (Unix seconds or RFC 3339), durations (seconds or
PromQL durations), steps and their limit, ``match[]`` selectors, ``limit``. Errors are
``bad_data`` with Prometheus' wording."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import promql_parser

from heroic_api.services.prometheus.errors import bad_data

#: Prometheus refuses range queries with more points per series than this.
MAX_POINTS_PER_SERIES = 11_000
#: Prometheus' minimum and maximum times (what ``start``/``end`` mean when absent).
MIN_TIME_MS = -9_223_309_901_257_974
MAX_TIME_MS = 9_223_309_901_257_974


def parse_time(text: str, name: str) -> int:
    """Milliseconds since the epoch."""
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        if not math.isfinite(seconds):
            raise bad_data(
                f'invalid parameter "{name}": cannot parse "{text}" to a valid timestamp'
            )
        return round(seconds * 1000)
    try:
        if text.lower() in ("nan", "inf", "+inf", "-inf"):
            raise ValueError(text)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise bad_data(
            f'invalid parameter "{name}": cannot parse "{text}" to a valid timestamp'
        ) from None
    if moment.tzinfo is None:
        raise bad_data(f'invalid parameter "{name}": "{text}" has no time zone')
    return round(moment.timestamp() * 1000)


def parse_duration(text: str, name: str) -> int:
    """Milliseconds, from seconds (``15``, ``0.5``) or a PromQL duration (``1m30s``)."""
    try:
        seconds = float(text)
    except ValueError:
        try:
            delta = promql_parser.parse_duration(text)
        except ValueError:
            raise bad_data(
                f'invalid parameter "{name}": cannot parse "{text}" to a valid duration'
            ) from None
        return round(delta / timedelta(milliseconds=1))
    if not math.isfinite(seconds):
        raise bad_data(f'invalid parameter "{name}": cannot parse "{text}" to a valid duration')
    return round(seconds * 1000)


def optional_time(text: str | None, name: str, default: int) -> int:
    return default if text in (None, "") else parse_time(text, name)


def range_steps(start: int, end: int, step: int) -> None:
    """Prometheus' checks of a range query's ``start``, ``end`` and ``step``."""
    if end < start:
        raise bad_data('invalid parameter "end": end timestamp must not be before start time')
    if step <= 0:
        raise bad_data(
            'invalid parameter "step": zero or negative query resolution step widths are not '
            "accepted. Try a positive integer"
        )
    if (end - start) / step > MAX_POINTS_PER_SERIES:
        raise bad_data(
            "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the "
            "query resolution (?step=XX)"
        )


def parse_limit(text: str | None) -> int | None:
    """``limit``: a non-negative integer; 0 or absent means no limit."""
    if text in (None, ""):
        return None
    try:
        limit = int(text)
    except ValueError:
        raise bad_data(f'invalid parameter "limit": cannot parse "{text}" to an integer') from None
    if limit < 0:
        raise bad_data('invalid parameter "limit": limit must be non-negative')
    return limit or None


def parse_matchers(selectors: Sequence[str]) -> list[Any]:
    """Each ``match[]`` as a parsed vector selector."""
    parsed = []
    for text in selectors:
        try:
            expr = promql_parser.parse(text)
        except ValueError as exc:
            raise bad_data(f'invalid parameter "match[]": {exc}') from None
        if not isinstance(expr, promql_parser.VectorSelector):
            raise bad_data(f'invalid parameter "match[]": {text!r} is not a series selector')
        parsed.append(expr)
    return parsed
