"""The Heroic data model: series (with upstream's exact hash), points and date ranges.

Pure values only: nothing here talks to a backend or knows about HTTP.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import mmh3
import numpy as np
import numpy.typing as npt


def _sorted_map(values: Mapping[str, str] | None, what: str) -> dict[str, str]:
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise TypeError(f"{what} must be an object of strings")
    for k, v in values.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise TypeError(f"{what} must map strings to strings, got {k!r}: {v!r}")
    return dict(sorted(values.items()))


class Series:
    """A time series: key, indexed tags and unindexed resource identifiers.

    Immutable and hashable. ``id`` (32 hex chars, also the Elasticsearch document id) is
    upstream's ``Series.hash()``: Murmur3 x64 128 over the UTF-8 of key, sorted tags and sorted
    resource, concatenated without separators; a plain attribute, read per point and series by
    the consumer's writes (``operator.attrgetter("id")`` reads it without a Python call).
    """

    __slots__ = ("_order", "id", "key", "resource", "tags")

    key: str
    tags: dict[str, str]
    resource: dict[str, str]
    id: str
    _order: tuple[str, tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]

    def __init__(
        self,
        key: str,
        tags: Mapping[str, str] | None = None,
        resource: Mapping[str, str] | None = None,
    ) -> None:
        if not isinstance(key, str):
            raise TypeError("series key must be a string")
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "tags", _sorted_map(tags, "tags"))
        object.__setattr__(self, "resource", _sorted_map(resource, "resource"))
        object.__setattr__(self, "id", self._digest(include_resource=True))

    @classmethod
    def of_strings(
        cls, key: str, tags: dict[str, str] | None, resource: dict[str, str] | None
    ) -> Series:
        """A series from maps the caller has typed as str -> str already (a typed decoder):
        sorted and hashed, not checked again."""
        series = object.__new__(cls)
        setattr_ = object.__setattr__
        setattr_(series, "key", key)
        setattr_(series, "tags", dict(sorted(tags.items())) if tags else {})
        setattr_(series, "resource", dict(sorted(resource.items())) if resource else {})
        setattr_(series, "id", series._digest(include_resource=True))
        return series

    @classmethod
    def of_sorted(cls, key: str, tags: dict[str, str], resource: dict[str, str], id: str) -> Series:
        """A series whose maps are sorted and whose ``id`` is computed already (the compiled
        decoder does both): taken as they are, not checked."""
        series = object.__new__(cls)
        setattr_ = object.__setattr__
        setattr_(series, "key", key)
        setattr_(series, "tags", tags)
        setattr_(series, "resource", resource)
        setattr_(series, "id", id)
        return series

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Series is immutable")

    def _digest(self, *, include_resource: bool) -> str:
        parts = [self.key]
        for k, v in self.tags.items():
            parts += (k, v)
        if include_resource:
            for k, v in self.resource.items():
                parts += (k, v)
        data = "".join(parts).encode("utf-8")
        return mmh3.hash_bytes(data).hex()

    def tag_hash(self) -> str:
        """The hash without resource, upstream's write-cache key."""
        return self._digest(include_resource=False)

    def sort_key(self) -> tuple[str, tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
        """What series sort by (key, tags, resource); ``sorted(..., key=Series.sort_key)``
        compares these in C instead of calling ``__lt__``."""
        # Built once: sorting a query's series compares each many times.
        try:
            return self._order
        except AttributeError:
            order = (self.key, tuple(self.tags.items()), tuple(self.resource.items()))
            object.__setattr__(self, "_order", order)
            return order

    def __eq__(self, other: object) -> bool:
        if self is other:  # the usual case in dict lookups: the same cached object
            return True
        if not isinstance(other, Series):
            return NotImplemented
        return self.id == other.id and self.sort_key() == other.sort_key()

    def __hash__(self) -> int:
        return hash(self.id)

    def __lt__(self, other: Series) -> bool:
        return self.sort_key() < other.sort_key()

    def __repr__(self) -> str:
        return f"Series(key={self.key!r}, tags={self.tags!r}, resource={self.resource!r})"

    def to_json(self) -> dict[str, Any]:
        """The JSON form; ``resource`` is always emitted."""
        return {"key": self.key, "tags": dict(self.tags), "resource": dict(self.resource)}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Series:
        """Decode the JSON form; a missing or null ``resource`` or ``tags`` is empty."""
        if not isinstance(obj, Mapping):
            raise TypeError("series must be an object")
        key = obj.get("key")
        if not isinstance(key, str):
            raise TypeError("series key must be a string")
        return cls(key, obj.get("tags"), obj.get("resource"))


class MetricType(StrEnum):
    """Metric types with their JSON / HQL identifiers."""

    POINTS = "points"
    SPREADS = "spreads"
    GROUPS = "groups"
    CARDINALITY = "cardinality"
    DISTRIBUTION_POINTS = "distributionPoints"
    TDIGEST_POINTS = "tdigestPoints"


@dataclass(frozen=True, slots=True)
class Point:
    """One sample: milliseconds since the epoch and a double."""

    timestamp: int
    value: float


@dataclass(frozen=True, slots=True)
class Points:
    """Points of one series as two parallel numpy arrays, sorted by timestamp.

    ``sorted_by_time`` is the maker's promise that they are (a backend that stores them
    sorted); without it, readers that depend on the order check it first."""

    timestamps: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]
    sorted_by_time: bool = field(default=False, compare=False)

    @classmethod
    def empty(cls) -> Points:
        return cls(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64))

    @classmethod
    def of(cls, points: list[Point] | list[tuple[int, float]]) -> Points:
        """Build from points or (timestamp, value) pairs; sorts by timestamp, last write wins."""
        pairs = [(p.timestamp, p.value) if isinstance(p, Point) else p for p in points]
        merged = dict(pairs)
        ts = np.fromiter(sorted(merged), dtype=np.int64, count=len(merged))
        vs = np.fromiter((merged[int(t)] for t in ts), dtype=np.float64, count=len(merged))
        return cls(ts, vs)

    def __len__(self) -> int:
        return int(self.timestamps.shape[0])

    def __iter__(self) -> Iterator[Point]:
        for t, v in zip(self.timestamps.tolist(), self.values.tolist(), strict=True):
            yield Point(int(t), float(v))


