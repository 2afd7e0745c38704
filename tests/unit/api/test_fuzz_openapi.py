"""Schemathesis against the app's own ``/openapi.json``, in process (ASGI): never a 5xx.

Every documented operation gets generated requests, both conforming to its schema and not
(positive and negative modes), with a client id. Deterministic and bounded for CI.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from heroic_api.dependencies import get_clock
from heroic_api.main import create_app
from heroic_core.backends.factory import build_backends
from heroic_core.config import HeroicConfig

from .helpers import fixed_clock

CONFIG = HeroicConfig.default()
APP = create_app(CONFIG, build_backends(CONFIG))
APP.dependency_overrides[get_clock] = lambda: fixed_clock

# Remote write's body is binary (a Snappy block); sent as generated, like any octet stream.
schemathesis.serializer.alias("application/x-protobuf", "application/octet-stream")
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], deterministic=True
)


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_documented_operation_answers_a_server_error(case: schemathesis.Case[Any]) -> None:
    case.call_and_validate(headers={"X-Client-Id": "schemathesis"}, checks=[not_a_server_error])
