"""The shell's data tasks against the test environment's Cassandra (group ``old``), Bigtable
emulator (group ``new``) and Elasticsearch (metadata and suggest): writing and fetching, the
row-key tasks on both metric stores, and ``data-migrate`` from Cassandra to Bigtable.

Each test uses its own keyspace, table and index prefix, dropped at the end.
"""

from __future__ import annotations

import json
import os
import uuid
import warnings
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from heroic_cli.shell.context import ShellContext
from heroic_core.backends.base import KeyScanner, MetricBackend
from heroic_core.backends.cassandra.keys import ROW_WIDTH
from heroic_core.backends.keyspace import BackendKey, KeyRange
from heroic_core.config import HeroicConfig
from heroic_core.model import DateRange, Points, Series
from tests.integration.backends.search_engines import drop_prefix
from tests.integration.backends.test_metric_contract import drop_keyspace
from tests.unit.cli.shell.data_support import key_json, pairs, run, shell

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.cassandra,
    pytest.mark.bigtable,
    pytest.mark.elasticsearch,
]

EVERYTHING = DateRange(-1, 2**40)
#: Points on both sides of a Cassandra partition (2^31 - 1 ms) and a Bigtable row (2^32 ms).
TIMES = (1_000, 2**31 - 2, 2**31 + 5, 2**32 + 7)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass(frozen=True)
class Stores:
    keyspace: str
    table: str
    prefix: str

    def config(self) -> HeroicConfig:
        es = {
            "index": {"type": "rotating", "pattern": f"{self.prefix}-%s", "interval": "7d"},
            "client": {"type": "rest", "seeds": [os.environ["ELASTICSEARCH_URL"]]},
        }
        cassandra = {
            "type": "datastax", "id": "cassandra", "groups": ["old"], "configure": True,
            "seeds": [os.environ["CASSANDRA_CONTACT_POINTS"]],
            "schema": {"keyspace": self.keyspace,
                       "replication": {"class": "SimpleStrategy", "replication_factor": 1}},
        }  # fmt: skip
        bigtable = {
            "type": "bigtable", "id": "bigtable", "groups": ["new"], "configure": True,
            "project": "heroic-test", "instance": "heroic", "table": self.table,
            "emulatorEndpoint": os.environ["BIGTABLE_EMULATOR_HOST"],
        }  # fmt: skip
        index: dict[str, Any] = {"type": "elasticsearch", "configure": True, "connection": es}
        return HeroicConfig.from_dict(
            {
                "metrics": {"backends": [cassandra, bigtable], "defaultBackends": ["old"]},
                "metadata": {"backends": [index | {"templateName": f"{self.prefix}-metadata"}]},
                "suggest": {"backends": [index | {"templateName": f"{self.prefix}-suggest"}]},
            }
        )

    def drop(self) -> None:
        from google.cloud.bigtable import Client  # noqa: PLC0415

        drop_keyspace(self.keyspace)
        drop_prefix(os.environ["ELASTICSEARCH_URL"], f"{self.prefix}-")
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Connecting to Bigtable emulator")
            client = Client(project="heroic-test", admin=True)  # type: ignore[no-untyped-call]
            table = client.instance("heroic").table(self.table)  # type: ignore[no-untyped-call]
            if table.exists():
                table.delete()


@pytest.fixture
async def ctx() -> AsyncIterator[ShellContext]:
    name = uuid.uuid4().hex[:10]
    stores = Stores(f"shell_{name}", f"shell-{name}", f"shell-{name}")
    context = shell(stores.config())
    try:
        yield context
    finally:
        await context.close()
        stores.drop()


async def store(ctx: ShellContext, group: str) -> MetricBackend:
    (backend,) = (await ctx.backends()).metrics.use(group)
    return backend


async def seed(ctx: ShellContext, group: str, count: int) -> list[Series]:
    backend = await store(ctx, group)
    made = [Series(f"shell-{i:02d}", {"host": f"h{i % 3}"}, {"pod": str(i)}) for i in range(count)]
    for i, series in enumerate(made):
        await backend.write(series, Points.of([(t, float(i) + t / 1e10) for t in TIMES]))
    return made


