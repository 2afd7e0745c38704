"""Batch decoders in compiled code: ``heroic_consumer._native`` (Rust: serde_json, prost, snap,
murmur3) decodes a whole fetched batch in one call into arrays (series index, timestamp, value
per point), without a Python object per point.

The compiled code keeps the raw identities of series (the cache's ``IdTable``); this module
builds the ``Series`` of each identity it reports new, once (from maps the compiled code
sorted and the upstream id it computed), and resolves the batch's series to
their entries before the next batch may evict any. A message the compiled code declines
(another version, a float time, a JSON distribution, every error) goes through the reference
decoder of ``decode.py``, which accepts it or names the problem, exactly as on the Python path;
its points are merged with the others in arrival order. ``AVAILABLE`` says whether the
extension was built. No I/O, no logging.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from heroic_consumer.columns import Columns, CompiledPoints
from heroic_consumer.decode import Decoder
from heroic_consumer.reference_path import DecodedBatch, ReferencePath
from heroic_consumer.series_cache import SeriesCache, SeriesEntry
from heroic_core.model import Series

if TYPE_CHECKING:
    from heroic_consumer._native import Decoded

try:
    from heroic_consumer import _native
except ImportError:  # built without cargo: the Python decoders serve
    _native = None  # type: ignore[assignment]

AVAILABLE = _native is not None


class _NativeDecoder(ReferencePath):
    kind = "native"

    def __init__(self, cache: SeriesCache, reference: Decoder, distributions: bool) -> None:
        if _native is None:
            raise ValueError("the compiled decoder (heroic_consumer._native) is not built")
        super().__init__(cache, reference, distributions)
        self.table = cache.use_table(_native.SeriesTable)

    def _decode(self, payloads: Sequence[bytes]) -> Decoded:
        raise NotImplementedError

    def decode(self, payloads: Sequence[bytes]) -> DecodedBatch:
        cache = self.cache
        cache.trim()
        locals_, times, values, messages, distinct, fresh, declined, dists = self._decode(payloads)
        if fresh:
            of_sorted = Series.of_sorted
            cache.add_ids(
                [ident for ident, *_ in fresh],
                [of_sorted(key, tags, res, sid) for _, key, tags, res, sid in fresh],
            )
        entries = cache.entries_of(distinct)
        compiled = CompiledPoints(
            entries,
            np.frombuffer(locals_, dtype=np.int32),
            np.frombuffer(times, dtype=np.int64),
            np.frombuffer(values, dtype=np.float64),
            np.frombuffer(messages, dtype=np.int32),
            distinct=cache.shared == 0,
        )
        out = DecodedBatch(Columns(compiled))
        slow_distributions = self._slow_all(payloads, declined, out) if declined else []
        if dists:
            _merge_distributions(out.columns, entries, dists, slow_distributions)
        return out

    def _slow_all(
        self, payloads: Sequence[bytes], declined: list[int], out: DecodedBatch
    ) -> list[int]:
        """The declined messages through the reference decoder; returns the message index of
        each distribution point they added (their points' go to ``columns.arrivals``)."""
        columns = out.columns
        at: list[int] = []
        for index in declined:
            points, distributions = len(columns.timestamps), len(columns.distributions)
            self.slow(index, payloads[index], out)
            columns.arrivals.extend([index] * (len(columns.timestamps) - points))
            at.extend([index] * (len(columns.distributions) - distributions))
        return at


def _merge_distributions(
    columns: Columns,
    entries: list[SeriesEntry],
    compiled: list[tuple[int, int, int, bytes]],
    slow_at: list[int],
) -> None:
    """Distribution points of both paths, in arrival order (a later one at the same time
    wins)."""
    mine = [
        (message, (entries[local], time, payload)) for message, local, time, payload in compiled
    ]
    if slow_at:
        theirs = list(zip(slow_at, columns.distributions, strict=True))
        mine = sorted([*mine, *theirs], key=lambda item: item[0])  # stable: in-message order
    columns.distributions = [item for _, item in mine]


class NativeSpotify100Decoder(_NativeDecoder):
    """``Spotify100`` (one ffwd JSON object per message) in compiled code."""

    def _decode(self, payloads: Sequence[bytes]) -> Decoded:
        return _native.decode_spotify100(self.table, payloads)


class NativeSpotify100ProtoDecoder(_NativeDecoder):
    """``Spotify100Proto`` (a Snappy-compressed ``Batch`` of metrics per message) in compiled
    code."""

    def _decode(self, payloads: Sequence[bytes]) -> Decoded:
        return _native.decode_spotify100_proto(self.table, payloads, self.distributions)
