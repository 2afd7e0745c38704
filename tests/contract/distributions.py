"""Contract of ``DistributionStore``: distribution points stored beside points, read back by
window ``(start, end]``, overwritten by timestamp, never mixed with points."""

from __future__ import annotations

import pytest

from heroic_core.backends.base import DistributionStore, MetricBackend
from heroic_core.model import DateRange, Distributions, Points
from tests.contract.support import Scope

BIGTABLE_PERIOD = 2**32


class DistributionStoreContract:
    """Mix into a metric contract class whose ``backend`` also stores distribution points."""

    pytestmark = pytest.mark.anyio

    async def test_distribution_points_round_trip_across_row_periods(
        self, backend: MetricBackend, scope: Scope
    ) -> None:
        assert isinstance(backend, DistributionStore)
        series = scope.series("latency", {"host": "a"})
        written = [(5, b"\x00\x00\x00\x02first"), (BIGTABLE_PERIOD + 7, b"second"), (9, b"")]
        await backend.write_distributions(series, Distributions.of(written))
        fetched = await backend.fetch_distributions(series, DateRange(0, 2 * BIGTABLE_PERIOD))
        assert list(fetched) == sorted(written)

    async def test_window_excludes_start_includes_end_and_last_write_wins(
        self, backend: MetricBackend, scope: Scope
    ) -> None:
        assert isinstance(backend, DistributionStore)
        series = scope.series("latency")
        await backend.write_distributions(
            series, Distributions.of([(t, b"v%d" % t) for t in (10, 20, 30, 40)])
        )
        await backend.write_distributions(series, Distributions.of([(30, b"again")]))
        fetched = await backend.fetch_distributions(series, DateRange(20, 40))
        assert list(fetched) == [(30, b"again"), (40, b"v40")]

    async def test_points_and_distribution_points_do_not_mix(
        self, backend: MetricBackend, scope: Scope
    ) -> None:
        assert isinstance(backend, DistributionStore)
        series = scope.series("mixed")
        await backend.write(series, Points.of([(100, 1.5)]))
        await backend.write_distributions(series, Distributions.of([(200, b"sketch")]))
        everything = DateRange(0, 1000)
        assert [p.timestamp for p in await backend.fetch(series, everything)] == [100]
        assert list(await backend.fetch_distributions(series, everything)) == [(200, b"sketch")]
        assert len(await backend.fetch_distributions(scope.series("never"), everything)) == 0
