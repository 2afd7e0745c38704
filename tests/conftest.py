"""Test-environment integration for pytest: start just the components the collected tests need.

A test marked ``@pytest.mark.kafka`` (or kubernetes, elasticsearch, cassandra, bigtable, pubsub,
helm) gets that component. Where its variable (``KAFKA_BOOTSTRAP_SERVERS`` ...) is already set,
the tests use what it points at (an external cluster or backend); otherwise the session starts
the component from the cache, all missing ones in parallel, and stops at the end what it started.
A component that fails to start fails its tests with the component's error and log tail.
``--testenv-no-start`` makes such tests skip instead (for a quick unit-only run).
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from heroic_testenv.registry import COMPONENTS, PROVIDED_BY
from heroic_testenv.runner import UpResult, down, up

# Components a marker brings along: Kubernetes tests also get kubectl and helm.
COMPANIONS = {"kubernetes": ["helm"]}
# The real-pod tests run on another cluster's nodes when that cluster's images are named
# (tests/e2e/realpods.py); then no node of the test environment is started for them.
EXTERNAL_NODE = "HEROIC_E2E_IMAGE"


def _provided(name: str) -> bool:
    return bool(os.environ.get(PROVIDED_BY[name])) or (
        name == "node" and bool(os.environ.get(EXTERNAL_NODE))
    )


_errors: dict[str, BaseException] = {}
_started: list[str] = []


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--testenv-no-start",
        action="store_true",
        help="skip tests whose component is not already provided, instead of starting it",
    )


def _needed(items: list[pytest.Item]) -> list[str]:
    names: set[str] = set()
    for item in items:
        for marker in item.iter_markers():
            if marker.name in COMPONENTS:
                names.add(marker.name)
                names.update(COMPANIONS.get(marker.name, []))
    return [n for n in COMPONENTS if n in names and not _provided(n)]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missing = _needed(items)
    if not missing or config.getoption("--testenv-no-start"):
        return
    result: UpResult = up(missing)
    os.environ.update(result.env)
    _started.extend(result.started)
    _errors.update(result.errors)


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker in item.iter_markers():
        name = marker.name
        if name == "kind":
            reason = kind_unavailable()
            if reason:
                pytest.skip(reason)
        if name not in COMPONENTS:
            continue
        if name in _errors:
            pytest.fail(f"test environment: {_errors[name]}", pytrace=False)
        if not _provided(name):
            pytest.skip(f"{name} not provided ({PROVIDED_BY[name]} unset) and --testenv-no-start")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    del session, exitstatus
    if _started:
        down(_started)


def kind_unavailable() -> str | None:
    """Why kind-based tests cannot run here, or None if they can."""
    if shutil.which("kind") is None:
        return "kind is not installed (kind-based e2e tests need kind and a Docker engine)"
    if shutil.which("docker") is None:
        return "no docker client (kind needs a Docker engine)"
    probe = subprocess.run(["docker", "info"], capture_output=True, check=False, timeout=30)
    if probe.returncode != 0:
        return "no Docker engine answers `docker info` (the docker client alone is not enough)"
    return None
