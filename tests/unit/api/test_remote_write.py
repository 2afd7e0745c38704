"""``POST /api/v1/write``: Prometheus remote write 1.0 into the memory backends, read back through
``/query/metrics`` and ``/metadata``; refused requests write nothing; backend failures are 5xx."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from heroic_api.main import create_app
from heroic_api.metrics import RequestMetrics
from heroic_api.services.prometheus.remote_write import (
    MAX_DECOMPRESSED,
    RemoteWriteRejectedError,
    RemoteWriteService,
    read_at_most,
)
from heroic_api.services.write import WriteService
from heroic_api.settings import IngestionSettings
from heroic_core.backends.errors import BackendRejectedError, BackendUnavailableError
from heroic_core.backends.group import BackendGroup, Backends
from heroic_core.backends.memory import MemoryMetadataBackend, MemoryMetricBackend
from heroic_core.config import HeroicConfig
from heroic_core.model import DateRange, Points, Series, SeriesBatch
from heroic_core.promql.names import NameEscaping

from .helpers import query
from .remote_write_helpers import STALE_NAN, V1_HEADERS, body, request, snappy

PATH = "/api/v1/write"
RANGE = {"type": "absolute", "start": 0, "end": 600_000}
CPU_A = ([("__name__", "cpu"), ("host", "a")], [(3000, 3.0), (1000, 1.0)])
CPU_B = ([("__name__", "cpu"), ("host", "b")], [(2000, 20.0)])


def _post(client: TestClient, content: bytes, headers: dict[str, str] | None = None) -> Any:
    """POST ``content`` with Prometheus' headers, overridden by ``headers`` ("" drops one)."""
    merged = {**V1_HEADERS, **(headers or {})}
    return client.post(PATH, content=content, headers={k: v for k, v in merged.items() if v})


def _series(client: TestClient) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = client.post("/metadata/series", json={}).json()["series"]
    return sorted(found, key=lambda s: sorted(s["tags"].items()))


def _received(client: TestClient) -> dict[tuple[str, str], float]:
    """Remote write's counters from ``GET /metrics``: (name, label value) -> value."""
    out: dict[tuple[str, str], float] = {}
    for family in text_string_to_metric_families(client.get("/metrics").text):
        for sample in family.samples:
            if sample.name.startswith("heroic_remote_write") and sample.name.endswith("_total"):
                label = next(iter(sample.labels.values()), "")
                out[(sample.name, label)] = sample.value
    return out


def test_written_series_are_read_back_through_query_and_metadata(client: TestClient) -> None:
    response = _post(client, body(CPU_A, CPU_B))
    assert response.status_code == 204, response.text
    assert response.content == b""
    assert response.headers["X-Prometheus-Remote-Write-Samples-Written"] == "3"
    result = query(client, {"range": RANGE, "filter": ["=", "host", "a"]})["result"]
    assert [r["values"] for r in result] == [[[1000, 1.0], [3000, 3.0]]]
    assert [s["tags"] for s in _series(client)] == [{"host": "a"}, {"host": "b"}]
    assert {s["key"] for s in _series(client)} == {"cpu"}
    suggested = client.post("/metadata/tag-value-suggest", json={"key": "host"}).json()
    assert suggested["values"] == ["a", "b"]


def test_stale_markers_are_dropped_and_nan_is_stored(
    client: TestClient, backends: Backends
) -> None:
    series = ([("__name__", "up")], [(1000, 1.0), (2000, math.nan), (3000, STALE_NAN)])
    response = _post(client, body(series))
    assert response.headers["X-Prometheus-Remote-Write-Samples-Written"] == "2"
    (metric,) = backends.metrics.members
    points = asyncio.run(metric.fetch(Series("up"), DateRange(0, 10_000)))
    assert points.timestamps.tolist() == [1000, 2000]
    assert math.isnan(points.values[1])
    assert _received(client)[("heroic_remote_write_received_total", "stale_marker")] == 1


