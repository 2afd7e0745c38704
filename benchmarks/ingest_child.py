"""One measured ingest run, in a process of its own that ``bench_consumer.py`` pins to a core.

``node``: the consumer node of ``heroic consumer`` (``ConsumerNode``: its pipelines, writer and
backends from ``--config``) runs until ``--points`` points are written and committed, then stops;
its metric backend is read back (every series the metadata backend knows, or the memory metric
backend's own list) to count and sum what landed. ``bare``: a confluent-kafka ``consume()`` loop
over the same topic that only counts messages, the ceiling of any Kafka consumer in Python.

Prints one JSON object: points, CPU seconds of this process (all threads) and wall seconds
from the first message to the last commit, RSS, and the read-back count and sum.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from pathlib import Path
from typing import Any

from benchlib import BASE_MS, free_port, rss_mib
from confluent_kafka import Consumer

from heroic_consumer.node import ConsumerNode, NodeOptions, tune_garbage_collector
from heroic_consumer.pipeline import PipelineSettings
from heroic_consumer.writer import Functions
from heroic_core.backends.factory import build_backends
from heroic_core.backends.memory import MemoryMetricBackend
from heroic_core.config import HeroicConfig
from heroic_core.filters import TRUE
from heroic_core.model import DateRange


def bare(servers: str, topic: str, messages: int) -> dict[str, Any]:
    consumer = Consumer({"bootstrap.servers": servers, "group.id": f"bare-{uuid.uuid4().hex}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})  # fmt: skip
    consumer.subscribe([topic])
    seen = 0
    cpu0 = wall0 = 0.0
    try:
        while seen < messages:
            batch = consumer.consume(num_messages=10_000, timeout=1.0)
            if batch and not wall0:
                cpu0, wall0 = time.process_time(), time.perf_counter()
            for message in batch:
                if message.error() is None:
                    seen += 1
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    finally:
        consumer.close()
    return {"points": seen, "cpu_s": cpu, "wall_s": wall, "rss_mib": rss_mib_self()}


def rss_mib_self() -> float:
    import os  # noqa: PLC0415

    return rss_mib(os.getpid())


def _start_clock(node: ConsumerNode) -> list[float]:
    """``[cpu, wall]`` just before the first fetch that returned messages (group join and
    start-up excluded, all the work on the first batch included)."""
    clock = [0.0, 0.0]
    for pipeline in node.pipelines:
        fetch = pipeline.source.fetch

        async def timed(max_messages: int, timeout: float, fetch: Any = fetch) -> Any:
            before = [time.process_time(), time.perf_counter()]
            fetched = await fetch(max_messages, timeout)
            if len(fetched.batch) and not clock[1]:
                clock[:] = before
            return fetched

        pipeline.source.fetch = timed  # type: ignore[method-assign]
    return clock


async def run_node(
    config_path: Path, points: int, warm: int, cache_size: int, writes: str | None
) -> dict[str, Any]:
    """Consume until ``warm + points`` points are written and committed; timed from the first
    fetch, or with ``warm`` from when the first ``warm`` points were written (the rate is of
    the points written after that moment)."""
    config = HeroicConfig.from_file(str(config_path))
    options = NodeOptions(
        config=config, host="127.0.0.1", port=free_port(), series_cache_size=cache_size,
        pipeline=PipelineSettings(fetch_timeout=0.05, stop_timeout=60),
        functions=Functions.parse(writes) if writes else None,
    )  # fmt: skip
    node = ConsumerNode(options, build_backends(config))
    await node.configure_backends()
    tune_garbage_collector()  # as run_node does
    start = _start_clock(node)
    runs = asyncio.gather(*(p.run(node.stop) for p in node.pipelines))
    deadline = time.monotonic() + 1800
    warmed: list[float] | None = None  # [cpu, wall, points written] once the warm-up is
    while True:
        await asyncio.sleep(0.005)
        written = sum(
            node.stats.registry.get_sample_value(
                "heroic_consumer_points_written_total", {"backend": b.id}
            )
            or 0.0
            for b in node.writer.metrics
        ) / max(1, len(node.writer.metrics))
        if warm and warmed is None and written >= warm:
            warmed = [time.process_time(), time.perf_counter(), written]
        if written >= points + warm and not node.pipelines[0].tracker.pending():
            break
        if runs.done() or time.monotonic() > deadline:
            raise SystemExit(f"consumer stopped or timed out after {written:.0f} points")
    cpu0, wall0 = start
    timed = points
    if warmed is not None:
        cpu0, wall0, before = warmed
        timed = int(written - before)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    node.stop.set()
    await runs
    # Without metadata there is no list of series to read back: count what was written.
    count, total = (
        await read_back(node, points, warm) if node.writer.metadata else (int(written), -1.0)
    )
    for source in node.sources:
        await source.close()
    await node.backends.close()
    return {
        "points": timed, "cpu_s": cpu, "wall_s": wall, "rss_mib": rss_mib_self(),
        "read_count": count, "read_sum": total,
    }  # fmt: skip


async def read_back(node: ConsumerNode, points: int, warm: int) -> tuple[int, float]:
    # Bigtable and Cassandra split a fetch into one request per row/partition period, so the
    # window is exactly the benchmark's points: [BASE_MS - warm, BASE_MS + points).
    window = DateRange(BASE_MS - warm - 1, BASE_MS + points)
    backend = node.writer.metrics[0]
    if isinstance(backend, MemoryMetricBackend):
        series = backend.series()
    else:
        metadata = node.backends.metadata.members[0]
        series = list((await metadata.find_series(TRUE, window)).series)
    count, total = 0, 0.0
    gate = asyncio.Semaphore(64)

    async def one(s: Any) -> tuple[int, float]:
        async with gate:
            fetched = await backend.fetch(s, window)
        return len(fetched), float(fetched.values.sum())

    for n, v in await asyncio.gather(*(one(s) for s in series)):
        count += n
        total += v
    return count, total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["node", "bare"])
    parser.add_argument("--config", type=Path)
    parser.add_argument("--points", type=int, required=True)
    parser.add_argument("--warm", type=int, default=0, help="points written before the clock")
    parser.add_argument("--servers")
    parser.add_argument("--topic")
    parser.add_argument("--series-cache", type=int, default=200_000)
    parser.add_argument("--writes", help="write functions (heroic consumer --writes)")
    args = parser.parse_args()
    if args.mode == "bare":
        result = bare(args.servers, args.topic, args.points)
    else:
        result = asyncio.run(
            run_node(args.config, args.points, args.warm, args.series_cache, args.writes)
        )
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
