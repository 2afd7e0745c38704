"""Fixtures for the API node tests: an app on memory backends with a fixed clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from heroic_api.main import create_app
from heroic_core.backends.factory import build_backends
from heroic_core.backends.group import Backends
from heroic_core.config import HeroicConfig

from .helpers import fixed_clock


@pytest.fixture
def config() -> HeroicConfig:
    return HeroicConfig.default()


@pytest.fixture
def backends(config: HeroicConfig) -> Backends:
    return build_backends(config)


@pytest.fixture
def app(config: HeroicConfig, backends: Backends) -> FastAPI:
    application = create_app(config, backends)
    # The context's clock, which every route reads (an override of get_clock would send the
    # query routes through FastAPI's dependency solving instead of heroic_api.direct).
    application.state.heroic.clock = fixed_clock
    return application


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client