def test_exemplars_histograms_and_metadata_are_counted_not_stored(client: TestClient) -> None:
    response = _post(client, body(CPU_A, exemplars=2, histograms=3))
    assert response.status_code == 204
    assert response.headers["X-Prometheus-Remote-Write-Exemplars-Written"] == "0"
    assert response.headers["X-Prometheus-Remote-Write-Histograms-Written"] == "0"
    counted = _received(client)
    assert counted[("heroic_remote_write_received_total", "exemplar")] == 2
    assert counted[("heroic_remote_write_received_total", "histogram")] == 3
    assert counted[("heroic_remote_write_received_total", "series")] == 1
    assert counted[("heroic_remote_write_received_total", "sample")] == 2


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "application/x-protobuf;proto=prometheus.WriteRequest"},
        {"Content-Type": 'application/x-protobuf; proto="prometheus.WriteRequest"'},
        {"Content-Type": "", "Content-Encoding": ""},  # what old senders omit, as Prometheus
        {"X-Prometheus-Remote-Write-Version": ""},
    ],
)
def test_remote_write_1_0_header_variants_are_accepted(
    client: TestClient, headers: dict[str, str]
) -> None:
    response = _post(client, body(CPU_A), headers)
    assert response.status_code == 204, response.text
    assert len(_series(client)) == 1


GOOD = ([("__name__", "ok")], [(1000, 1.0)])


@dataclass(frozen=True)
class Refused:
    """A request refused before anything is written."""

    content: bytes
    status: int
    fragment: str
    reason: str
    headers: dict[str, str] = field(default_factory=dict)


REFUSED = {
    "bad snappy": Refused(b"\xff\x00 not snappy", 400, "not snappy-compressed", "snappy"),
    "empty body": Refused(b"", 400, "empty body", "snappy"),
    "bad protobuf": Refused(snappy(b"\x0a\x05ab"), 400, "not a protobuf", "protobuf"),
    "missing name": Refused(
        body(GOOD, ([("host", "a")], [(1, 1.0)])),
        400,
        'series 1 {host="a"}: no metric name',
        "invalid_series",
    ),
    "negative timestamp": Refused(
        body(GOOD, ([("__name__", "x")], [(-5, 1.0)])),
        400,
        "timestamp -5 is negative",
        "invalid_series",
    ),
    "json": Refused(
        body(GOOD),
        415,
        "unsupported Content-Type 'application/json'",
        "content_type",
        {"Content-Type": "application/json"},
    ),
    "remote write 2.0": Refused(
        body(GOOD),
        415,
        "remote write 2.0 (io.prometheus.write.v2.Request) is not supported",
        "content_type",
        {"Content-Type": "application/x-protobuf;proto=io.prometheus.write.v2.Request"},
    ),
    "gzip": Refused(
        body(GOOD),
        415,
        "unsupported Content-Encoding 'gzip'",
        "content_encoding",
        {"Content-Encoding": "gzip"},
    ),
    "too big": Refused(
        bytes([0x80, 0x80, 0x80, 0x11]) + b"\x00" * 16,  # declares 34 MiB decompressed
        413,
        f"exceeds the limit of {MAX_DECOMPRESSED} bytes (32 MiB)",
        "too_large",
    ),
}


@pytest.mark.parametrize("case", REFUSED.values(), ids=REFUSED.keys())
def test_refused_requests_write_nothing_and_say_why(
    client: TestClient, backends: Backends, case: Refused
) -> None:
    response = _post(client, case.content, case.headers)
    assert response.status_code == case.status, response.text
    error = response.json()
    assert (error["status"], error["errorType"]) == ("error", "bad_data")
    assert case.fragment in error["error"]
    assert _series(client) == []
    assert all(m.series() == [] for m in backends.metrics.members)  # type: ignore[attr-defined]
    rejected = _received(client)[("heroic_remote_write_rejected_requests_total", case.reason)]
    assert rejected == 1


def test_a_label_that_is_not_utf8_is_refused_naming_its_series(client: TestClient) -> None:
    # The second series by hand: the descriptor refuses to encode a string that is not UTF-8.
    bad_series = b"\x0a\x0f\x0a\x0d\x0a\x08__name__\x12\x01\xff"
    response = _post(client, snappy(request(GOOD).SerializeToString() + bad_series))
    assert response.status_code == 400
    assert "series 1: a label value is not UTF-8" in response.json()["error"]
    assert _series(client) == []