@dataclass(frozen=True, slots=True)
class SeriesBatch:
    """The points of many series in three columns: grouped by series, sorted by timestamp
    within each series, one value per (series, timestamp).

    Series ``i`` owns ``timestamps[bounds[i]:bounds[i + 1]]`` (and the same slice of
    ``values``). Writers build one with ``group`` from points in arrival order; metric backends
    that store many series at once take it whole (``BatchMetricWriter``)."""

    series: tuple[Series, ...]
    bounds: npt.NDArray[np.int64]
    timestamps: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]

    @classmethod
    def group(
        cls,
        table: Sequence[Series],
        codes: npt.ArrayLike,
        timestamps: npt.ArrayLike,
        values: npt.ArrayLike,
    ) -> SeriesBatch:
        """Points in arrival order: ``codes[j]`` indexes ``table`` for point ``j``. Of points
        with the same series and timestamp the last one wins, as a later write would."""
        c = np.asarray(codes, dtype=np.int64)
        return cls.group_points(
            lambda firsts: [table[code] for code in c[firsts].tolist()], c, timestamps, values
        )

    @classmethod
    def group_points(
        cls,
        series_of: Callable[[npt.NDArray[np.intp]], Iterable[Series]],
        codes: npt.ArrayLike,
        timestamps: npt.ArrayLike,
        values: npt.ArrayLike,
    ) -> SeriesBatch:
        """Points in arrival order; ``series_of(firsts)`` gives the series of the points at
        positions ``firsts`` (one array for all, so that the caller can map them in C), the
        first point of each series in ascending order of its code; ``codes[j]`` is any integer
        that is equal for two points exactly when their series are."""
        c = np.asarray(codes, dtype=np.int64)
        t = np.asarray(timestamps, dtype=np.int64)
        v = np.asarray(values, dtype=np.float64)
        if not c.shape == t.shape == v.shape:
            raise ValueError("codes, timestamps and values must have the same length")
        order = np.lexsort((t, c))  # stable: equal (series, time) stay in arrival order
        c, t, v = c[order], t[order], v[order]
        if len(c) > 1:
            keep = np.ones(len(c), dtype=bool)
            keep[:-1] = (c[1:] != c[:-1]) | (t[1:] != t[:-1])
            if not keep.all():
                c, t, v, order = c[keep], t[keep], v[keep], order[keep]
        starts = np.flatnonzero(np.concatenate(([True], c[1:] != c[:-1]))) if len(c) else c
        bounds = np.append(starts, len(c)).astype(np.int64)
        return cls(tuple(series_of(order[starts])), bounds, t, v)

    @classmethod
    def of_items(cls, items: Sequence[tuple[Series, Points]]) -> SeriesBatch:
        """The batch of ``items`` as they are: each series once, its points sorted (not
        checked; ``group`` is for points in arrival order)."""
        lengths = [len(points) for _, points in items]
        bounds = np.concatenate(([0], np.cumsum(lengths, dtype=np.int64))).astype(np.int64)
        if not items:
            return cls((), bounds, np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64))
        timestamps = np.concatenate([points.timestamps for _, points in items]).astype(np.int64)
        values = np.concatenate([points.values for _, points in items]).astype(np.float64)
        return cls(tuple(s for s, _ in items), bounds, timestamps, values)

    def select(self, keep: Sequence[bool]) -> SeriesBatch:
        """The series whose ``keep`` entry is true, with their points."""
        mask = np.asarray(keep, dtype=bool)
        counts = np.diff(self.bounds)
        points = np.repeat(mask, counts)
        kept = counts[mask]
        bounds = np.concatenate(([0], np.cumsum(kept))).astype(np.int64)
        series = tuple(s for s, k in zip(self.series, mask.tolist(), strict=True) if k)
        return SeriesBatch(series, bounds, self.timestamps[points], self.values[points])

    def __len__(self) -> int:
        """The number of points."""
        return int(self.timestamps.shape[0])

    def points(self, index: int) -> Points:
        """The points of ``series[index]`` (views of the columns)."""
        lo, hi = int(self.bounds[index]), int(self.bounds[index + 1])
        return Points(self.timestamps[lo:hi], self.values[lo:hi])

    def items(self) -> list[tuple[Series, Points]]:
        """``(series, points)`` per series, for backends that write one series at a time."""
        return [(s, self.points(i)) for i, s in enumerate(self.series)]

    def spans(self) -> tuple[list[int], list[int]]:
        """The first and the last timestamp of each series, in ``series`` order."""
        if not self.series:
            return [], []
        first = self.timestamps[self.bounds[:-1]].tolist()
        last = self.timestamps[self.bounds[1:] - 1].tolist()
        return first, last


