"""Query planning over ranges: the default cadence and ``shift_range`` (reference 3 steps 2, 5).

Pure functions of their arguments (``now`` is always passed in); this module must not read
clocks or touch backends. Ranges as requests give them are ``heroic_core.ranges``.
"""

from __future__ import annotations

from heroic_core.errors import RequestError
from heroic_core.model import DateRange

_SECOND = 1_000
_MINUTE = 60 * _SECOND
_HOUR = 60 * _MINUTE
_DAY = 24 * _HOUR
#: Upstream ``INTERVAL_FACTORS``: candidate default cadences, ascending.
INTERVAL_FACTORS: tuple[int, ...] = (
    *(1, 5, 10, 50, 100, 250, 500),
    *(_SECOND * n for n in (1, 5, 10, 15, 30)),
    *(_MINUTE * n for n in (1, 5, 10, 15, 30)),
    *(_HOUR * n for n in (1, 3, 6, 12)),
    *(_DAY * n for n in (1, 2, 3, 7, 14)),
)
INTERVAL_GOAL = 240
SHIFT_TOLERANCE = 10 * _SECOND


def default_cadence(range: DateRange) -> int:
    """Upstream ``cadenceFromRange``: largest interval factor strictly below diff/240."""
    nominal = range.diff() // INTERVAL_GOAL
    below = [f for f in INTERVAL_FACTORS if f < nominal]
    return below[-1] if below else max(nominal, 1)


def shift_range(raw: DateRange, cadence: int, now: int) -> DateRange:
    """Upstream ``buildShiftedRange``: round to cadence and keep clear of incomplete buckets."""
    if raw.start > now:
        raise RequestError("start is greater than now")
    rounded = raw.rounded(cadence)
    now_delta = now - rounded.end
    if now_delta > SHIFT_TOLERANCE:
        return rounded
    diff = abs(min(now_delta, 0)) + SHIFT_TOLERANCE
    shift = diff if cadence <= 0 else ((diff + cadence - 1) // cadence) * cadence
    return DateRange(max(rounded.start - shift, 0), max(rounded.end - shift, 0))
