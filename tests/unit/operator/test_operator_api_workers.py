"""The API Deployment runs one ``heroic api`` worker process per whole CPU of its container."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from heroic_operator.desired.builders.workloads import workload_command
from heroic_operator.desired.components import components
from heroic_operator.spec import Cluster, parse_cluster

COMMAND = ["heroic", "api", "--config", "/etc/heroic/heroic.yml"]


def api_command(cluster: Cluster) -> list[str]:
    (api,) = (c for c in components(cluster) if c.group is None)
    return workload_command(api)


@pytest.mark.parametrize(
    ("manifest_name", "resources", "workers"),
    [
        ("full", {"requests": {"cpu": "1"}, "limits": {"cpu": "3"}}, 3),
        ("full", {"requests": {"cpu": "2500m"}}, 2),
        ("full", {"requests": {"cpu": 4}, "limits": {"cpu": "1500m"}}, None),
        ("full", {"requests": {"cpu": "500m"}}, None),
        ("full", {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"memory": "1Gi"}}, None),
        ("memory", {"limits": {"cpu": "4"}}, None),
    ],
    ids=["limit", "request", "limit-over-request", "under-one-cpu", "one-cpu", "memory-backends"],
)
def test_api_workers_follow_the_container_cpu(
    manifest: Callable[[str], dict[str, Any]],
    manifest_name: str,
    resources: dict[str, Any],
    workers: int | None,
) -> None:
    body = manifest(manifest_name)
    body["spec"]["api"]["resources"] = resources
    expected = COMMAND if workers is None else [*COMMAND, "--workers", str(workers)]
    assert api_command(parse_cluster(body)) == expected


def test_consumers_run_one_process_whatever_their_cpu(
    manifest: Callable[[str], dict[str, Any]],
) -> None:
    body = manifest("full")
    for group in body["spec"]["consumers"]:
        group["resources"] = {"limits": {"cpu": "4"}}
    consumers = [c for c in components(parse_cluster(body)) if c.group is not None]
    assert consumers
    assert all("--workers" not in workload_command(c) for c in consumers)
