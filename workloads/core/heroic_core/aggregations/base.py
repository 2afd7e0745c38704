"""The ``Aggregation`` base class, its resolution context and its result types.

An aggregation tree is parsed unresolved (sizes as the request gave them), resolved once with
a default size (reference 3 step 2, upstream's ``AggregationContext``) and then evaluated over
the fetched series. Evaluation is functional: a step takes a list of ``Chunk`` updates and
returns its output chunks, counting statistics on an ``Env``. A step may instead make the
result groups straight from the fetched rows (``_apply_direct``: a ``group`` of a statistic,
the usual grouped query) when that gives the same answer. This module defines the contract;
it must not implement individual aggregations.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np

from heroic_core.aggregations.buckets import check_strategy
from heroic_core.aggregations.data import Chunk, Collection, DistributionsData, Key, PointsData
from heroic_core.aggregations.durations import Duration
from heroic_core.model import DateRange, Distributions, MetricType, Points, Series

#: Candidate default sizes in ms (reference 3 step 2), ascending.
_CADENCES = tuple(
    v * unit
    for v, unit in (
        *((ms, 1) for ms in (1, 5, 10, 50, 100, 250, 500)),
        *((s, 1000) for s in (1, 5, 10, 15, 30)),
        *((m, 60_000) for m in (1, 5, 10, 15, 30)),
        *((h, 3_600_000) for h in (1, 3, 6, 12)),
        *((d, 86_400_000) for d in (1, 2, 3, 7, 14)),
    )
)


def cadence_from_range(range_: DateRange) -> int:
    """Default bucket size for a raw query range: the largest candidate below ``diff/240``."""
    nominal = (range_.end - range_.start) // 240
    below = [c for c in _CADENCES if c < nominal]
    return below[-1] if below else max(nominal, 1)


@dataclass(frozen=True, slots=True)
class Context:
    """Upstream's ``AggregationContext``: defaults a sampling aggregation falls back to."""

    default_size: int | None  # ms; None while only inspecting an unresolved tree
    size: Duration | None = None
    extent: Duration | None = None
    required_tags: tuple[str, ...] = ()

    def with_options(self, size: Duration | None, extent: Duration | None) -> Context:
        return replace(self, size=size or self.size, extent=extent or self.extent)

    def with_required_tags(self, tags: tuple[str, ...]) -> Context:
        return replace(self, required_tags=tags)


@dataclass(slots=True)
class Env:
    """Mutable state of one evaluation: the range, the strategy and the counters."""

    range: DateRange
    strategy: str
    retained: int = 0  # upstream's retained-data quota count (buckets + collected points)
    sample_size: int | None = None  # valid samples fed to bucket aggregations

    def add_samples(self, n: int) -> None:
        self.sample_size = (self.sample_size or 0) + n


@dataclass(eq=False)
class ResultGroup:
    """One output group: group key, the series that went into it, and its samples."""

    key: Key
    series: list[Series]
    metric_type: MetricType
    collection: Collection = field(repr=False)
    _data: list[Any] | None = field(default=None, init=False, repr=False)

    @property
    def data(self) -> list[Any]:
        """JSON-ready samples as the response body's ``values`` (non-finite → ``None``), made
        once (not a ``cached_property``: it takes a lock on every read)."""
        if self._data is None:
            self._data = self.collection.to_json()
        return self._data

    @property
    def timestamps(self) -> np.ndarray[Any, np.dtype[np.int64]]:
        return self.collection.ts

    @property
    def values(self) -> np.ndarray[Any, np.dtype[np.float64]] | None:
        """Point values, or ``None`` for other metric types."""
        return self.collection.vs if isinstance(self.collection, PointsData) else None


@dataclass
class AggregationResult:
    """Result of ``Aggregation.apply``.

    ``sample_size`` is upstream's pre-aggregation sample size (``None`` when no bucket
    aggregation ran, in which case the caller counts output points); ``retained`` is what
    upstream's aggregation quota would have counted (buckets created + raw points collected).
    """

    groups: list[ResultGroup]
    sample_size: int | None
    retained: int


def input_key(series: Series) -> Key:
    """The group key a fetched series starts with: tags plus resource (resource wins)."""
    if not series.resource:
        return dict(series.tags)
    return {**series.tags, **series.resource}


def _input_chunk(series: Series, points: Points | Distributions) -> Chunk:
    if isinstance(points, Distributions):
        return Chunk(
            input_key(series), (series,), DistributionsData(points.timestamps, points.payloads)
        )
    return Chunk(input_key(series), (series,), input_points(points))


