"""Give the chart tests the helm binary (and, for dry runs, the local API server).

``tests/conftest.py`` does this for ``tests/``; this directory is outside it, so it brings the
same components itself: a test marked ``helm`` gets ``$HELM`` and ``$KUBECTL``, one marked
``kubernetes`` also ``$KUBECONFIG``. What a variable already points at is used as is; what is
missing is started from the test environment's cache and stopped at the end. It must not stop
anything it did not start. Also the fixtures of the dry-run tests: ``kubectl``, the applied
CRD, throwaway namespaces. ``--testenv-no-start`` (an option of tests/conftest.py) is honoured
when that conftest is loaded too.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest
from kube_utils import kubectl

from heroic_generate.files import CRD_FILE
from heroic_operator import naming
from heroic_testenv.crds import wait_established
from heroic_testenv.registry import PROVIDED_BY
from heroic_testenv.runner import down, up

_MARKERS = {"helm": ["helm"], "kubernetes": ["kubernetes", "helm"]}
_errors: dict[str, str] = {}
_started: list[str] = []


def _mine(item: pytest.Item) -> bool:
    return os.path.dirname(__file__) in str(item.path)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    wanted: set[str] = set()
    for item in filter(_mine, items):
        for marker in item.iter_markers():
            wanted.update(_MARKERS.get(marker.name, []))
    missing = sorted(n for n in wanted if not os.environ.get(PROVIDED_BY[n]))
    # --testenv-no-start belongs to tests/conftest.py; absent when only helm-tests/ is collected.
    if not missing or config.getoption("--testenv-no-start", default=False):
        return
    result = up(missing)
    os.environ.update(result.env)
    _started.extend(result.started)
    _errors.update({name: str(error) for name, error in result.errors.items()})


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker in item.iter_markers():
        for name in _MARKERS.get(marker.name, []):
            if name in _errors:
                pytest.fail(f"test environment: {_errors[name]}", pytrace=False)
            if not os.environ.get(PROVIDED_BY[name]):
                pytest.skip(f"{name} not provided ({PROVIDED_BY[name]} unset)")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    del session, exitstatus
    if _started:
        down(_started)


@pytest.fixture(scope="session")
def heroic_crd() -> str:
    """The canonical HeroicCluster CRD, applied for real (cluster-scoped, shared, never deleted:
    other suites use it too) and Established."""
    path = str(CRD_FILE)
    kubectl("apply", "--server-side", "--force-conflicts", "--field-manager=helm-tests", "-f", path)
    name = f"{naming.PLURAL}.{naming.GROUP}"
    wait_established([name])
    return name


@pytest.fixture
def namespace_factory() -> Iterator[Callable[..., str]]:
    """Creates throwaway namespaces (with optional labels); deletes them after the test."""
    created: list[str] = []

    def create(prefix: str = "helm-tests", labels: dict[str, str] | None = None) -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        kubectl("create", "namespace", name)
        created.append(name)
        if labels:
            kubectl("label", "namespace", name, *(f"{k}={v}" for k, v in labels.items()))
        return name

    yield create
    for name in created:
        kubectl("delete", "namespace", name, "--wait=false", check=False)


@pytest.fixture
def namespace(namespace_factory: Callable[..., str]) -> str:
    """One throwaway namespace."""
    return namespace_factory()
