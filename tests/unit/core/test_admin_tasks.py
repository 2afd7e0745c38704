"""The node tasks as a node's admin endpoint runs them (``NodeTaskRunner``): upstream's output
lines, a bad filter is a usage error (exit 2) that changes nothing, a node without consumers
says so (exit 1), refresh reports each backend's readiness and why one is not ready."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from heroic_core.admin.control import CombinedControl, ConsumerControl, Counters, backend_key
from heroic_core.admin.tasks import NodeTaskRunner
from heroic_core.backends.group import BackendGroup, Backends
from heroic_core.backends.memory import (
    MemoryMetadataBackend,
    MemoryMetricBackend,
    MemorySuggestBackend,
)
from heroic_core.filters import TRUE, Filter

pytestmark = pytest.mark.anyio


class Lines:
    def __init__(self) -> None:
        self.out: list[str] = []
        self.err: list[str] = []

    def line(self, text: str = "") -> None:
        self.out.append(text)

    def note(self, text: str) -> None:
        self.err.append(text)


class FakeConsumer:
    def __init__(self, name: str) -> None:
        self._name = name
        self.held = False

    @property
    def name(self) -> str:
        return self._name

    async def pause(self) -> None:
        self.held = True

    async def resume(self) -> None:
        self.held = False

    def counters(self) -> Counters:
        return {"messages_consumed": 7.0}


class UnreachableMetrics(MemoryMetricBackend):
    async def is_ready(self) -> bool:
        raise ConnectionError("connection refused")


class FakeNode:
    def __init__(self, consumers: Sequence[FakeConsumer] = (), backends: Backends | None = None):
        self._consumers = list(consumers)
        self.filter: Filter = TRUE
        self._backends = backends or Backends(
            metrics=BackendGroup.build([MemoryMetricBackend()]),
            metadata=BackendGroup.build([MemoryMetadataBackend()]),
            suggest=BackendGroup.build([MemorySuggestBackend()]),
        )

    @property
    def backends(self) -> Backends | None:
        return self._backends

    def consumers(self) -> Sequence[ConsumerControl]:
        return self._consumers

    def ingestion_filter(self) -> Filter:
        return self.filter

    def set_ingestion_filter(self, value: Filter) -> None:
        self.filter = value

    def ingestion_counters(self) -> Counters:
        return {"samples_filtered": 2.0}

    def backend_counters(self) -> Mapping[str, Counters]:
        metric = self._backends.metrics.members[0].id
        return {backend_key("metrics", metric): {"points_written": 12.0}}

    def request_counters(self) -> Counters:
        return {}


async def _run(node: object, *argv: str) -> tuple[int, Lines]:
    lines = Lines()
    code = await NodeTaskRunner(node).run(list(argv), lines)  # type: ignore[arg-type]
    return code, lines


async def test_pause_and_resume_print_upstreams_header_and_each_consumer() -> None:
    consumer = FakeConsumer("kafka #1 (topics: metrics)")
    node = FakeNode([consumer])
    code, lines = await _run(node, "pause")
    assert code == 0
    assert consumer.held
    assert lines.out[0] == "Pausing Consumers"
    assert lines.out[1].startswith("  kafka #1 (topics: metrics): paused")
    code, lines = await _run(node, "resume")
    assert (code, consumer.held, lines.out[0]) == (0, False, "Resuming Consumers")


async def test_skip_consumers_leaves_them_alone() -> None:
    consumer = FakeConsumer("kafka #1")
    code, lines = await _run(FakeNode([consumer]), "pause", "--skip-consumers")
    assert (code, consumer.held, lines.out) == (0, False, [])


async def test_pause_on_a_node_without_consumers_fails_saying_so() -> None:
    code, lines = await _run(FakeNode(), "pause")
    assert code == 1
    assert lines.err == [
        "error: pause: this node runs no consumers (heroic.yml 'consumers:') to pause"
    ]


async def test_ingestion_filter_prints_then_sets_the_parsed_filter() -> None:
    node = FakeNode()
    code, lines = await _run(node, "ingestion-filter")
    assert (code, lines.out) == (0, ['Current ingestion filter: ["true"]'])
    code, lines = await _run(node, "ingestion-filter", "host", "=", "a", "and", "role", "=", "db")
    assert code == 0
    expected = ["and", ["=", "host", "a"], ["=", "role", "db"]]
    assert node.filter.to_json() == expected
    assert lines.out == [
        'Updating ingestion filter to: ["and", ["=", "host", "a"], ["=", "role", "db"]]'
    ]


async def test_an_invalid_filter_is_a_usage_error_and_keeps_the_old_one() -> None:
    node = FakeNode()
    code, lines = await _run(node, "ingestion-filter", "host", "=")
    assert code == 2
    assert node.filter is TRUE
    assert "invalid filter 'host ='" in lines.err[0]


async def test_statistics_prints_each_section_with_its_counters() -> None:
    code, lines = await _run(FakeNode([FakeConsumer("kafka #1")]), "statistics")
    assert code == 0
    assert lines.out == [
        "Consumers:",
        "  kafka #1: consuming",
        "    messages_consumed=7",
        'Ingestion: filter ["true"]',
        "  samples_filtered=2",
        "Metrics:",
        "  memory (MemoryMetricBackend)",
        "    points_written=12",
        "Metadata:",
        "  memory (MemoryMetadataBackend)",
        "Suggest:",
        "  memory (MemorySuggestBackend)",
    ]


async def test_refresh_rechecks_every_backend_and_says_why_one_is_not_ready() -> None:
    backends = Backends(
        metrics=BackendGroup.build([UnreachableMetrics()]),
        metadata=BackendGroup.build([MemoryMetadataBackend()]),
        suggest=BackendGroup.build([MemorySuggestBackend()]),
    )
    code, lines = await _run(FakeNode(backends=backends), "refresh")
    assert code == 0
    assert "no federation" in lines.out[0]
    assert lines.out[2:] == [
        "  metrics memory: not ready: connection refused",
        "  metadata memory: ready",
        "  suggest memory: ready",
    ]


async def test_unknown_task_is_a_usage_error_listing_the_node_tasks() -> None:
    code, lines = await _run(FakeNode(), "query", "x")
    assert code == 2
    assert lines.err == [
        "error: unknown task 'query' on this node; valid: "
        "ingestion-filter, pause, refresh, resume, statistics"
    ]


async def test_help_prints_the_usage_without_running() -> None:
    consumer = FakeConsumer("kafka #1")
    code, lines = await _run(FakeNode([consumer]), "pause", "--help")
    assert code == 0
    assert not consumer.held
    assert lines.out[0].startswith("usage: pause [-h] [--skip-consumers]")


async def test_combined_control_sets_the_filter_everywhere_and_adds_counters_up() -> None:
    api, consumers = FakeNode(), FakeNode([FakeConsumer("kafka #1")])
    combined = CombinedControl(api, consumers)
    code, _ = await _run(combined, "ingestion-filter", "host", "=", "a")
    assert code == 0
    assert api.filter.to_json() == consumers.filter.to_json() == ["=", "host", "a"]
    assert combined.ingestion_counters() == {"samples_filtered": 4.0}
    assert [c.name for c in combined.consumers()] == ["kafka #1"]