def input_points(points: Points) -> PointsData:
    """A fetched row's points as the aggregations read them."""
    ts, vs = points.timestamps, points.values
    # Backends hand over arrays of these types already; asked first, as np.asarray with a
    # dtype takes longer even when it has nothing to do.
    if type(ts) is not np.ndarray or ts.dtype != _INT64:
        ts = np.asarray(ts, dtype=np.int64)
    if type(vs) is not np.ndarray or vs.dtype != _FLOAT64:
        vs = np.asarray(vs, dtype=np.float64)
    return PointsData(ts, vs, points.sorted_by_time)


_INT64, _FLOAT64 = np.dtype(np.int64), np.dtype(np.float64)


class Aggregation(ABC):
    """An aggregation as parsed from a request; resolve it, then ``apply`` it."""

    type_name: ClassVar[str]
    #: Whether evaluating reads the chunks' keys (a ``group`` re-keys its chunks for such a
    #: step; a statistic that only reduces samples is handed them as they are).
    reads_keys: ClassVar[bool] = True
    #: Whether ``_reduce_groups`` may answer (a statistic that reduces groups of points).
    reduces_groups: ClassVar[bool] = False

    @abstractmethod
    def to_json(self) -> dict[str, Any]:
        """The JSON form (``{"type": ..., ...}``), durations as ``{"duration", "unit"}``."""

    @abstractmethod
    def _resolve(self, ctx: Context) -> Aggregation:
        """A copy with sizes, extents and required group tags filled in from ``ctx``."""

    @abstractmethod
    def _evaluate(self, chunks: list[Chunk], env: Env) -> list[Chunk]:
        """Feed the chunks through this step and return its outputs."""

    def _evaluate_parts(self, parts: list[list[Chunk]], env: Env) -> list[list[Chunk]]:
        """``_evaluate`` of each part (the chunks of one group); a step may do all at once."""
        return [self._evaluate(part, env) for part in parts]

    def _reduce_groups(self, groups: list[list[Collection]], env: Env) -> list[Collection] | None:
        """Each group's one output from its points, all groups at once, the same as
        ``_evaluate_parts`` of chunks holding them would give; ``None`` (``env`` untouched)
        when that cannot be promised."""
        return None

    def _apply_direct(
        self, inputs: Sequence[tuple[Series, Points | Distributions]], env: Env
    ) -> list[ResultGroup] | None:
        """``apply``'s groups made straight from the fetched rows, without a chunk per row and
        per step, the same as evaluating chunks would give; ``None`` (``env`` untouched)
        when this step does not know how."""
        return None

    def _cadence(self) -> int:
        return -1

    def _estimate(self, range_: DateRange) -> int:
        return -1

    def _required_tags(self) -> tuple[str, ...]:
        return ()

    def _creation_retention(self, range_: DateRange, strategy: str) -> int:
        """Buckets upstream allocates when the top-level session is created."""
        return 0

    def _check(self, range_: DateRange, strategy: str) -> None:  # noqa: B027 - optional hook
        """Fail if any bucket layout in the tree is invalid for the range."""

    def with_default_size(self, size_ms: int) -> Aggregation:
        """Resolve: fill unset sizes/extents with ``size_ms`` (reference 3 step 2)."""
        return self._resolve(Context(default_size=size_ms))

    def cadence(self) -> int:
        """Bucket size in ms of the result (0 for raw data, -1 when not sampling).

        Meaningful on a resolved tree; an unresolved sampling aggregation without an explicit
        size reports -1.
        """
        return self._resolve(Context(default_size=None))._cadence()

    def estimate(self, range_: DateRange) -> int:
        """Upstream's ``estimate``: retained samples for ``range_``, or -1 when unknown."""
        return self._resolve(Context(default_size=None))._estimate(range_)

    def apply(
        self,
        inputs: Sequence[tuple[Series, Points | Distributions]],
        range: DateRange,
        bucket_strategy: str = "end",
    ) -> AggregationResult:
        """Aggregate fetched series over ``range``.

        An unresolved tree is first resolved with the default size for ``range``. Every input
        pair is one fetched row, including rows without points; no rows at all means no
        groups (upstream answers an empty series set before creating any session).
        """
        check_strategy(bucket_strategy)
        if not inputs:
            return AggregationResult([], None, 0)
        resolved = self._resolve(Context(default_size=cadence_from_range(range)))
        env = Env(range, bucket_strategy)
        direct = resolved._apply_direct(inputs, env)
        if direct is not None:
            return AggregationResult(direct, env.sample_size, env.retained)
        outputs = resolved._evaluate([_input_chunk(s, p) for s, p in inputs], env)
        groups = [ResultGroup(c.key, list(c.series), c.data.metric_type, c.data) for c in outputs]
        return AggregationResult(groups, env.sample_size, env.retained)
