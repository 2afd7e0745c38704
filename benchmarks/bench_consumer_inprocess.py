"""Benchmark: the consumer's decode and write of Spotify100 JSON in process, without Kafka.

The batch decoder the consumer would use (``$HEROIC_CONSUMER_DECODER`` picks it) and
``BatchWriter.write_columns`` into the three memory backends, over ``--points`` points of
``--series`` series (``bench_consumer.py``'s messages) in batches of ``--batch`` messages, the
process pinned to one core and its garbage collector tuned as the consumer's. Prints the
decode and write CPU seconds and points per CPU-second of each run, and checks that every
point was stored (count and sum read back). What ``bench_consumer.py`` measures through Kafka,
minus the client: for alternating two commits quickly. ``--warm`` first writes one point of
every series, untimed, so that the timed pass meets known series only: a consumer's steady
state, where the default measures series met for the first time (each series' first batch).

Run: ``.venv/bin/python benchmarks/bench_consumer_inprocess.py [--series 100000] [--runs 3]``
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import time

from benchlib import SUBJECT_CORE, Result, record, spotify100_bodies, spotify100_warm_bodies

from heroic_consumer.batch_decode import batch_decoder_for
from heroic_consumer.node import tune_garbage_collector
from heroic_consumer.series_cache import SeriesCache
from heroic_consumer.stats import ConsumerStats
from heroic_consumer.writer import BatchWriter, Functions
from heroic_core.backends.group import BackendGroup, Backends
from heroic_core.backends.memory.metadata import MemoryMetadataBackend
from heroic_core.backends.memory.metric import MemoryMetricBackend
from heroic_core.backends.memory.suggest import MemorySuggestBackend
from heroic_core.config.consumers import SPOTIFY100
from heroic_core.model import DateRange

EVERYTHING = DateRange(0, 2**62)


async def run(
    messages: list[bytes], batch: int, cache: int, warm: list[bytes]
) -> tuple[float, float, str]:
    """Decode and write ``warm`` untimed, then every message once; CPU seconds of each, and
    the decoder's kind."""
    metrics = MemoryMetricBackend()
    backends = Backends(
        metrics=BackendGroup.build([metrics]),
        metadata=BackendGroup.build([MemoryMetadataBackend()]),
        suggest=BackendGroup.build([MemorySuggestBackend()]),
    )
    writer = BatchWriter(backends, Functions(), ConsumerStats())
    decoder = batch_decoder_for(SPOTIFY100, SeriesCache(cache))
    for start in range(0, len(warm), batch):
        await writer.write_columns(decoder.decode(warm[start : start + batch]).columns)
    decoding = writing = 0.0
    for start in range(0, len(messages), batch):
        began = time.process_time()
        decoded = decoder.decode(messages[start : start + batch])
        decoded_at = time.process_time()
        await writer.write_columns(decoded.columns)
        decoding += decoded_at - began
        writing += time.process_time() - decoded_at
    count = total = 0
    for series in metrics.series():
        points = await metrics.fetch(series, EVERYTHING)
        count += len(points)
        total += int(points.values.sum())
    expected = sum(i % 1000 for i in range(len(messages)))
    written = len(messages) + len(warm)
    if count != written or total != expected:
        raise SystemExit(f"read back {count} points summing to {total}, wrote {written}")
    return decoding, writing, decoder.kind


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--series", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--series-cache", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--warm", action="store_true", help="time known series only (one point each first)"
    )
    args = parser.parse_args()
    os.sched_setaffinity(0, {SUBJECT_CORE})
    messages = list(spotify100_bodies(args.points, args.series))
    warm = list(spotify100_warm_bodies(args.series)) if args.warm else []
    tune_garbage_collector()
    rates: list[float] = []
    kind = ""
    for _ in range(args.runs):
        decoding, writing, kind = asyncio.run(run(messages, args.batch, args.series_cache, warm))
        rates.append(args.points / (decoding + writing))
        print(f"decode {decoding:.2f} s, write {writing:.2f} s", flush=True)
        gc.collect()
    notes = {"series": args.series, "batch": args.batch, "decoder": kind, "warm": args.warm}
    state = "known" if args.warm else "new"
    record(Result("consumer_inprocess", f"decode + write, JSON, {args.series:,} {state} series",
                  "points/CPU-s", rates, notes=notes))  # fmt: skip


if __name__ == "__main__":
    main()
