"""The suggest shell tasks against memory backends: numbered lines, one suggestion each."""

from __future__ import annotations

import json
from typing import Any

import pytest

from heroic_core.model import Series
from tests.unit.cli.shell.metadata_support import SERIES, context, index, memory_groups, run

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def numbered(lines: list[str]) -> list[Any]:
    """The suggestions of ``i: <json>`` lines, checking the numbering."""
    parsed = [line.split(": ", 1) for line in lines]
    assert [n for n, _ in parsed] == [str(i) for i in range(len(lines))]
    return [json.loads(text) for _, text in parsed]


async def suggested(*argv: str) -> list[Any]:
    ctx = context()
    await index(ctx, *SERIES)
    result = await run(ctx, *argv)
    assert result.code == 0, result.err
    return numbered(result.lines)


async def test_suggest_key_suggests_keys_matching_the_context() -> None:
    found = await suggested("suggest-key", "-k", "cp")
    assert [s["key"] for s in found] == ["cpu"]
    assert found[0]["score"] > 0


async def test_suggest_key_keeps_to_the_limit() -> None:
    assert len(await suggested("suggest-key", "--limit", "1")) == 1


async def test_suggest_tag_suggests_pairs_for_key_and_value() -> None:
    found = await suggested("suggest-tag", "-k", "host", "-v", "a")
    assert [(s["key"], s["value"]) for s in found] == [("host", "a")]


async def test_suggest_tag_key_count_counts_values_and_lists_few_ones() -> None:
    found = await suggested("suggest-tag-key-count")
    assert found == [
        {"key": "host", "count": 2, "exactValues": ["a", "b"]},
        {"key": "role", "count": 2, "exactValues": ["db", "web"]},
    ]


async def test_suggest_tag_key_count_leaves_out_values_past_the_exact_limit() -> None:
    found = await suggested("suggest-tag-key-count", "--exact-limit", "1")
    assert [s.get("exactValues") for s in found] == [None, None]


async def test_suggest_tag_value_prints_plain_values() -> None:
    ctx = context()
    await index(ctx, *SERIES)
    result = await run(ctx, "suggest-tag-value", "-k", "host")
    assert result.lines == ["0: a", "1: b"]


async def test_suggest_tag_values_excludes_keys_and_cuts_per_key() -> None:
    excluded = await suggested("suggest-tag-values", "-e", "role")
    cut = await suggested("suggest-tag-values", "--group-limit", "1", "$key", "=", "cpu")
    assert excluded == [{"key": "host", "values": ["a", "b"], "limited": False}]
    assert [(s["key"], len(s["values"]), s["limited"]) for s in cut] == [
        ("host", 1, True),
        ("role", 1, True),
    ]


async def test_suggest_tasks_use_the_chosen_group_only() -> None:
    ctx = context(memory_groups("old", "new", default="old"))
    await index(ctx, Series("in-old"), group="old")
    await index(ctx, Series("in-new"), group="new")
    result = await run(ctx, "suggest-key", "-g", "new", "-k", "in")
    assert [s["key"] for s in numbered(result.lines)] == ["in-new"]


async def test_suggest_with_an_unknown_group_names_the_valid_ones() -> None:
    result = await run(context(), "suggest-tag-value", "-g", "x")
    assert result.code == 2
    assert "unknown suggest group 'x'; valid: memory" in result.err
