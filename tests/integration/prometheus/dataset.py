"""The data both sides of the differential PromQL tests hold, and its two renderings.

A seeded, deterministic set of ~35 series over four hours at Prometheus' usual 15 s scrape
interval: counters with resets (``http_requests_total``), gauges (``node_temperature``), an
info-style metric (``instance_info``) and classic histograms (``request_duration_seconds_*``,
cumulative and monotonic in ``le`` at every scrape). Some series have gaps longer than the
5-minute lookback (staleness), one a gap shorter than it, some start late or end early. The
events sit at fixed offsets (the ``*_AT`` constants) so that query windows can be placed across
them. Rendered as OpenMetrics text for ``promtool tsdb create-blocks-from openmetrics`` and as
``POST /write`` bodies for our node. Must not talk to anything.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SEED = 17
SCRAPE_MS = 15_000
MINUTE_MS = 60_000
DURATION_MS = 240 * MINUTE_MS
# Fixed events, as offsets from the start of the data.
RESET_AT_MS = 90 * MINUTE_MS  # a counter reset on instance i1 and histogram instance h1
GAP_MS = (100 * MINUTE_MS, 112 * MINUTE_MS)  # longer than the lookback: i2 and n2 go stale
SHORT_GAP_MS = (150 * MINUTE_MS, 153 * MINUTE_MS)  # shorter: n1 stays visible throughout
LATE_START_MS = 50 * MINUTE_MS
EARLY_END_MS = 190 * MINUTE_MS
BUCKETS = ("0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf")

Points = tuple[tuple[int, float], ...]


@dataclass(frozen=True)
class Series:
    """One series: metric name, labels other than ``__name__``, points as (ms, value)."""

    name: str
    labels: Mapping[str, str]
    points: Points

    def selector(self) -> str:
        """The series as a PromQL/OpenMetrics series reference (``name{a="b",...}``)."""
        inner = ",".join(f'{k}="{v}"' for k, v in sorted(self.labels.items()))
        return f"{self.name}{{{inner}}}"


@dataclass(frozen=True)
class Dataset:
    """The generated series; ``start_ms`` is the first scrape slot."""

    start_ms: int
    series: tuple[Series, ...] = field(repr=False)

    @property
    def end_ms(self) -> int:
        return self.start_ms + DURATION_MS

    @property
    def samples(self) -> int:
        return sum(len(s.points) for s in self.series)


@dataclass(frozen=True)
class _Shape:
    """When a series has samples: its first and last offset and the gaps in between."""

    first_ms: int = 0
    last_ms: int = DURATION_MS
    gaps: tuple[tuple[int, int], ...] = ()

    def slots(self, start_ms: int, phase_ms: int) -> list[int]:
        """The scrape times (ms) at which the series has a sample."""
        out = []
        for offset in range(self.first_ms, self.last_ms, SCRAPE_MS):
            if not any(lo <= offset < hi for lo, hi in self.gaps):
                out.append(start_ms + offset + phase_ms)
        return out


FULL = _Shape()
LATE = _Shape(first_ms=LATE_START_MS)
EARLY = _Shape(last_ms=EARLY_END_MS)
GAPPED = _Shape(gaps=(GAP_MS,))
SHORT_GAPPED = _Shape(gaps=(SHORT_GAP_MS,))


def window_start(now_ms: int, days_back: int = 3) -> int:
    """The data's start: ``days_back`` days before ``now_ms``, aligned down to a whole hour
    (far enough in the past for promtool's backfill and clear of Prometheus' own head block)."""
    hour = 60 * MINUTE_MS
    return (now_ms - days_back * 24 * hour) // hour * hour


def generate(start_ms: int, seed: int = SEED) -> Dataset:
    """The data set starting at ``start_ms``; the same seed gives the same values."""
    rng = np.random.default_rng(seed)
    series = [
        *_http_requests(rng, start_ms),
        *_temperatures(rng, start_ms),
        *_instance_info(start_ms),
        *_histograms(rng, start_ms),
    ]
    return Dataset(start_ms, tuple(series))


def _phase(rng: np.random.Generator) -> int:
    # Real targets are scraped at a fixed offset within the interval, never on the step grid.
    return int(rng.integers(0, SCRAPE_MS))


def _counter(
    rng: np.random.Generator, times: list[int], start_ms: int, resets: list[int], rate: float
) -> Points:
    value = float(rng.integers(0, 1000))
    points = []
    pending = sorted(start_ms + r for r in resets)
    for t in times:
        if pending and t >= pending[0]:
            pending.pop(0)
            value = float(rng.integers(0, 5))
        else:
            value += float(rng.poisson(rate))
        points.append((t, value))
    return tuple(points)


def _http_requests(rng: np.random.Generator, start_ms: int) -> Iterator[Series]:
    kinds = (("200", "/api", 40.0), ("200", "/health", 4.0), ("500", "/api", 1.5))
    shapes = {"i0": FULL, "i1": FULL, "i2": GAPPED}
    for instance, shape in shapes.items():
        for code, path, rate in kinds:
            this = shape
            if instance == "i0" and code == "500":
                this = LATE
            if instance == "i1" and path == "/health":
                this = EARLY
            resets = [RESET_AT_MS] if instance == "i1" else []
            resets.append(int(rng.integers(10, 230)) * MINUTE_MS)
            times = this.slots(start_ms, _phase(rng))
            labels = {"job": "api", "instance": instance, "code": code, "path": path}
            yield Series(
                "http_requests_total", labels, _counter(rng, times, start_ms, resets, rate)
            )


def _temperatures(rng: np.random.Generator, start_ms: int) -> Iterator[Series]:
    shapes = {"n0": EARLY, "n1": SHORT_GAPPED, "n2": GAPPED, "n3": LATE}
    for i, (instance, shape) in enumerate(shapes.items()):
        value = float(rng.uniform(35.0, 65.0))
        points = []
        for t in shape.slots(start_ms, _phase(rng)):
            value += float(rng.normal(0.0, 0.4))
            points.append((t, value))
        labels = {"job": "node", "instance": instance, "zone": "a" if i % 2 == 0 else "b"}
        yield Series("node_temperature", labels, tuple(points))


def _instance_info(start_ms: int) -> Iterator[Series]:
    for instance, region in (("i0", "eu"), ("i1", "eu"), ("i2", "us")):
        times = FULL.slots(start_ms, 0)
        labels = {"job": "api", "instance": instance, "region": region}
        yield Series("instance_info", labels, tuple((t, 1.0) for t in times))


def _histograms(rng: np.random.Generator, start_ms: int) -> Iterator[Series]:
    # Each scrape observes a batch of requests; the buckets are cumulative and so monotonic in
    # ``le``, and a reset clears every bucket, the count and the sum together.
    for instance in ("h0", "h1"):
        times = FULL.slots(start_ms, _phase(rng))
        reset_pending = instance == "h1"
        weights = rng.dirichlet(np.ones(len(BUCKETS)))
        counts = np.zeros(len(BUCKETS))
        total = 0.0
        rows: list[tuple[int, list[float], float]] = []
        for t in times:
            if reset_pending and t >= start_ms + RESET_AT_MS:
                counts[:], total, reset_pending = 0.0, 0.0, False
            observed = rng.multinomial(int(rng.poisson(30)), weights)
            counts += observed
            total += float(observed @ np.array([0.03, 0.07, 0.2, 0.4, 0.8, 2.0, 4.0]))
            rows.append((t, np.cumsum(counts).tolist(), total))
        labels = {"job": "api", "instance": instance}
        for i, le in enumerate(BUCKETS):
            points = tuple((t, cumulative[i]) for t, cumulative, _ in rows)
            yield Series("request_duration_seconds_bucket", {**labels, "le": le}, points)
        yield Series(
            "request_duration_seconds_count", labels, tuple((t, c[-1]) for t, c, _ in rows)
        )
        yield Series("request_duration_seconds_sum", labels, tuple((t, s) for t, _, s in rows))


def openmetrics(dataset: Dataset) -> str:
    """The data set as OpenMetrics text with timestamps (seconds), one family after another."""
    families: dict[str, list[Series]] = {}
    for series in dataset.series:
        families.setdefault(series.name, []).append(series)
    lines = []
    for name, members in families.items():
        # "unknown" keeps each name its own family: OpenMetrics' counter and histogram types
        # would demand the _total/_bucket suffix grouping, which changes nothing for PromQL.
        lines.append(f"# TYPE {name} unknown")
        for series in members:
            ref = series.selector()
            lines.extend(f"{ref} {value!r} {t / 1000:.3f}" for t, value in series.points)
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def write_bodies(dataset: Dataset) -> Iterator[dict[str, Any]]:
    """One ``POST /write`` body per series (key = metric name, tags = the other labels)."""
    for series in dataset.series:
        yield {
            "series": {"key": series.name, "tags": dict(series.labels)},
            "data": {"type": "points", "data": [[t, v] for t, v in series.points]},
        }
