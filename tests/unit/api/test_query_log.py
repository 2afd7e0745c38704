"""Query logging through the HTTP API (heroic.yml ``queryLogging``): one JSON line per query,
in our log format, on the configured logger and level; nothing without the section."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient

from heroic_core.logging import JsonFormatter

from .cache_helpers import MEMORY_CACHE, cache_client
from .helpers import CLIENT, query, write

START, END = 600_000, 720_000
BODY: dict[str, Any] = {
    "range": {"type": "absolute", "start": START, "end": END},
    "aggregation": {"type": "average", "sampling": {"unit": "MINUTES", "value": 1}},
    "filter": ["=", "host", "a"],
    "clientContext": {"dashboard": "cpu", "panel": 3},
}
POINTS = [(START + 10_000 * i, float(i)) for i in range(1, 13)]
DEFAULT_LOGGER = "com.spotify.heroic.query_logging"


class Lines:
    """JSON lines a logger wrote, formatted as our processes format them."""

    def __init__(self, name: str) -> None:
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(JsonFormatter())
        self.logger = logging.getLogger(name)
        self.logger.addHandler(self.handler)

    def parsed(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]

    def close(self) -> None:
        self.logger.removeHandler(self.handler)


@pytest.fixture
def lines() -> Iterator[Lines]:
    captured = Lines(DEFAULT_LOGGER)
    yield captured
    captured.close()


@contextmanager
def seeded(extra: dict[str, Any]) -> Iterator[TestClient]:
    """A running app with ``extra`` config holding cpu{host=a} and cpu{host=b}."""
    with cache_client(extra) as client:
        write(client, "cpu", {"host": "a"}, POINTS)
        write(client, "cpu", {"host": "b"}, POINTS)
        yield client


@pytest.fixture
def logged() -> Iterator[TestClient]:
    with seeded({"queryLogging": {"type": "slf4j"}}) as client:
        yield client


def test_each_query_writes_one_json_line_with_its_fields(logged: TestClient, lines: Lines) -> None:
    answer = query(logged, BODY)
    (line,) = lines.parsed()
    assert line["logger"] == DEFAULT_LOGGER
    assert line["level"] == "DEBUG"  # upstream's default level, TRACE
    assert line["message"] == "Query answered"
    assert line["queryId"] == answer["queryId"]
    assert line["clientId"] == CLIENT["X-Client-Id"]
    assert line["clientContext"] == {"dashboard": "cpu", "panel": 3}
    assert line["query"] == {
        "source": "points",
        "filter": ["=", "host", "a"],
        "aggregation": {"type": "average", "size": {"duration": 1, "unit": "MINUTES"}},
        "range": {"type": "absolute", "start": START, "end": END},
        "features": [],
    }
    assert line["range"] == answer["range"]
    assert (line["series"], line["points"], line["groups"]) == (1, len(POINTS), 1)
    assert isinstance(line["durationMs"], float)
    assert line["durationMs"] >= 0
    assert (line["errors"], line["cached"]) == ([], False)


def test_a_query_answered_from_the_cache_logs_cached_and_fetches_nothing(lines: Lines) -> None:
    with seeded({**MEMORY_CACHE, "queryLogging": {"type": "slf4j"}}) as client:
        query(client, BODY)
        query(client, BODY)
    first, second = lines.parsed()
    assert (first["cached"], first["series"], first["points"]) == (False, 1, len(POINTS))
    assert (second["cached"], second["series"], second["points"]) == (True, 0, 0)
    assert second["groups"] == 1


def test_a_failing_query_is_logged_with_its_error(logged: TestClient, lines: Lines) -> None:
    query(logged, {"aggregation": BODY["aggregation"]}, status=400)
    (line,) = lines.parsed()
    assert line["message"] == "Query failed"
    assert line["errors"] == [{"type": "RequestError", "error": "Range must be present"}]
    assert line["range"] is None


def test_result_errors_are_logged(logged: TestClient, lines: Lines) -> None:
    answer = query(logged, {**BODY, "options": {"dataLimit": 3}})
    (line,) = lines.parsed()
    assert answer["errors"]
    assert line["errors"] == answer["errors"]


def test_each_query_of_a_batch_is_logged_with_its_own_context(
    logged: TestClient, lines: Lines
) -> None:
    batch = {
        "queries": {
            "one": {**BODY, "clientContext": {"panel": 1}},
            "two": {**BODY, "clientContext": {"panel": 2}},
        }
    }
    response = logged.post("/query/batch", json=batch, headers=CLIENT)
    assert response.status_code == 200, response.text
    ids = {r["queryId"] for r in response.json()["results"].values()}
    logged_lines = lines.parsed()
    assert sorted(line["clientContext"]["panel"] for line in logged_lines) == [1, 2]
    assert {line["queryId"] for line in logged_lines} == ids


def test_hql_queries_are_logged_too(logged: TestClient, lines: Lines) -> None:
    headers = {**CLIENT, "Content-Type": "text/plain"}
    text = "average(1m) from points(600000, 720000) where host = a"
    response = logged.post("/query/metrics", content=text, headers=headers)
    assert response.status_code == 200, response.text
    (line,) = lines.parsed()
    assert line["query"]["filter"] == ["=", "host", "a"]
    assert line["clientContext"] is None


def test_the_logger_name_and_level_come_from_the_config() -> None:
    captured = Lines("my.queries")
    config = {"queryLogging": {"type": "slf4j", "name": "my.queries", "level": "warn"}}
    try:
        with seeded(config) as client:
            query(client, BODY)
    finally:
        captured.close()
    (line,) = captured.parsed()
    assert (line["logger"], line["level"]) == ("my.queries", "WARNING")


def test_without_the_section_nothing_is_logged(lines: Lines) -> None:
    with seeded({}) as client:
        query(client, BODY)
    assert lines.parsed() == []
