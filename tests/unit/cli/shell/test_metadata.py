"""The metadata shell tasks against memory backends: what each prints and what it changes."""

from __future__ import annotations

import json

import pytest

from heroic_core.filters import TRUE
from heroic_core.model import Series
from tests.unit.cli.shell.metadata_support import (
    ANY_TIME,
    SERIES,
    context,
    index,
    memory_groups,
    run,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_metadata_count_counts_the_series_a_filter_matches() -> None:
    ctx = context()
    await index(ctx, *SERIES)
    result = await run(ctx, "metadata-count", "$key", "=", "cpu")
    assert (result.code, result.lines) == (0, ["Found 2 serie(s)"])


async def test_metadata_count_says_when_the_limit_cut_the_count() -> None:
    ctx = context()
    await index(ctx, *SERIES)
    result = await run(ctx, "metadata-count", "--limit", "1")
    assert result.lines == ["Found 1 serie(s) (limited)"]


async def test_a_bad_filter_is_a_usage_error_naming_the_filter() -> None:
    result = await run(context(), "metadata-count", "host", "=")
    assert result.code == 2
    assert "filter 'host ='" in result.err


async def test_an_unknown_group_is_a_usage_error_naming_the_valid_ones() -> None:
    ctx = context(memory_groups("old", "new"))
    result = await run(ctx, "metadata-fetch", "-g", "other")
    assert result.code == 2
    assert "unknown metadata group 'other'; valid: new, old" in result.err


async def test_a_negative_limit_is_a_usage_error() -> None:
    result = await run(context(), "metadata-fetch", "--limit", "-3")
    assert result.code == 2
    assert "must not be negative" in result.err


async def test_metadata_delete_without_ok_lists_and_keeps_the_series() -> None:
    ctx = context()
    await index(ctx, *SERIES)
    result = await run(ctx, "metadata-delete", "host", "=", "a")
    assert result.code == 0
    assert result.lines == [
        "Deleting 2 entrie(s)",
        "cpu {host=a, role=web} {}",
        '"memory used" {host=a} {pod=x}',
        "Deletion stopped, use --ok to proceed",
    ]
    backend = (await ctx.backends()).metadata.members[0]
    assert (await backend.count_series(TRUE, ANY_TIME)).count == 3


async def test_metadata_delete_with_ok_deletes_and_says_from_where() -> None:
    ctx = context()
    await index(ctx, *SERIES)
    result = await run(ctx, "metadata-delete", "--ok", "host", "=", "a")
    assert result.lines == ["Deleting 2 entrie(s)", "Deleted 2 serie(s) from memory#0"]
    backend = (await ctx.backends()).metadata.members[0]
    assert (await backend.find_series(TRUE, ANY_TIME)).series == (SERIES[1],)


async def test_metadata_delete_failing_midway_reports_what_was_deleted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ctx = context(memory_groups("a", "b", default=None))
    await index(ctx, *SERIES, group="a")
    await index(ctx, *SERIES, group="b")
    second = (await ctx.backends()).metadata.members[1]

    async def broken(*_: object) -> int:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(second, "delete_series", broken)
    result = await run(ctx, "metadata-delete", "--ok")
    assert result.code == 1
    assert "backend metadata-b: disk on fire; already deleted: 3 from metadata-a" in result.err


async def test_metadata_entries_prints_each_series_as_json() -> None:
    ctx = context()
    await index(ctx, *SERIES)
    result = await run(ctx, "metadata-entries", "$key", "=", "cpu")
    assert [json.loads(line) for line in result.lines] == [s.to_json() for s in SERIES[:2]]


async def test_metadata_entries_analytics_gives_the_tag_hash_and_the_series() -> None:
    ctx = context()
    await index(ctx, SERIES[2])
    (line,) = (await run(ctx, "metadata-entries", "--analytics")).lines
    printed = json.loads(line)
    assert printed["id"] == SERIES[2].tag_hash()
    assert Series.from_json(json.loads(printed["series"])) == SERIES[2]


async def test_metadata_fetch_numbers_the_series() -> None:
    ctx = context()
    await index(ctx, *SERIES)
    lines = (await run(ctx, "metadata-fetch", "--limit", "2")).lines
    assert [line.split(": ", 1)[0] for line in lines] == ["0", "1"]
    assert json.loads(lines[1].split(": ", 1)[1]) == SERIES[1].to_json()


async def test_metadata_find_series_prints_dsl_by_default_and_json_on_request() -> None:
    ctx = context()
    await index(ctx, *SERIES)
    dsl = await run(ctx, "metadata-find-series", "role", "=", "db")
    as_json = await run(ctx, "metadata-find-series", "-F", "json", "role", "=", "db")
    assert dsl.lines == ["cpu {host=b, role=db} {}"]
    assert [json.loads(line) for line in as_json.lines] == [SERIES[1].to_json()]


async def test_metadata_find_series_rejects_an_unknown_format() -> None:
    result = await run(context(), "metadata-find-series", "-F", "xml")
    assert result.code == 2
    assert "invalid choice: 'xml'" in result.err


async def test_metadata_find_series_ids_prints_the_series_ids() -> None:
    ctx = context()
    await index(ctx, *SERIES)
    result = await run(ctx, "metadata-find-series-ids", "host", "=", "a")
    assert sorted(result.lines) == sorted([SERIES[0].id, SERIES[2].id])


async def test_metadata_tags_prints_every_tag_with_its_values() -> None:
    ctx = context()
    await index(ctx, *SERIES)
    (line,) = (await run(ctx, "metadata-tags")).lines
    assert json.loads(line) == {"size": 2, "tags": {"host": ["a", "b"], "role": ["db", "web"]}}


async def test_metadata_write_indexes_the_series_in_the_group() -> None:
    ctx = context(memory_groups("old", "new"))
    result = await run(ctx, "metadata-write", "-g", "new", "-s", '{"key": "k", "tags": {"t": "v"}}')
    assert result.lines == [
        f"Wrote k {{t=v}} {{}} (id {Series('k', {'t': 'v'}).id}) to metadata-new"
    ]
    old, new = (await ctx.backends()).metadata.members
    assert (await new.find_series(TRUE, ANY_TIME)).series == (Series("k", {"t": "v"}),)
    assert (await old.count_series(TRUE, ANY_TIME)).count == 0


async def test_metadata_write_rejects_a_bad_series() -> None:
    result = await run(context(), "metadata-write", "-s", '{"tags": {}}')
    assert result.code == 2
    assert "--series: not a series (series key must be a string)" in result.err


async def test_metadata_write_skips_a_series_the_ingestion_filter_rejects() -> None:
    ctx = context({**memory_groups("m"), "ingestion": {"filter": "$key = wanted"}})
    result = await run(ctx, "metadata-write", "-s", '{"key": "other"}')
    assert result.lines == ["Not written: other {} {} does not match ingestion.filter "
                            "($key = wanted)"]  # fmt: skip
    backend = (await ctx.backends()).metadata.members[0]
    assert (await backend.count_series(TRUE, ANY_TIME)).count == 0


async def test_no_metadata_backend_fails_the_task_with_the_reason() -> None:
    ctx = context({"metadata": {"backends": []}})
    result = await run(ctx, "metadata-count")
    assert result.code == 1
    assert "no metadata backend is configured" in result.err