def test_compressed_body_is_read_no_further_than_the_limit() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(100):
            yield b"x" * 10
        raise AssertionError("read past the limit")  # pragma: no cover

    with pytest.raises(RemoteWriteRejectedError, match="exceeds the limit of 99 bytes") as caught:
        asyncio.run(read_at_most(chunks(), 105, 99))
    assert caught.value.status == 413


def _config(ingestion: dict[str, Any]) -> HeroicConfig:
    return HeroicConfig.from_dict(
        {
            "ingestion": ingestion,
            "metrics": {"backends": [{"type": "memory"}]},
            "metadata": {"backends": [{"type": "memory"}]},
            "suggest": {"backends": [{"type": "memory"}]},
        }
    )


def test_ingestion_filter_and_flags_apply_as_for_write(backends: Backends) -> None:
    config = _config({"filter": "host = b", "updateSuggestions": False})
    with TestClient(create_app(config, backends)) as client:
        response = _post(client, body(CPU_A, CPU_B))
        assert response.status_code == 204
        assert response.headers["X-Prometheus-Remote-Write-Samples-Written"] == "1"
        assert [s["tags"] for s in _series(client)] == [{"host": "b"}]
        suggested = client.post("/metadata/tag-value-suggest", json={"key": "host"}).json()
        assert suggested["values"] == []


def test_unknown_group_is_a_bad_request(client: TestClient) -> None:
    response = client.post(PATH, params={"group": "nope"}, content=body(GOOD), headers=V1_HEADERS)
    assert response.status_code == 400
    assert "no metric backend belongs to group 'nope'" in response.json()["error"]


class _FailingMetric(MemoryMetricBackend):
    """A memory metric backend whose writes fail (both the per-series and the batch one)."""

    def __init__(self, error: Exception) -> None:
        super().__init__("broken-metric", ("memory",))
        self.error = error

    async def write(self, series: Series, points: Points) -> None:
        raise self.error

    async def write_batch(self, batch: SeriesBatch) -> None:
        raise self.error


def _failing(error: Exception) -> Iterator[TestClient]:
    default = Backends()
    backends = Backends(
        metrics=BackendGroup.build([_FailingMetric(error)]),
        metadata=BackendGroup.build([MemoryMetadataBackend()]),
        suggest=default.suggest,
    )
    with TestClient(create_app(HeroicConfig.default(), backends)) as client:
        yield client


@pytest.mark.parametrize(
    ("error", "status", "kind", "fragment"),
    [
        (BackendUnavailableError("bigtable: write timed out"), 503, "unavailable", "timed out"),
        (BackendRejectedError("bigtable: permission denied"), 500, "internal", "denied"),
        (ConnectionError("refused"), 503, "unavailable", "write to backend broken-metric"),
        (RuntimeError("boom"), 500, "internal", "write to backend broken-metric failed: boom"),
    ],
)
def test_backend_failures_are_server_errors_prometheus_retries(
    error: Exception, status: int, kind: str, fragment: str
) -> None:
    for client in _failing(error):
        response = _post(client, body(CPU_A))
        assert response.status_code == status, response.text
        assert response.json()["errorType"] == kind
        assert fragment in response.json()["error"]
        failed = _received(client)[("heroic_remote_write_rejected_requests_total", "write_failed")]
        assert failed == 1


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


def test_values_escaping_is_applied_when_the_node_is_configured_for_it() -> None:
    metric, metadata = MemoryMetricBackend(), MemoryMetadataBackend()
    backends = Backends(
        metrics=BackendGroup.build([metric]), metadata=BackendGroup.build([metadata])
    )
    writes = WriteService(IngestionSettings(), backends, asyncio.Semaphore(4))
    metrics = RequestMetrics().remote_write
    service = RemoteWriteService(writes, metrics, NameEscaping.VALUES)
    labels = [("__name__", "U__cpu_2e_usage"), ("U__host_2e_name", "a")]
    headers = {k.lower(): v for k, v in V1_HEADERS.items()}
    written = asyncio.run(service.write(headers, _once(body((labels, [(1, 1.0)])))))
    assert written.samples == 1
    assert metric.series() == [Series("cpu.usage", {"host.name": "a"})]
