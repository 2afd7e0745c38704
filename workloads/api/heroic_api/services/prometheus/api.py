"""The Prometheus HTTP API's logic on a node's backends: queries through the PromQL engine,
series and label lookups through the metadata backends (their aggregations when the
selectors push down exactly, otherwise the series themselves, filtered here)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any

from heroic_api.services.prometheus import params
from heroic_api.services.prometheus.offload import off_loop
from heroic_api.services.prometheus.results import metric, render
from heroic_api.services.prometheus.storage import BackendStorage, metadata_range
from heroic_api.settings import ApiSettings
from heroic_core.backends.group import Backends
from heroic_core.filters import And, Filter, HasTag
from heroic_core.promql import names
from heroic_core.promql.engine import (
    Result,
    evaluate_instant,
    evaluate_range,
    selector_matchers,
)
from heroic_core.promql.errors import PromQLError
from heroic_core.promql.options import EngineOptions
from heroic_core.promql.parse import parse
from heroic_core.promql.selectors import LabelMatcher, Storage, to_filter
from heroic_core.promql.values import labels_from

#: Prometheus' answer to buildinfo is the version whose query semantics we follow.
PROMETHEUS_VERSION = "2.42.0"
MAX_TIMEOUT_MS = 300_000


class PrometheusAPI:
    """One request's view: settings, backends and the request's "now"."""

    def __init__(
        self, settings: ApiSettings, backends: Backends, now: int, group: str | None = None
    ) -> None:
        config = settings.prometheus
        self.settings = settings
        self.backends = backends
        self.now = now
        self.escaping = names.NameEscaping(config.name_escaping)
        self.storage = BackendStorage(backends, settings.limits, group)
        self.options = EngineOptions(
            lookback_ms=config.lookback_delta.millis,
            resolution_ms=config.default_evaluation_interval.millis,
            max_samples=config.max_samples,
            unescape=partial(names.unescape, escaping=self.escaping),
            legacy_names=self.escaping is names.NameEscaping.VALUES,
        )
        self.group = group

    def escape(self, name: str) -> str:
        return names.escape(name, self.escaping)

    async def _evaluate(
        self, work: Callable[[Storage], Awaitable[Result]], timeout: str | None, *, instant: bool
    ) -> dict[str, Any]:
        """Evaluate and render off the event loop, within ``timeout`` (at most 300 s)."""
        limit = MAX_TIMEOUT_MS
        if timeout:
            limit = min(params.parse_duration(timeout, "timeout"), MAX_TIMEOUT_MS)

        async def rendered(storage: Storage) -> dict[str, Any]:
            return render(await work(storage), self.escape, instant=instant)

        try:
            return await off_loop(rendered, self.storage, limit / 1000)
        except TimeoutError:
            message = f"query timed out in expression evaluation after {limit} ms"
            raise TimeoutError(message) from None

    async def query(self, query: str, time: str | None, timeout: str | None) -> dict[str, Any]:
        at = params.optional_time(time, "time", self.now)
        expr = parse(query)
        options = self.options
        return await self._evaluate(
            lambda storage: evaluate_instant(storage, expr, time=at, options=options),
            timeout,
            instant=True,
        )

    async def query_range(
        self,
        query: str,
        start: str | None,
        end: str | None,
        step: str | None,
        timeout: str | None,
    ) -> dict[str, Any]:
        if not start or not end or not step:
            missing = [n for n, v in (("start", start), ("end", end), ("step", step)) if not v]
            raise PromQLError(f'invalid parameter "{missing[0]}": missing')
        first, last = params.parse_time(start, "start"), params.parse_time(end, "end")
        every = params.parse_duration(step, "step")
        params.range_steps(first, last, every)
        expr = parse(query)
        options = self.options
        return await self._evaluate(
            lambda storage: evaluate_range(
                storage, expr, start=first, end=last, step=every, options=options
            ),
            timeout,
            instant=False,
        )

    def _window(self, start: str | None, end: str | None) -> tuple[int, int]:
        first = params.optional_time(start, "start", 0)
        last = params.optional_time(end, "end", self.now)
        if last < first:
            raise PromQLError('invalid parameter "end": end timestamp must not be before start')
        return max(first, 0), max(last, 0)

    def _selections(self, match: Sequence[str]) -> list[list[LabelMatcher]]:
        return [selector_matchers(s, self.options.unescape) for s in params.parse_matchers(match)]

    async def series(
        self, match: Sequence[str], start: str | None, end: str | None, limit: str | None
    ) -> tuple[list[dict[str, str]], list[str]]:
        if not match:
            raise PromQLError("no match[] parameter provided")
        first, last = self._window(start, end)
        most = params.parse_limit(limit)
        found: dict[tuple[tuple[str, str], ...], None] = {}
        for matchers in self._selections(match):
            for series in await self.storage.find(matchers, first, last):
                found[labels_from(names.labels_of(series))] = None
        ordered = sorted(found)
        warnings = []
        if most is not None and len(ordered) > most:
            ordered, warnings = ordered[:most], ["results truncated due to limit"]
        return [metric(labels, self.escape) for labels in ordered], warnings

    async def _names_and_values(
        self, matchers: list[LabelMatcher], first: int, last: int, label: str | None
    ) -> set[str]:
        """Label names (``label`` None) or the values of ``label`` among the selected series."""
        pushdown = to_filter(matchers)
        if not pushdown.exact:
            out: set[str] = set()
            for series in await self.storage.find(matchers, first, last):
                labels = names.labels_of(series)
                out.update(labels if label is None else [labels.get(label, "")])
            out.discard("")
            return out
        window = metadata_range(first, last)
        backends = self.backends.metadata.use(self.group)
        if label == names.NAME_LABEL:
            results = await asyncio.gather(
                *(b.find_keys(pushdown.filter, window) for b in backends)
            )
            return {k for r in results for k in r.keys}
        filter: Filter = pushdown.filter if label is None else And((pushdown.filter, HasTag(label)))
        tags = await asyncio.gather(*(b.find_tags(filter, window) for b in backends))
        if label is None:
            keys = {k for r in tags for k in r.tags}
            keys_found = await asyncio.gather(*(b.find_keys(filter, window, 1) for b in backends))
            if any(r.keys for r in keys_found):
                keys.add(names.NAME_LABEL)
            return keys
        return {v for r in tags for v in r.tags.get(label, ())}

    async def label_names(
        self, match: Sequence[str], start: str | None, end: str | None, limit: str | None
    ) -> tuple[list[str], list[str]]:
        return await self._collect(match, start, end, limit, None)

    async def label_values(
        self,
        label: str,
        match: Sequence[str],
        start: str | None,
        end: str | None,
        limit: str | None,
    ) -> tuple[list[str], list[str]]:
        stored = self.options.unescape(label)
        values, warnings = await self._collect(match, start, end, limit, stored)
        if stored == names.NAME_LABEL:
            values = [self.escape(v) for v in values]
        return values, warnings

    async def _collect(
        self,
        match: Sequence[str],
        start: str | None,
        end: str | None,
        limit: str | None,
        label: str | None,
    ) -> tuple[list[str], list[str]]:
        first, last = self._window(start, end)
        most = params.parse_limit(limit)
        selections = self._selections(match) or [[]]
        found: set[str] = set()
        for matchers in selections:
            found |= await self._names_and_values(matchers, first, last, label)
        ordered = sorted(found)
        if label is None:
            ordered = [self.escape(n) for n in ordered]
        warnings = []
        if most is not None and len(ordered) > most:
            ordered, warnings = ordered[:most], ["results truncated due to limit"]
        return ordered, warnings

    async def metadata(self, metric_name: str | None, limit: str | None) -> dict[str, Any]:
        """Metric names; Heroic keeps no type, help or unit, so every type is ``unknown``."""
        most = params.parse_limit(limit)
        values, _ = await self._collect(
            [f"{{__name__={json.dumps(metric_name)}}}"] if metric_name else [], None, None, None,
            names.NAME_LABEL,
        )  # fmt: skip
        if most is not None:
            values = values[:most]
        return {name: [{"type": "unknown", "help": "", "unit": ""}] for name in values}

    def buildinfo(self) -> dict[str, Any]:
        service = self.settings.service
        return {
            "version": PROMETHEUS_VERSION,
            "revision": service.commit,
            "branch": "",
            "buildUser": "",
            "buildDate": "",
            "goVersion": "",
            "application": "heroic",
            "applicationVersion": service.version,
        }