async def test_write_goes_to_cassandra_and_elasticsearch_and_fetch_reads_it(
    ctx: ShellContext,
) -> None:
    cpu = json.dumps({"key": "cpu", "tags": {"host": "a"}})
    ran = await run(ctx, "write", "-s", cpu, "-p", "1000=1", "-p", "2000=2")
    assert ran.code == 0, ran.err
    assert "metrics: Wrote 3" in ran.lines  # cassandra, metadata and suggest
    ran = await run(ctx, "fetch", "-s", cpu, "--start", "0", "--end", "5000")
    assert ran.code == 0, ran.err
    assert [line.strip() for line in ran.lines if "Point(" in line] == [
        "00:00:01.000: Point(timestamp=1000, value=1.0)",
        "00:00:02.000: Point(timestamp=2000, value=2.0)",
    ]
    assert ran.lines[-1].startswith("  cassandra: 2 in ")


@pytest.mark.parametrize(("group", "rows"), [("old", 3), ("new", 2)])
async def test_row_key_tasks_list_count_serialize_and_delete(
    ctx: ShellContext, group: str, rows: int
) -> None:
    (only,) = await seed(ctx, group, 1)  # Cassandra: 3 partitions, Bigtable: 2 rows
    ran = await run(ctx, "keys", "-g", group)
    assert ran.code == 0, ran.err
    keys = [json.loads(line) for line in ran.lines[:-1]]
    assert ran.lines[-1] == f"Failed Keys: 0/{rows}"
    assert {k["series"]["key"] for k in keys} == {only.key}
    first = json.dumps(keys[0])

    serialized = await run(ctx, "serialize-key", "--group", group, first)
    assert serialized.code == 0, serialized.err
    hex_key = serialized.lines[0].removeprefix("0: ")
    back = await run(ctx, "deserialize-key", "--group", group, hex_key)
    decoded = json.loads(back.lines[0].removeprefix("0: "))
    assert (decoded["series"], decoded["base"]) == (keys[0]["series"], keys[0]["base"])

    every = [arg for k in keys for arg in ("-k", json.dumps(k))]
    counted = await run(ctx, "count-data", "-g", group, *every)
    assert counted.lines[-1] == f"Total Count: {len(TIMES)}"

    listed = await run(ctx, "delete-keys", "-g", group, "-k", first)
    assert listed.lines[0].startswith("Examples of keys that would have been deleted")
    assert (await run(ctx, "keys", "-g", group)).lines[-1] == f"Failed Keys: 0/{rows}"
    deleted = await run(ctx, "delete-keys", "-g", group, "--ok", "-k", first)
    assert deleted.lines[-1] == "Finished (resolved: 1, failed: 0, cancelled: 0)"
    assert (await run(ctx, "keys", "-g", group)).lines[-1] == f"Failed Keys: 0/{rows - 1}"


async def test_bigtable_refuses_token_bounds_naming_the_backend(ctx: ShellContext) -> None:
    ran = await run(ctx, "keys", "-g", "new", "--start-token", "0")
    assert ran.code == 1
    assert "backend bigtable: Bigtable orders rows by row key and has no token ring" in ran.err


async def test_migrate_from_cassandra_to_bigtable_reads_back_equal(ctx: ShellContext) -> None:
    made = await seed(ctx, "old", 12)
    ran = await run(ctx, "data-migrate", "-f", "old", "-t", "new", "--parallelism", "4")
    assert ran.code == 0, ran.err
    copied = len(made) * len(TIMES)
    assert f"copied {len(made)} series ({len(made) * 3} keys, {copied} points)" in ran.lines[0]
    source, target = await store(ctx, "old"), await store(ctx, "new")
    for series in made:
        expected = pairs(await source.fetch(series, EVERYTHING))
        assert len(expected) == len(TIMES)
        assert pairs(await target.fetch(series, EVERYTHING)) == expected
    assert (await run(ctx, "keys", "-g", "old")).lines[-1] == f"Failed Keys: 0/{len(made) * 3}"


async def test_migrate_resumes_from_a_cassandra_token(ctx: ShellContext) -> None:
    await seed(ctx, "old", 6)
    source = await store(ctx, "old")
    assert isinstance(source, KeyScanner)
    ordered = [k async for k in source.scan_keys(KeyRange())]
    assert all(isinstance(k, BackendKey) and k.token is not None for k in ordered)
    resume = ordered[7]
    assert isinstance(resume, BackendKey)
    argv = ["-f", "old", "-t", "new", "--start-token", str(resume.token)]
    ran = await run(ctx, "data-migrate", *argv)
    assert ran.code == 0, ran.err
    target = await store(ctx, "new")
    for key in ordered:
        assert isinstance(key, BackendKey)
        partition = DateRange(key.base - 1, key.base + ROW_WIDTH - 1)
        copied = pairs(await target.fetch(key.series, partition))
        wanted = pairs(await source.fetch(key.series, partition)) if key in ordered[7:] else []
        assert copied == wanted, key_json(key.series, key.base)
