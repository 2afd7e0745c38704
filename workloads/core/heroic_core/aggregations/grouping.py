"""Structural aggregations: ``empty``, ``group``, ``collapse``, ``chain`` and ``opts``.

They route chunks by group key, run nested aggregations and combine their outputs (reference
6.1, upstream's ``EmptyInstance``/``GroupingAggregation``/``ChainInstance``/``Options``).
Resolution propagates the tags later chain steps group by into earlier ``group`` steps, as
upstream's ``Chain.apply`` does. This module must not reduce samples itself.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from heroic_core.aggregations.base import (
    Aggregation,
    Context,
    Env,
    ResultGroup,
    input_key,
    input_points,
)
from heroic_core.aggregations.data import (
    Chunk,
    Collection,
    DistributionsData,
    GroupsData,
    Key,
    PointsData,
    SpreadsData,
    TdigestData,
    key_id,
    merge_in_time_order,
    union_series,
)
from heroic_core.aggregations.durations import Duration
from heroic_core.model import DateRange, Distributions, Points, Series

#: Output order of collected types per key (upstream's ``CollectorSession.result``).
_COLLECT_ORDER: tuple[type, ...] = (
    GroupsData,
    PointsData,
    SpreadsData,
    DistributionsData,
    TdigestData,
)


def partition(chunks: list[Chunk]) -> list[tuple[Key, list[Chunk]]]:
    """Chunks grouped by key, in first-seen order."""
    return partition_by(chunks, lambda key: key)


def partition_by(chunks: list[Chunk], route: Callable[[Key], Key]) -> list[tuple[Key, list[Chunk]]]:
    """Chunks grouped by the key ``route`` gives theirs, in first-seen order; the chunks keep
    their own keys."""
    parts: dict[tuple[tuple[str, str], ...], tuple[Key, list[Chunk]]] = {}
    for chunk in chunks:
        key = route(chunk.key)
        ident = key_id(key)
        part = parts.get(ident)
        if part is None:  # (setdefault would make a part for every chunk, to throw away)
            parts[ident] = (key, [chunk])
        else:
            part[1].append(chunk)
    return list(parts.values())


@dataclass(frozen=True)
class Empty(Aggregation):
    """Raw data: one output per distinct key and metric type, merged in time order."""

    type_name = "empty"

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type_name}

    def _resolve(self, ctx: Context) -> Aggregation:
        return self

    def _cadence(self) -> int:
        return 0

    def _evaluate(self, chunks: list[Chunk], env: Env) -> list[Chunk]:
        out: list[Chunk] = []
        for key, part in partition(chunks):
            for kind in _COLLECT_ORDER:
                same = [c for c in part if isinstance(c.data, kind)]
                if not same:
                    continue
                env.retained += sum(len(c.data) for c in same)
                data: Collection = merge_in_time_order([c.data for c in same])
                out.append(Chunk(key, union_series(same), data))
        return out


def aggregation_or_empty(aggregation: Aggregation | None) -> Aggregation:
    """``None`` (no aggregation in the request) means ``empty``."""
    return Empty() if aggregation is None else aggregation


@dataclass(frozen=True)
class _Grouping(Aggregation):
    of: tuple[str, ...] | None = None
    each: Aggregation | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type_name}
        if self.of is not None:
            out["of"] = list(self.of)
        if self.each is not None:
            out["each"] = self.each.to_json()
        return out

    @abstractmethod
    def _key(self, key: Key) -> Key:
        """The group key an input key is routed to."""

    def _inner(self) -> Aggregation:
        return aggregation_or_empty(self.each)

    def _cadence(self) -> int:
        return self._inner()._cadence()

    def _required_tags(self) -> tuple[str, ...]:
        return self.of or ()

    def _check(self, range_: DateRange, strategy: str) -> None:
        self._inner()._check(range_, strategy)

    def _series_key(self, series: Series) -> Key:
        """The group key of a fetched series (``_key`` of its input key)."""
        return self._key(input_key(series))

    def _apply_direct(
        self, inputs: Sequence[tuple[Series, Points | Distributions]], env: Env
    ) -> list[ResultGroup] | None:
        """A statistic of each group (``group by host average(1h)``, say), from the fetched
        rows: the groups' points routed by key, reduced at once by the statistic, each group's
        answer made once; no chunk per row, per group or per step."""
        inner = self._inner()
        if not inner.reduces_groups:
            return None
        parts: dict[tuple[tuple[str, str], ...], tuple[Key, list[Series], list[Collection]]] = {}
        # A ``group`` of named tags makes every key in their order: its items are an identity.
        ordered = isinstance(self, Group) and self.of is not None
        for series, points in inputs:
            if isinstance(points, Distributions):
                return None
            key = self._series_key(series)
            ident = tuple(key.items()) if ordered else key_id(key)
            part = parts.get(ident)
            if part is None:
                parts[ident] = (key, [series], [input_points(points)])
            else:
                part[1].append(series)
                part[2].append(input_points(points))
        groups = list(parts.values())
        emitted = inner._reduce_groups([datas for _, _, datas in groups], env)
        if emitted is None:
            return None
        return [
            ResultGroup(key, series if len(series) == 1 else list(dict.fromkeys(series)),
                        data.metric_type, data)
            for (key, series, _), data in zip(groups, emitted, strict=True)
        ]  # fmt: skip

    def _evaluate(self, chunks: list[Chunk], env: Env) -> list[Chunk]:
        inner = self._inner()
        if inner.reads_keys:
            parts = partition([c.with_key(self._key(c.key)) for c in chunks])
        else:  # the same parts, without a re-keyed copy of every chunk
            parts = partition_by(chunks, self._key)
        outputs = inner._evaluate_parts([part for _, part in parts], env)
        out: list[Chunk] = []
        for (key, _), produced in zip(parts, outputs, strict=True):
            out += [Chunk(key, o.series, o.data) for o in produced]
        return out


@dataclass(frozen=True)
class Group(_Grouping):
    """Group by the ``of`` tags present in each key (``of: []``: one group; none: full key)."""

    type_name = "group"

    def _key(self, key: Key) -> Key:
        if self.of is None:
            return key
        return {tag: key[tag] for tag in self.of if tag in key}

    def _series_key(self, series: Series) -> Key:
        if self.of is None:
            return input_key(series)
        # ``_key(input_key(series))`` without the merged copy: the resource wins.
        tags, resource = series.tags, series.resource
        key: Key = {}
        for tag in self.of:
            if tag in resource:
                key[tag] = resource[tag]
            elif tag in tags:
                key[tag] = tags[tag]
        return key

    def _resolve(self, ctx: Context) -> Aggregation:
        of = self.of
        if of is not None:
            of = tuple(dict.fromkeys(of + ctx.required_tags))
        return Group(of, self._inner()._resolve(ctx))


@dataclass(frozen=True)
class Collapse(_Grouping):
    """Group by the key minus the ``of`` tags (``of: []``: full key; none: one group).

    Upstream also adds the tags later chain steps need to ``of``, i.e. removes exactly the
    tags those steps group by; we leave ``of`` as given.
    """

    type_name = "collapse"

    def _key(self, key: Key) -> Key:
        if self.of is None:
            return {}
        return {k: v for k, v in key.items() if k not in self.of}

    def _resolve(self, ctx: Context) -> Aggregation:
        return Collapse(self.of, self._inner()._resolve(ctx))


def flatten(chain: tuple[Aggregation, ...]) -> tuple[Aggregation, ...]:
    """Inline nested chains."""
    out: list[Aggregation] = []
    for step in chain:
        out.extend(flatten(step.chain) if isinstance(step, Chain) else (step,))
    return tuple(out)


@dataclass(frozen=True)
class Chain(Aggregation):
    """Each step's outputs (key, series, samples) are fed to the next step."""

    chain: tuple[Aggregation, ...] = ()

    type_name = "chain"

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type_name, "chain": [a.to_json() for a in self.chain]}

    def _resolve(self, ctx: Context) -> Aggregation:
        tags: dict[str, None] = {}
        current = ctx
        steps: list[Aggregation] = []
        for step in reversed(self.chain):
            resolved = step._resolve(current)
            tags.update(dict.fromkeys(resolved._required_tags()))
            current = current.with_required_tags(tuple(tags))
            steps.append(resolved)
        flat = flatten(tuple(reversed(steps)))
        return flat[0] if len(flat) == 1 else Chain(flat)

    def _cadence(self) -> int:
        cadences = [c for c in (step._cadence() for step in self.chain) if c >= 0]
        return cadences[-1] if cadences else -1

    def _estimate(self, range_: DateRange) -> int:
        return self.chain[-1]._estimate(range_)

    def _required_tags(self) -> tuple[str, ...]:
        return self.chain[0]._required_tags()

    def _check(self, range_: DateRange, strategy: str) -> None:
        for step in self.chain:
            step._check(range_, strategy)

    def _creation_retention(self, range_: DateRange, strategy: str) -> int:
        return sum(step._creation_retention(range_, strategy) for step in self.chain)

    def _evaluate(self, chunks: list[Chunk], env: Env) -> list[Chunk]:
        for step in self.chain:
            chunks = step._evaluate(chunks, env)
        return chunks


@dataclass(frozen=True)
class Options(Aggregation):
    """``opts``: default ``size``/``extent`` for the sampling aggregations inside."""

    size: Duration | None = None
    extent: Duration | None = None
    aggregation: Aggregation | None = None

    type_name = "opts"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type_name}
        sampling = {
            name: value.to_json()
            for name, value in (("size", self.size), ("extent", self.extent))
            if value is not None
        }
        if sampling:
            out["sampling"] = sampling
        if self.aggregation is not None:
            out["aggregation"] = self.aggregation.to_json()
        return out

    def _resolve(self, ctx: Context) -> Aggregation:
        inner = aggregation_or_empty(self.aggregation)
        return inner._resolve(ctx.with_options(self.size, self.extent))

    def _evaluate(self, chunks: list[Chunk], env: Env) -> list[Chunk]:
        return self._resolve(Context(default_size=None))._evaluate(chunks, env)
