"""Support for the API fuzz tests: one seeded app per module and the "no 5xx" assertion.

Hypothesis runs many examples per test, so the app is built once per test module (a
function-scoped fixture would be shared between examples anyway). The app holds a few series
with ordinary, NaN and infinite points so that queries exercise aggregation, not just
decoding. Settings are deterministic (``derandomize``) and bounded, for CI.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Iterator
from typing import Any, Protocol

from fastapi.testclient import TestClient

from heroic_api.main import create_app
from heroic_core.backends.factory import build_backends
from heroic_core.config import HeroicConfig
from heroic_core.model import DateRange, Points, Series
from tests.unit.core.fuzz_strategies import fuzz_settings

from .helpers import NOW, fixed_clock

CLIENT = {"X-Client-Id": "fuzz"}
JSON = {"Content-Type": "application/json", **CLIENT}
TEXT = {"Content-Type": "text/plain", **CLIENT}
ERROR_FIELDS = ("type", "message", "reason", "status")

FUZZ = fuzz_settings(150)


def _seed_series() -> list[tuple[Series, Points]]:
    minute = 60_000
    rows = []
    for i, host in enumerate(("a", "b", "c")):
        series = Series("cpu", {"host": host, "site": "lon" if i else "sto", "role": "db"})
        samples = [(NOW - k * minute, float(k * (i + 1))) for k in range(1, 120)]
        rows.append((series, Points.of(samples)))
    odd = [(NOW - 5 * minute, math.nan), (NOW - 4 * minute, math.inf)]
    odd += [(NOW - 3 * minute, -math.inf), (NOW - 2 * minute, -0.0), (NOW - minute, 1e308)]
    rows.append((Series("odd", {"host": "d", "what": "nan"}), Points.of(odd)))
    rows.append((Series("", {}), Points.of([(1, 1.0), (NOW, -1.0)])))
    return rows


async def _seed(app_backends: Any) -> None:
    for series, points in _seed_series():
        for backend in app_backends.metrics.use(None):
            await backend.write(series, points)
        span = (int(points.timestamps.min()), int(points.timestamps.max()))
        for backend in (*app_backends.metadata.use(None), *app_backends.suggest.use(None)):
            await backend.write(series, DateRange(*span))


def fuzz_client(config: HeroicConfig | None = None) -> Iterator[TestClient]:
    """A seeded test client on memory backends (use as a module-scoped fixture body)."""
    config = config if config is not None else HeroicConfig.default()
    backends = build_backends(config)
    asyncio.run(_seed(backends))
    app = create_app(config, backends)
    app.state.heroic.clock = fixed_clock
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


class Response(Protocol):
    """What :func:`check` reads of a test-client response (httpx or httpx2)."""

    @property
    def status_code(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def content(self) -> bytes: ...


def dumps(body: Any) -> bytes:
    """JSON bytes; NaN/Infinity are written as Python does (non-standard, to be rejected)."""
    return json.dumps(body, allow_nan=True).encode("utf-8")


def _no_constants(name: str) -> Any:
    raise AssertionError(f"response JSON holds {name}, which is not JSON")


def check(response: Response) -> dict[str, Any] | list[Any] | None:
    """Assert no server error, strict JSON (no NaN/Infinity) and, for 4xx, upstream's error
    body; return the JSON body."""
    status = response.status_code
    assert status < 500, f"{status}: {response.text[:2000]}"
    if not response.content:
        return None
    body = json.loads(response.text, parse_constant=_no_constants)
    if status >= 400:
        assert isinstance(body, dict), response.text
        for name in ERROR_FIELDS:
            assert name in body, f"error body without {name!r}: {response.text}"
        assert body["status"] == status
        assert isinstance(body["message"], str)
        assert body["message"]
        assert isinstance(body["type"], str)
        assert isinstance(body["reason"], str)
    return body  # type: ignore[no-any-return]
