"""Give the chart tests the helm binary (and, for dry runs, the local API server).

``tests/conftest.py`` does this for ``tests/``; this directory is outside it, so it brings the
same components itself: a test marked ``helm`` gets ``$HELM`` and ``$KUBECTL``, one marked
``kubernetes`` also ``$KUBECONFIG``. What a variable already points at is used as is; what is
missing is started from the test environment's cache and stopped at the end. It must not stop
anything it did not start.
"""

from __future__ import annotations

import contextlib
import os

import pytest

from heroic_testenv.registry import PROVIDED_BY
from heroic_testenv.runner import down, up

_MARKERS = {"helm": ["helm"], "kubernetes": ["kubernetes", "helm"]}
_errors: dict[str, str] = {}
_started: list[str] = []


def pytest_addoption(parser: pytest.Parser) -> None:
    # tests/conftest.py adds the same option; in a run over both directories it comes first.
    with contextlib.suppress(ValueError):
        parser.addoption(
            "--testenv-no-start",
            action="store_true",
            help="skip tests whose component is not already provided, instead of starting it",
        )


def _mine(item: pytest.Item) -> bool:
    return os.path.dirname(__file__) in str(item.path)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    wanted: set[str] = set()
    for item in filter(_mine, items):
        for marker in item.iter_markers():
            wanted.update(_MARKERS.get(marker.name, []))
    missing = sorted(n for n in wanted if not os.environ.get(PROVIDED_BY[n]))
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
