"""Generated series and points for ``load-generated`` (upstream's ``RandomMetadataGenerator``
and generators): series ``key-<i>`` with a host, role and what tag and an instance resource, and
points of a ``sine`` wave (upstream's defaults: magnitude 100, a one-day period, 100 steps a
period, jitter 50, offset up to 1000) or ``random-events`` (a value of 1 at random instants,
one a step on average: upstream's task still names it as a default, but upstream no longer
ships that generator).

Series are the same for the same index on every run (upstream picked role and what at random),
so an interrupted load resumes onto the same series. Pure: nothing here writes.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

import numpy as np

from heroic_core.model import DateRange, Points, Series

ROLES = ("database", "web", "ingestor")
WHATS = ("disk-used", "teleported-goats")
DAY = 86_400_000
MAGNITUDE = 100.0
PERIOD = DAY
STEP = PERIOD // 100
JITTER = 50.0
OFFSET = 1000.0

Generator = Callable[[Series, DateRange, random.Random], Points]


def generated_series(index: int) -> Series:
    """Series number ``index``: the same on every run."""
    pick = random.Random(index)  # noqa: S311 - test data, not secrets
    tags = {"host": f"{index}.example.com", "role": pick.choice(ROLES), "what": pick.choice(WHATS)}
    return Series(f"key-{index}", tags, {"instance": str(index % 10)})


def sine(series: Series, range_: DateRange, rng: random.Random) -> Points:
    """A sine wave per ``STEP`` over ``[start, end)`` rounded to seconds, drifted per series."""
    # A phase of its own per series (upstream: from the series hash), stable across runs.
    drift = int(series.id[:8], 16) / 0xFFFFFFFF
    start = range_.start - range_.start % 1000
    end = range_.end - range_.end % 1000
    times = np.arange(start, end, STEP, dtype=np.int64)
    fixed = rng.random() * OFFSET
    jitter = np.array([rng.random() * JITTER for _ in range(len(times))], dtype=np.float64)
    phase = (times % PERIOD) / PERIOD + drift
    values = fixed + jitter + np.sin(2 * math.pi * phase) * MAGNITUDE
    return Points(times, values.astype(np.float64))


def random_events(series: Series, range_: DateRange, rng: random.Random) -> Points:
    """Value 1.0 at random instants of ``(start, end]``, one per ``STEP`` on average."""
    count = max(range_.diff() // STEP, 0)
    if count == 0:
        return Points.empty()
    times = sorted({rng.randint(range_.start + 1, range_.end) for _ in range(count)})
    return Points(np.array(times, dtype=np.int64), np.ones(len(times), dtype=np.float64))


GENERATORS: dict[str, Generator] = {"sine": sine, "random-events": random_events}
