"""Consumer unit tests run their coroutines on asyncio (the event loop the node uses)."""

from __future__ import annotations

import pytest


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
