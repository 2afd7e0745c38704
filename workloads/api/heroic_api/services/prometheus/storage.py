"""The storage PromQL selectors read through: the metadata backends find the series (with
what of the matchers can be pushed down), the matchers decide exactly, the metric backends
fetch the samples. Heroic's ``metrics.seriesLimit`` and ``metrics.dataLimit`` apply, and
breaking one is Prometheus' ``execution`` error naming the limit."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from heroic_api.errors import BackendCallError
from heroic_api.services.fetch import fetch_all, find_series
from heroic_api.settings import QueryLimits
from heroic_core.backends.group import Backends
from heroic_core.model import DateRange, Points, Series
from heroic_core.promql.errors import PromQLExecutionError
from heroic_core.promql.names import labels_of
from heroic_core.promql.selectors import LabelMatcher, matches_all, to_filter
from heroic_core.promql.values import RawSeries, labels_from


def metadata_range(start: int, end: int) -> DateRange:
    """The ``DateRange`` covering samples at ``[start, end]`` (fetches read ``(start, end]``)."""
    return DateRange(max(start - 1, 0), max(end, 0))


class BackendStorage:
    """``heroic_core.promql.selectors.Storage`` on a node's backends (one backend group)."""

    def __init__(self, backends: Backends, limits: QueryLimits, group: str | None = None) -> None:
        self.backends = backends
        self.limits = limits
        self.group = group

    async def find(self, matchers: Sequence[LabelMatcher], start: int, end: int) -> list[Series]:
        """The series all ``matchers`` select (seen in ``[start, end]``), within the limit."""
        pushdown = to_filter(matchers)
        limit = self.limits.series_limit
        lookup = await find_series(
            self.backends.metadata.use(self.group),
            pushdown.filter,
            metadata_range(start, end),
            None if limit is None else limit + 1,
        )
        found = [s for s in lookup.series if matches_all(matchers, labels_of(s))]
        if limit is not None and (len(found) > limit or (lookup.limited and pushdown.exact)):
            raise PromQLExecutionError(
                f"the query selects more than {limit} series (metrics.seriesLimit)"
            )
        return found

    async def select(
        self, matchers: Sequence[LabelMatcher], start: int, end: int
    ) -> list[RawSeries]:
        series = await self.find(matchers, start, end)
        outcome = await fetch_all(
            self.backends.metrics.use(self.group),
            series,
            metadata_range(start, end),
            data_limit=self.limits.data_limit,
            parallelism=self.limits.fetch_parallelism,
        )
        if outcome.quota_violated:
            raise PromQLExecutionError(
                f"the query reads more than {self.limits.data_limit} data points"
                " (metrics.dataLimit)"
            )
        issues = outcome.issues()
        if issues is not None:
            cause = outcome.causes[0] if outcome.causes else None
            raise BackendCallError(f"{issues}: {cause}" if cause else issues, 503)
        return _merge(outcome.rows)


def _merge(rows: Sequence[tuple[Series, object]]) -> list[RawSeries]:
    """One range series per label set: Heroic series that differ only in their resource
    identifiers (which are not labels) are one Prometheus series."""
    by_labels: dict[tuple[tuple[str, str], ...], list[Points]] = {}
    for series, points in rows:
        if isinstance(points, Points) and len(points):
            by_labels.setdefault(labels_from(labels_of(series)), []).append(points)
    out = []
    for labels, parts in by_labels.items():
        if len(parts) == 1:
            times, values = parts[0].timestamps, parts[0].values
        else:
            times = np.concatenate([p.timestamps for p in parts])
            values = np.concatenate([p.values for p in parts])
            order = np.argsort(times, kind="stable")
            times, values = times[order], values[order]
        out.append(RawSeries(labels, times, values))
    return out
