"""Helpers of the result cache and query log tests: an app with a given heroic.yml and a clock
the test moves, and metric samples read from ``GET /metrics``."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from heroic_api.main import create_app
from heroic_core.config import HeroicConfig

from .helpers import NOW

MEMORY = {
    "metrics": {"backends": [{"type": "memory"}]},
    "metadata": {"backends": [{"type": "memory"}]},
    "suggest": {"backends": [{"type": "memory"}]},
}
CACHE_QUERY = "com.spotify.heroic.cache_query"
MEMORY_CACHE = {"cache": {"type": "memory"}, "features": [CACHE_QUERY]}


class MovableClock:
    """The app's clock (ms); tests move it instead of sleeping."""

    def __init__(self, now: int = NOW) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def cache_client(extra: dict[str, Any], clock: MovableClock | None = None) -> TestClient:
    """A client of an app on memory backends with ``extra`` heroic.yml sections."""
    app = create_app(HeroicConfig.from_dict({**MEMORY, **extra}))
    app.state.heroic.clock = clock or MovableClock()
    return TestClient(app)


def metric(client: TestClient, name: str, **labels: str) -> float:
    """The value of sample ``name`` (with ``labels``) on ``GET /metrics``, 0 when absent."""
    text = client.get("/metrics").text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0
