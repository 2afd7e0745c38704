"""Fixtures of the real-pod tests, shared by their modules: one namespace under the restricted
Pod Security Standard with the chart installed, and the images on the nodes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from heroic_testenv.node.layout import restricted_namespace
from tests.e2e import realpods
from tests.e2e.realpods import RELEASE, Target, all_ready, wait_or_diagnose
from tests.e2e.support import helm, install_chart, kubectl


@pytest.fixture(scope="session")
def real() -> Target:
    return realpods.target()


@pytest.fixture(scope="session")
def namespace(real: Target) -> Iterator[str]:
    name = f"real-{uuid.uuid4().hex[:6]}"
    kubectl("apply", "-f", "-", stdin=restricted_namespace(name, real.namespace_annotations))
    try:
        yield name
    finally:
        kubectl("delete", "heroicclusters", "--all", "-n", name, "--wait=true", "--timeout=120s")
        kubectl("delete", "namespace", name, "--wait=true", "--timeout=180s")


@pytest.fixture(scope="session")
def operator(real: Target, namespace: str) -> Iterator[str]:
    """The chart installed with our image; yields the operator's pod selector once it is Ready."""
    repository, tag = real.image.rsplit(":", 1)
    install_chart(
        RELEASE,
        namespace,
        "--set",
        f"image.repository={repository}",
        "--set",
        f"image.tag={tag}",
        "--set",
        "image.pullPolicy=Never",  # the image was imported into the node; nothing is pulled
    )
    selector = "app.kubernetes.io/component=operator"
    wait_or_diagnose(
        "the operator pod Ready", lambda: all_ready(namespace, selector, 1), namespace, selector
    )
    try:
        yield selector
    finally:
        helm("uninstall", RELEASE, "--namespace", namespace)