@dataclass(frozen=True, slots=True)
class Distributions:
    """Distribution points of one series: timestamps and opaque payloads (serialized t-digest
    sketches, reference 1.2), sorted by timestamp."""

    timestamps: npt.NDArray[np.int64]
    payloads: tuple[bytes, ...]

    @classmethod
    def empty(cls) -> Distributions:
        return cls(np.empty(0, dtype=np.int64), ())

    @classmethod
    def of(cls, pairs: Iterable[tuple[int, bytes]]) -> Distributions:
        """Build from (timestamp, payload) pairs; sorts by timestamp, last write wins."""
        merged = dict(pairs)
        order = sorted(merged)
        return cls(np.asarray(order, dtype=np.int64), tuple(merged[t] for t in order))

    def __len__(self) -> int:
        return int(self.timestamps.shape[0])

    def __iter__(self) -> Iterator[tuple[int, bytes]]:
        return zip(self.timestamps.tolist(), self.payloads, strict=True)

    def window(self, range: DateRange) -> Distributions:
        """The points with ``range.start < t <= range.end``."""
        lo = int(np.searchsorted(self.timestamps, range.start, side="right"))
        hi = int(np.searchsorted(self.timestamps, range.end, side="right"))
        return Distributions(self.timestamps[lo:hi].copy(), self.payloads[lo:hi])


@dataclass(frozen=True, slots=True)
class DateRange:
    """A range of milliseconds; fetches read the window ``(start, end]``."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValueError(f"range start {self.start} is after end {self.end}")

    def diff(self) -> int:
        return self.end - self.start

    def rounded(self, cadence: int) -> DateRange:
        """Both ends rounded down to a multiple of ``cadence`` (unchanged if cadence <= 0)."""
        if cadence <= 0:
            return self
        return DateRange(self.start - self.start % cadence, self.end - self.end % cadence)

    def contains_window(self, timestamp: int) -> bool:
        """True if ``timestamp`` falls in ``(start, end]``."""
        return self.start < timestamp <= self.end

    def to_json(self) -> dict[str, int]:
        return {"start": self.start, "end": self.end}
