"""Benchmark: write and fetch rates of the durable backends against the test environment.

Metric backends (Bigtable emulator, Cassandra): ``--series`` series with ``--points`` points
each, written one call per series (``--concurrency`` calls in flight), then fetched back;
prints points/second both ways. Elasticsearch: metadata and suggest writes of new series
(series/second, each a request) and of already-written series (write-cache hits). Uses the
test environment (started unless its variables point elsewhere); names are unique, so runs do
not collide.

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

import numpy as np

from heroic_core.backends.base import MetricBackend
from heroic_core.backends.bigtable.backend import BigtableMetricBackend
from heroic_core.backends.cassandra.backend import CassandraMetricBackend
from heroic_core.backends.elasticsearch.metadata import ElasticsearchMetadataBackend
from heroic_core.backends.elasticsearch.suggest import ElasticsearchSuggestBackend
from heroic_core.config import (
    BigtableMetricConfig,
    DatastaxMetricConfig,
    ElasticsearchMetadataConfig,
    ElasticsearchSuggestConfig,
)
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
    rates = f"write {total / wrote:>10,.0f} points/s   fetch {total / read:>10,.0f} points/s"
    print(f"{name:>14}: {rates}")
    await backend.close()


async def bench_index(name: str, backend: Any, args: argparse.Namespace) -> None:
    await backend.configure()
    run = uuid.uuid4().hex[:6]
    series = [Series("bench", {"host": f"h{i}", "run": run}) for i in range(args.series)]
    window = DateRange(0, 0)
    for label in ("new", "cached"):
        began = time.perf_counter()
        await bounded([lambda s=s: backend.write(s, window) for s in series], args.concurrency)
        took = time.perf_counter() - began
        print(f"{name:>14}: {label:>6} series {len(series) / took:>10,.0f} series/s")
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
        meta = ElasticsearchMetadataConfig.model_validate(
            {
                "type": "elasticsearch",
                "templateName": f"bench-{run}-m",
                "connection": es_connection(f"bench-{run}-m"),
            }
        )
        await bench_index("es metadata", ElasticsearchMetadataBackend(meta), args)
        sugg = ElasticsearchSuggestConfig.model_validate(
            {
                "type": "elasticsearch",
                "templateName": f"bench-{run}-s",
                "connection": es_connection(f"bench-{run}-s"),
            }
        )
        await bench_index("es suggest", ElasticsearchSuggestBackend(sugg), args)


def cleanup(run: str) -> None:
    """Drop what the run created (table, keyspace, indices and templates)."""
    import warnings  # noqa: PLC0415

    from cassandra.cluster import Cluster  # noqa: PLC0415
    from elasticsearch import Elasticsearch  # noqa: PLC0415
    from google.cloud.bigtable import Client  # noqa: PLC0415

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Client(project="bench", admin=True).instance("heroic").table(f"bench-{run}").delete()
    host, port = os.environ["CASSANDRA_CONTACT_POINTS"].rsplit(":", 1)
    cluster = Cluster([(host, int(port))])
    cluster.connect().execute(f"DROP KEYSPACE IF EXISTS bench_{run}")
    cluster.shutdown()
    es = Elasticsearch([os.environ["ELASTICSEARCH_URL"]])
    es.indices.delete(index=f"bench-{run}-*", ignore=[404])
    es.indices.delete_template(name=f"bench-{run}-*", ignore=[404])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--points", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--only", choices=["bigtable", "cassandra", "elasticsearch"])
    arguments = parser.parse_args()
    ensure([arguments.only] if arguments.only else ["bigtable", "cassandra", "elasticsearch"])
    run_id = uuid.uuid4().hex[:8]
    try:
        asyncio.run(main(arguments, run_id))
    finally:
        cleanup(run_id)
