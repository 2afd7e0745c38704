"""Contract of ``MetricBackend``: write, fetch ``(start, end]``, overwrite, series identity."""

from __future__ import annotations

import asyncio
import math

import numpy as np
import pytest

from heroic_core.backends.base import MetricBackend
from heroic_core.model import DateRange, Points, Series
from tests.contract.support import Scope

BIGTABLE_PERIOD = 2**32
CASSANDRA_WIDTH = 2**31 - 1


def pairs(points: Points) -> list[tuple[int, float]]:
    return [(p.timestamp, p.value) for p in points]


class MetricBackendContract:
    """Subclass and provide ``backend``; see ``tests/contract/__init__.py``."""

    pytestmark = pytest.mark.anyio

    @pytest.fixture
    def anyio_backend(self) -> str:
        return "asyncio"

    @pytest.fixture
    def backend(self) -> MetricBackend:
        """Overridden by subclasses: an async generator yielding a fresh backend."""
        raise NotImplementedError("a contract subclass must provide the backend fixture")

    @pytest.fixture
    def scope(self) -> Scope:
        return Scope()

    async def settle(self, backend: MetricBackend) -> None:
        """Wait until written points are readable (no-op for consistent stores)."""

    async def write(self, backend: MetricBackend, series: Series, points: Points) -> None:
        await backend.write(series, points)
        await self.settle(backend)

    async def test_fetch_returns_written_points(self, backend: MetricBackend, scope: Scope) -> None:
        series = scope.series("cpu", {"host": "a"})
        await self.write(backend, series, Points.of([(1000, 1.0), (2000, 2.0), (3000, 3.0)]))
        fetched = await backend.fetch(series, DateRange(0, 10_000))
        assert pairs(fetched) == [(1000, 1.0), (2000, 2.0), (3000, 3.0)]

    async def test_fetch_window_excludes_start_and_includes_end(
        self, backend: MetricBackend, scope: Scope
    ) -> None:
        series = scope.series("cpu")
        await self.write(backend, series, Points.of([(t, float(t)) for t in (10, 20, 30, 40)]))
        fetched = await backend.fetch(series, DateRange(20, 40))
        assert [p.timestamp for p in fetched] == [30, 40]

    async def test_empty_window_returns_nothing(self, backend: MetricBackend, scope: Scope) -> None:
        series = scope.series("cpu")
        await self.write(backend, series, Points.of([(10, 1.0)]))
        assert len(await backend.fetch(series, DateRange(10, 10))) == 0

    async def test_unknown_series_fetches_empty(self, backend: MetricBackend, scope: Scope) -> None:
        assert len(await backend.fetch(scope.series("never-written"), DateRange(0, 10**12))) == 0

    async def test_rewriting_a_timestamp_overwrites_it(
        self, backend: MetricBackend, scope: Scope
    ) -> None:
        series = scope.series("cpu")
        await self.write(backend, series, Points.of([(100, 1.0), (200, 2.0)]))
        await self.write(backend, series, Points.of([(200, 20.0)]))
        assert pairs(await backend.fetch(series, DateRange(0, 1000))) == [(100, 1.0), (200, 20.0)]

    async def test_points_come_back_sorted_across_writes(
        self, backend: MetricBackend, scope: Scope
    ) -> None:
        series = scope.series("cpu")
        await self.write(backend, series, Points.of([(300, 3.0), (500, 5.0)]))
        await self.write(backend, series, Points.of([(100, 1.0), (400, 4.0)]))
        fetched = await backend.fetch(series, DateRange(0, 1000))
        assert [p.timestamp for p in fetched] == [100, 300, 400, 500]

    async def test_series_with_same_tags_but_other_key_are_separate(
        self, backend: MetricBackend, scope: Scope
    ) -> None:
        first = scope.series("cpu", {"host": "a"})
        second = scope.series("memory", {"host": "a"})
        await self.write(backend, first, Points.of([(10, 1.0)]))
        await self.write(backend, second, Points.of([(10, 2.0)]))
        assert pairs(await backend.fetch(first, DateRange(0, 100))) == [(10, 1.0)]
        assert pairs(await backend.fetch(second, DateRange(0, 100))) == [(10, 2.0)]

    async def test_series_with_other_tag_values_are_separate(
        self, backend: MetricBackend, scope: Scope
    ) -> None:
        first = scope.series("cpu", {"host": "a"})
        second = scope.series("cpu", {"host": "b"})
        await self.write(backend, first, Points.of([(10, 1.0)]))
        assert len(await backend.fetch(second, DateRange(0, 100))) == 0

    async def test_series_differing_only_in_resource_are_separate(
        self, backend: MetricBackend, scope: Scope
    ) -> None:
        first = scope.series("cpu", {"host": "a"}, {"pod": "p1"})
        second = scope.series("cpu", {"host": "a"}, {"pod": "p2"})
        await self.write(backend, first, Points.of([(10, 1.0)]))
        await self.write(backend, second, Points.of([(20, 2.0)]))
        assert pairs(await backend.fetch(first, DateRange(0, 100))) == [(10, 1.0)]
        assert pairs(await backend.fetch(second, DateRange(0, 100))) == [(20, 2.0)]

    async def test_values_round_trip_exactly(self, backend: MetricBackend, scope: Scope) -> None:
        series = scope.series("values")
        values = [0.0, -1.5, 1e-300, 1.7976931348623157e308, math.pi, math.inf, -math.inf]
        points = Points.of([(i + 1, v) for i, v in enumerate(values)])
        await self.write(backend, series, points)
        fetched = await backend.fetch(series, DateRange(0, 100))
        assert [p.value for p in fetched] == values

    async def test_nan_round_trips(self, backend: MetricBackend, scope: Scope) -> None:
        series = scope.series("nan")
        await self.write(backend, series, Points.of([(5, math.nan)]))
        fetched = await backend.fetch(series, DateRange(0, 10))
        assert len(fetched) == 1
        assert math.isnan(float(fetched.values[0]))

    @pytest.mark.parametrize("boundary", [BIGTABLE_PERIOD, CASSANDRA_WIDTH, 1_700_000_000_000])
    async def test_fetch_spans_storage_row_boundaries(
        self, backend: MetricBackend, scope: Scope, boundary: int
    ) -> None:
        series = scope.series("rows")
        stamps = [boundary - 2, boundary - 1, boundary, boundary + 1, 3 * boundary + 7]
        await self.write(backend, series, Points.of([(t, float(i)) for i, t in enumerate(stamps)]))
        fetched = await backend.fetch(series, DateRange(boundary - 2, 3 * boundary + 7))
        assert [p.timestamp for p in fetched] == stamps[1:]
        inner = await backend.fetch(series, DateRange(boundary - 1, boundary))
        assert [p.timestamp for p in inner] == [boundary]

    async def test_many_points_round_trip(self, backend: MetricBackend, scope: Scope) -> None:
        series = scope.series("bulk")
        stamps = np.arange(1, 5001, dtype=np.int64) * 1000
        values = np.sin(stamps.astype(np.float64))
        await self.write(backend, series, Points(stamps, values))
        fetched = await backend.fetch(series, DateRange(0, int(stamps[-1])))
        np.testing.assert_array_equal(fetched.timestamps, stamps)
        np.testing.assert_array_equal(fetched.values, values)

    async def test_concurrent_writes_all_land(self, backend: MetricBackend, scope: Scope) -> None:
        series = scope.series("concurrent")
        await asyncio.gather(
            *(backend.write(series, Points.of([(t, float(t))])) for t in range(1, 51))
        )
        await self.settle(backend)
        fetched = await backend.fetch(series, DateRange(0, 100))
        assert [p.timestamp for p in fetched] == list(range(1, 51))

    async def test_writing_no_points_is_a_no_op(self, backend: MetricBackend, scope: Scope) -> None:
        series = scope.series("nothing")
        await self.write(backend, series, Points.empty())
        assert len(await backend.fetch(series, DateRange(0, 10**12))) == 0

    async def test_configure_is_idempotent(self, backend: MetricBackend) -> None:
        await backend.configure()
        again = await backend.configure()
        assert again.created == ()
        assert await backend.is_ready()

    async def test_has_an_id_and_groups(self, backend: MetricBackend) -> None:
        assert backend.id
        assert backend.groups
