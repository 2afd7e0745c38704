"""Benchmark: write and fetch rates of the durable backends against the test environment.

Metric backends (Bigtable emulator, Cassandra): ``--series`` series with ``--points`` points
each, written one call per series (``--concurrency`` calls in flight), then fetched back;
prints points/second both ways. Elasticsearch (goal E1): new series into the metadata and
suggest backends through ``write_many`` (what the consumer's writer calls: 500 series per
``_bulk``, ``--index-concurrency`` requests in flight), in documents per second, against a bare
``_bulk`` loop of the same metadata documents on the same node in the same run (goal: at least
half of it); then the same series again (write-cache hits). Uses the test environment (started
unless its variables point elsewhere); names are unique, so runs do not collide.

Run: ``.venv/bin/python benchmarks/bench_backends.py [--series N] [--points P]
[--concurrency C] [--only NAME]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx
import numpy as np
from benchlib import Result, record

from heroic_core.backends.base import MetricBackend
from heroic_core.backends.bigtable.backend import BigtableMetricBackend
from heroic_core.backends.cassandra.backend import CassandraMetricBackend
from heroic_core.backends.elasticsearch.client import build_client
from heroic_core.backends.elasticsearch.documents import metadata_document
from heroic_core.backends.elasticsearch.metadata import ElasticsearchMetadataBackend
from heroic_core.backends.elasticsearch.suggest import ElasticsearchSuggestBackend
from heroic_core.config import (
    BigtableMetricConfig,
    DatastaxMetricConfig,
    ElasticsearchMetadataConfig,
    ElasticsearchSuggestConfig,
)
from heroic_core.config.elasticsearch import ConnectionConfig
from heroic_core.model import DateRange, Points, Series
from heroic_testenv.runner import ensure

START = 1_700_000_000_000


async def bounded(calls: Sequence[Callable[[], Awaitable[Any]]], concurrency: int) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def one(call: Callable[[], Awaitable[Any]]) -> None:
        async with gate:
            await call()

    await asyncio.gather(*(one(c) for c in calls))


async def bench_metric(name: str, backend: MetricBackend, args: argparse.Namespace) -> None:
    await backend.configure()
    ts = START + 10_000 * np.arange(1, args.points + 1, dtype=np.int64)
    rows = [
        (Series("bench", {"host": f"h{i}", "run": uuid.uuid4().hex[:6]}), Points(ts, ts * 0.5))
        for i in range(args.series)
    ]
    total = args.series * args.points
    began = time.perf_counter()
    await bounded([lambda s=s, p=p: backend.write(s, p) for s, p in rows], args.concurrency)
    wrote = time.perf_counter() - began
    window = DateRange(START, int(ts[-1]))
    fetched: list[int] = []

    async def fetch(series: Series) -> None:
        fetched.append(len(await backend.fetch(series, window)))

    began = time.perf_counter()
    await bounded([lambda s=s: fetch(s) for s, _ in rows], args.concurrency)
    read = time.perf_counter() - began
    if sum(fetched) != total:
        raise SystemExit(f"{name}: fetched {sum(fetched)} of {total} points")
    record(Result("backends", f"{name}: write", "points/s", [total / wrote]))
    record(Result("backends", f"{name}: fetch", "points/s", [total / read]))
    await backend.close()


BULK = 500  # heroic_consumer.writer.BULK_SERIES
#: writesPerSecond for the benchmark: the default (3,000, as upstream) would measure the limiter.
UNTHROTTLED = 10_000_000


def index_series(count: int) -> list[Series]:
    run = uuid.uuid4().hex[:6]
    return [
        Series("bench", {"host": f"h{i}", "role": f"r{i % 7}", "run": run}) for i in range(count)
    ]


async def bare_bulk(index: str, series: list[Series], concurrency: int) -> float:
    """Documents per second of plain ``_bulk`` create requests of our metadata documents."""
    client = build_client(
        ConnectionConfig.model_validate({"client": {"seeds": [os.environ["ELASTICSEARCH_URL"]]}})
    )
    try:
        chunks = [series[i : i + BULK] for i in range(0, len(series), BULK)]

        async def one(chunk: list[Series]) -> None:
            body: list[dict[str, Any]] = []
            for s in chunk:
                body += [
                    {"create": {"_index": index, "_id": s.id}},
                    metadata_document(s, index_resource=True),
                ]
            response = await client.bulk(body)
            if response.get("errors"):
                raise SystemExit("bare _bulk loop: some documents failed")

        began = time.perf_counter()
        await bounded([lambda c=c: one(c) for c in chunks], concurrency)
        return len(series) / (time.perf_counter() - began)
    finally:
        await client.close()


async def bench_index(
    name: str, backend: Any, args: argparse.Namespace, docs_per_series: int, peer: list[float]
) -> None:
    await backend.configure()
    new: list[float] = []
    cached: list[float] = []
    for _ in range(args.runs):
        series = index_series(args.index_series)
        items = [(s, DateRange(0, 0)) for s in series]
        chunks = [items[i : i + BULK] for i in range(0, len(items), BULK)]
        for rates in (new, cached):
            began = time.perf_counter()
            await bounded(
                [lambda c=c: backend.write_many(c) for c in chunks], args.index_concurrency
            )
            rates.append(len(series) * docs_per_series / (time.perf_counter() - began))
    notes = {"series": args.index_series, "documents_per_series": docs_per_series}
    record(Result("backends", f"{name}: new series, write_many", "docs/s", new,
                  peer="bare _bulk loop", peer_runs=peer, ratio_goal=0.5, notes=notes))  # fmt: skip
    record(Result("backends", f"{name}: series in the write cache", "series/s",
                  [r / docs_per_series for r in cached], notes=notes))  # fmt: skip
    await backend.close()


def es_connection(prefix: str) -> dict[str, Any]:
    return {
        "index": {"type": "rotating", "pattern": f"{prefix}-%s"},
        "client": {"type": "rest", "seeds": [os.environ["ELASTICSEARCH_URL"]]},
    }


async def main(args: argparse.Namespace, run: str) -> None:
    if args.only in (None, "bigtable"):
        config = BigtableMetricConfig(type="bigtable", project="bench", table=f"bench-{run}")
        await bench_metric("bigtable", BigtableMetricBackend(config), args)
    if args.only in (None, "cassandra"):
        config = DatastaxMetricConfig.model_validate(
            {
                "type": "datastax",
                "seeds": [os.environ["CASSANDRA_CONTACT_POINTS"]],
                "schema": {
                    "keyspace": f"bench_{run}",
                    "replication": {"class": "SimpleStrategy", "replication_factor": 1},
                },
            }
        )
        await bench_metric("cassandra", CassandraMetricBackend(config), args)
    if args.only in (None, "elasticsearch"):
        peer = [
            await bare_bulk(
                f"bench-{run}-bare", index_series(args.index_series), args.index_concurrency
            )
            for _ in range(args.runs)
        ]
        meta = ElasticsearchMetadataConfig.model_validate(
            {
                "type": "elasticsearch",
                "templateName": f"bench-{run}-m",
                "connection": es_connection(f"bench-{run}-m"),
                "writesPerSecond": UNTHROTTLED,
            }
        )
        await bench_index("es metadata", ElasticsearchMetadataBackend(meta), args, 1, peer)
        sugg = ElasticsearchSuggestConfig.model_validate(
            {
                "type": "elasticsearch",
                "templateName": f"bench-{run}-s",
                "connection": es_connection(f"bench-{run}-s"),
                "writesPerSecond": UNTHROTTLED,
            }
        )
        # a series document and one per tag (three tags)
        await bench_index("es suggest", ElasticsearchSuggestBackend(sugg), args, 4, peer)


def cleanup(run: str, only: str | None) -> None:
    """Drop what the run created (table, keyspace, indices and templates)."""
    import warnings  # noqa: PLC0415

    from cassandra.cluster import Cluster  # noqa: PLC0415
    from google.cloud.bigtable import Client  # noqa: PLC0415

    if only in (None, "bigtable"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            Client(project="bench", admin=True).instance("heroic").table(f"bench-{run}").delete()
    if only in (None, "cassandra"):
        host, port = os.environ["CASSANDRA_CONTACT_POINTS"].rsplit(":", 1)
        cluster = Cluster([(host, int(port))])
        cluster.connect().execute(f"DROP KEYSPACE IF EXISTS bench_{run}")
        cluster.shutdown()
    if only in (None, "elasticsearch"):
        url = os.environ["ELASTICSEARCH_URL"]
        httpx.delete(f"{url}/bench-{run}-*", params={"ignore_unavailable": "true"})
        for kind in ("_index_template", "_template"):
            for name in ("metadata", "series", "tag"):
                httpx.delete(f"{url}/{kind}/bench-{run}-{name}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--points", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--only", choices=["bigtable", "cassandra", "elasticsearch"])
    parser.add_argument("--index-series", type=int, default=20_000)
    parser.add_argument("--index-concurrency", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()
    ensure([arguments.only] if arguments.only else ["bigtable", "cassandra", "elasticsearch"])
    run_id = uuid.uuid4().hex[:8]
    try:
        asyncio.run(main(arguments, run_id))
    finally:
        cleanup(run_id, arguments.only)
