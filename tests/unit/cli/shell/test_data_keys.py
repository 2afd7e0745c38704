"""``keys``, ``count-data``, ``delete-keys``, ``serialize-key`` and ``deserialize-key`` against
memory backends (keys are series, base 0; no serialized keys), and the key arguments."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from heroic_cli.shell.context import ShellContext
from heroic_core.backends.keyspace import BackendKey, KeyRange
from heroic_core.model import DateRange, Points, Series
from tests.unit.cli.shell.data_support import key_json, metric, pairs, run, series, shell

pytestmark = pytest.mark.anyio

A, B, C = series("a", host="1"), series("b", host="2"), series("c", host="3")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def seeded() -> ShellContext:
    ctx = shell()
    backend = await metric(ctx)
    for n, s in enumerate((C, A, B), 1):
        await backend.write(s, Points.of([(t, float(t)) for t in range(1, n + 1)]))
    return ctx


def key(s: Series) -> str:
    return json.dumps(key_json(s))


async def test_keys_lists_every_series_in_order_as_json() -> None:
    ran = await run(await seeded(), "keys")
    assert ran.code == 0, ran.err
    listed = [json.loads(line) for line in ran.lines[:-1]]
    assert [(k["series"]["key"], k["base"], k["type"]) for k in listed] == [
        ("a", 0, "points"), ("b", 0, "points"), ("c", 0, "points"),
    ]  # fmt: skip
    assert ran.lines[-1] == "Failed Keys: 0/3"


async def test_keys_honours_start_end_and_limit() -> None:
    ctx = await seeded()
    ran = await run(ctx, "keys", "--start", key(B), "--end", key(C))
    assert [json.loads(line)["series"]["key"] for line in ran.lines[:-1]] == ["b"]
    ran = await run(ctx, "keys", "--limit", "2")
    assert ran.lines[-1] == "Failed Keys: 0/2"


async def test_keys_by_token_fail_on_memory_naming_the_backend() -> None:
    ran = await run(await seeded(), "keys", "--start-percentage", "50")
    assert ran.code == 1
    assert "backend memory#0: the memory backend has no token ring" in ran.err


async def test_a_key_with_another_type_is_a_usage_error() -> None:
    bad = json.dumps({**key_json(A), "type": "spreads"})
    ran = await run(shell(), "keys", "--start", bad)
    assert ran.code == 2
    assert "--start: key type must be 'points'" in ran.err


async def test_count_data_sums_the_points_of_the_keys() -> None:
    ctx = await seeded()
    ran = await run(ctx, "count-data", "-k", key(A), "-k", key(C))
    assert ran.code == 0, ran.err
    assert ran.lines[-2:] == ["Finished (resolved: 2, failed: 0, cancelled: 0)", "Total Count: 3"]


async def test_count_data_adds_up_counts_that_finish_concurrently(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ctx = await seeded()
    backend = await metric(ctx)
    real_count = backend.count_key

    async def slow_count(k: BackendKey) -> int:
        await asyncio.sleep(0.01)  # as a real store: the counts overlap
        return await real_count(k)

    monkeypatch.setattr(backend, "count_key", slow_count)
    ran = await run(ctx, "count-data", "-k", key(A), "-k", key(B), "-k", key(C))
    assert ran.lines[-1] == "Total Count: 6"


async def test_count_data_reads_keys_from_a_file(tmp_path: Path) -> None:
    ctx = await seeded()
    listed = await run(ctx, "keys")
    keys_file = tmp_path / "keys.json"
    keys_file.write_text("\n".join(listed.lines[:-1]) + "\n\n")
    ran = await run(ctx, "count-data", "-f", str(keys_file))
    assert ran.lines[-1] == "Total Count: 6"


async def test_count_data_names_the_bad_line_of_a_file(tmp_path: Path) -> None:
    keys_file = tmp_path / "keys.json"
    keys_file.write_text(key(A) + "\n{oops\n")
    ran = await run(shell(), "count-data", "-f", str(keys_file))
    assert ran.code == 2
    assert f"{keys_file}:2: not valid JSON" in ran.err


async def test_count_data_without_keys_is_a_usage_error() -> None:
    ran = await run(shell(), "count-data")
    assert (ran.code, ran.err.strip()) == (2, "error: no keys: give -k <json> or -f <file>")


async def test_delete_keys_without_ok_only_lists_them() -> None:
    ctx = await seeded()
    ran = await run(ctx, "delete-keys", "-k", key(A))
    assert ran.code == 0
    assert ran.lines[0] == "Examples of keys that would have been deleted (use --ok to perform):"
    assert json.loads(ran.lines[1])["series"]["key"] == "a"
    assert (await metric(ctx)).series() == [A, B, C]


async def test_delete_keys_with_ok_deletes_and_reports() -> None:
    ctx = await seeded()
    ran = await run(ctx, "delete-keys", "--ok", "--verbose", "-k", key(B))
    assert ran.code == 0, ran.err
    deleted = ran.lines[0].removeprefix("Deleted: ").removesuffix(" (3)")
    assert json.loads(deleted)["series"] == B.to_json()
    assert ran.lines[-1] == "Finished (resolved: 1, failed: 0, cancelled: 0)"
    backend = await metric(ctx)
    assert backend.series() == [A, C]
    assert pairs(await backend.fetch(B, DateRange(0, 10))) == []


async def test_serialize_key_fails_on_memory_saying_why() -> None:
    ran = await run(shell(), "serialize-key", key(A))
    assert ran.code == 1
    assert "backend memory#0 (MemoryMetricBackend) has no serialized row keys" in ran.err


async def test_deserialize_key_rejects_what_is_not_hex() -> None:
    ran = await run(shell(), "deserialize-key", "0xzz")
    assert ran.code == 2
    assert "'0xzz' is not hexadecimal" in ran.err


async def test_deserialize_key_without_a_key_does_nothing() -> None:
    ran = await run(shell(), "deserialize-key")
    assert (ran.code, ran.out) == (0, "")


async def test_memory_delete_keeps_a_series_with_the_same_id_readable() -> None:
    # "ab" + tags {"c": ""} and "a" + {"bc": ""} hash the same text: the memory store's
    # collision path must survive deleting the first of them.
    first, second = series("ab", c=""), series("a", bc="")
    assert first.id == second.id
    ctx = shell()
    backend = await metric(ctx)
    await backend.write(first, Points.of([(1, 1.0)]))
    await backend.write(second, Points.of([(2, 2.0)]))
    await backend.delete_key(BackendKey(first, 0))
    assert pairs(await backend.fetch(second, DateRange(0, 5))) == [(2, 2.0)]
    assert [k async for k in backend.scan_keys(KeyRange())] == [BackendKey(second, 0)]
