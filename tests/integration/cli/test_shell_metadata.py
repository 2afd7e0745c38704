"""The shell's metadata and suggest tasks against the test environment's Elasticsearch.

Each test gets Elasticsearch metadata and suggest backends (group ``elasticsearch``, the
default) in indices of its own (uuid prefix, dropped afterwards), configured when the shell
opens them, beside memory ones (group ``memory``) to migrate from. Cassandra and Bigtable hold
metrics only, so these tasks never touch them.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from heroic_cli.shell.context import ShellContext
from heroic_core.backends.elasticsearch.metadata import ElasticsearchMetadataBackend
from heroic_core.backends.elasticsearch.suggest import ElasticsearchSuggestBackend
from heroic_core.filters import TRUE
from heroic_core.model import Series
from tests.integration.backends.search_engines import drop_prefix
from tests.unit.cli.shell.metadata_support import ANY_TIME, SERIES, Result, context, index, run

pytestmark = [pytest.mark.elasticsearch, pytest.mark.anyio]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _elasticsearch(prefix: str, id: str, seed: str) -> dict[str, Any]:
    return {
        "type": "elasticsearch",
        "id": id,
        "configure": True,
        "templateName": prefix,
        "connection": {
            "index": {"type": "rotating", "pattern": f"{prefix}-%s", "interval": "7d"},
            "client": {"type": "rest", "seeds": [seed]},
        },
    }


def _section(kind: str, prefix: str) -> dict[str, Any]:
    url = os.environ["ELASTICSEARCH_URL"]
    return {
        "backends": [
            _elasticsearch(f"{prefix}-{kind}", f"es-{kind}", url),
            {"type": "memory", "id": f"memory-{kind}"},
        ],
        "defaultBackends": ["elasticsearch"],
    }


@pytest.fixture
async def shell() -> AsyncIterator[ShellContext]:
    prefix = f"test-shell-{uuid.uuid4().hex[:10]}"
    ctx = context(
        {
            "metrics": {"backends": [{"type": "memory"}]},
            "metadata": _section("metadata", prefix),
            "suggest": _section("suggest", prefix),
        }
    )
    await ctx.backends()
    yield ctx
    await ctx.close()
    drop_prefix(os.environ["ELASTICSEARCH_URL"], f"{prefix}-")


async def settle(ctx: ShellContext) -> None:
    """Make what was indexed searchable (Elasticsearch refreshes about once a second)."""
    backends = await ctx.backends()
    for backend in (*backends.metadata.members, *backends.suggest.members):
        if isinstance(backend, ElasticsearchMetadataBackend | ElasticsearchSuggestBackend):
            await backend.refresh()


async def loaded(ctx: ShellContext, tmp_path: Path) -> Result:
    path = tmp_path / "series.json"
    path.write_text("".join(json.dumps(s.to_json()) + "\n" for s in SERIES))
    result = await run(ctx, "metadata-load", "-f", str(path))
    await settle(ctx)
    return result


def numbered(result: Result) -> list[Any]:
    return [json.loads(line.split(": ", 1)[1]) for line in result.lines]


async def test_metadata_load_indexes_into_elasticsearch(
    shell: ShellContext, tmp_path: Path
) -> None:
    result = await loaded(shell, tmp_path)
    assert "  to (metadata): es-metadata" in result.lines
    assert "  to (suggest): es-suggest" in result.lines
    assert (await run(shell, "metadata-count")).lines == ["Found 3 serie(s)"]
    found = await run(shell, "metadata-find-series", "host", "=", "a")
    assert found.lines == ["cpu {host=a, role=web} {}", '"memory used" {host=a} {pod=x}']


async def test_metadata_read_tasks_answer_from_elasticsearch(
    shell: ShellContext, tmp_path: Path
) -> None:
    await loaded(shell, tmp_path)
    entries = await run(shell, "metadata-entries", "$key", "=", "cpu")
    ids = await run(shell, "metadata-find-series-ids", "$key", "=", "cpu")
    tags = await run(shell, "metadata-tags", "role", "~", '"w.*"')
    assert [json.loads(line) for line in entries.lines] == [s.to_json() for s in SERIES[:2]]
    assert sorted(ids.lines) == sorted(s.id for s in SERIES[:2])
    assert json.loads(tags.lines[0])["tags"] == {"host": ["a"], "role": ["web"]}


async def test_suggest_tasks_answer_from_elasticsearch(shell: ShellContext, tmp_path: Path) -> None:
    await loaded(shell, tmp_path)
    keys = numbered(await run(shell, "suggest-key", "-k", "cpu"))
    tag = numbered(await run(shell, "suggest-tag", "-k", "role", "-v", "web"))
    values = await run(shell, "suggest-tag-value", "-k", "host")
    per_key = numbered(await run(shell, "suggest-tag-values", "-e", "role"))
    counts = numbered(await run(shell, "suggest-tag-key-count"))
    assert keys[0]["key"] == "cpu"
    assert (tag[0]["key"], tag[0]["value"]) == ("role", "web")
    assert values.lines == ["0: a", "1: b"]
    assert per_key == [{"key": "host", "values": ["a", "b"], "limited": False}]
    assert {c["key"]: c["count"] for c in counts} == {"host": 2, "role": 2}


async def test_metadata_migrate_copies_from_memory_to_elasticsearch(shell: ShellContext) -> None:
    await index(shell, *SERIES, group="memory")
    result = await run(shell, "metadata-migrate", "-g", "memory", "-t", "elasticsearch", "--ok")
    await settle(shell)
    assert result.lines[-1] == "3/3 ended (nothing was deleted from memory)"
    es, memory = (await shell.backends()).metadata.members
    assert set((await es.find_series(TRUE, ANY_TIME)).series) == set(SERIES)
    assert (await memory.count_series(TRUE, ANY_TIME)).count == 3


async def test_metadata_delete_lists_then_deletes_in_elasticsearch(
    shell: ShellContext, tmp_path: Path
) -> None:
    await loaded(shell, tmp_path)
    listed = await run(shell, "metadata-delete", "role", "=", "db")
    assert listed.lines == [
        "Deleting 1 entrie(s)",
        "cpu {host=b, role=db} {}",
        "Deletion stopped, use --ok to proceed",
    ]
    deleted = await run(shell, "metadata-delete", "--ok", "role", "=", "db")
    await settle(shell)
    assert deleted.lines[-1] == "Deleted 1 serie(s) from es-metadata"
    assert (await run(shell, "metadata-count")).lines == ["Found 2 serie(s)"]


async def test_metadata_write_indexes_one_series(shell: ShellContext) -> None:
    result = await run(shell, "metadata-write", "-s", '{"key": "disk", "tags": {"dev": "sda"}}')
    await settle(shell)
    assert result.lines[0].endswith("to es-metadata")
    found = await run(shell, "metadata-fetch")
    assert numbered(found) == [Series("disk", {"dev": "sda"}).to_json()]


async def test_a_filter_elasticsearch_cannot_run_fails_naming_the_backend(
    shell: ShellContext,
) -> None:
    # Lucene regexps have no lookahead: the backend refuses, the task says which and why.
    result = await run(shell, "metadata-count", "host", "~", '"(?=a)a"')
    assert result.code == 1
    assert result.err.startswith("error: metadata-count: backend es-metadata: ")


async def test_an_unreachable_elasticsearch_fails_the_task_naming_it() -> None:
    dead = _elasticsearch(f"test-shell-{uuid.uuid4().hex[:10]}", "es-dead", "127.0.0.1:1")
    ctx = context({"metadata": {"backends": [{**dead, "configure": False}]}})
    try:
        result = await run(ctx, "metadata-count")
    finally:
        await ctx.close()
    assert result.code == 1
    assert result.err.startswith("error: metadata-count: backend es-dead: ")
    assert "Cannot connect" in result.err
