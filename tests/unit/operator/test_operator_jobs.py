"""Configure Job manifests: command, failure policy, TTL, own ConfigMap owned by the Job."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import jmespath
import pytest

from heroic_operator.configure.decide import JobContext, TargetPlan, plan_target
from heroic_operator.desired.builders.jobs import build_configure_job
from heroic_operator.desired.components import configure_targets
from heroic_operator.spec import Cluster


def plan_for(cluster: Cluster, key: str) -> TargetPlan:
    target = next(t for t in configure_targets(cluster) if t.key == key)
    digest = target.digest(cluster.spec.image, {})
    return plan_target(
        cluster.name,
        target,
        digest,
        record={},
        context=JobContext(),
        now=datetime(2026, 1, 1, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("key", "query", "expected"),
    [
        (
            "bigtable",
            "spec.template.spec.containers[0].command",
            ["heroic", "configure", "--config", "/etc/heroic/heroic.yml", "--only", "bigtable"],
        ),
        ("elasticsearch", "spec.template.spec.containers[0].command[-1]", "elasticsearch"),
        ("pubsub-ps", "spec.template.spec.containers[0].command[-1]", "pubsub"),
        ("bigtable", "spec.backoffLimit", 3),
        ("bigtable", "spec.ttlSecondsAfterFinished", 600),
        ("bigtable", "spec.template.spec.restartPolicy", "Never"),
        (
            "bigtable",
            "spec.podFailurePolicy.rules[0]",
            {
                "action": "FailJob",
                "onExitCodes": {"containerName": "configure", "operator": "In", "values": [78]},
            },
        ),
        (
            "bigtable",
            "spec.template.spec.containers[0].terminationMessagePolicy",
            "FallbackToLogsOnError",
        ),
        ("bigtable", "spec.template.spec.tolerations[0].key", "dedicated"),
        ("bigtable", "spec.template.spec.serviceAccountName", "full-heroic-configure"),
        ("bigtable", 'metadata.labels."heroic.dev/configure-target"', "bigtable"),
        (
            "pubsub-ps",
            "spec.template.spec.containers[0].env[0].name",
            "GOOGLE_APPLICATION_CREDENTIALS",
        ),
    ],
)
def test_configure_job_fields(
    cluster: Callable[..., Cluster], key: str, query: str, expected: object
) -> None:
    full = cluster("full")
    job = build_configure_job(full, plan_for(full, key))
    assert jmespath.search(query, job) == expected


def test_job_carries_its_config_in_a_downward_api_volume(cluster: Callable[..., Cluster]) -> None:
    full = cluster("full")
    plan = plan_for(full, "bigtable")
    job = build_configure_job(full, plan)
    volume = jmespath.search("spec.template.spec.volumes[?name=='config'] | [0]", job)
    field = "metadata.annotations['heroic.dev/configure-config']"
    assert volume == {
        "name": "config",
        "downwardAPI": {"items": [{"path": "heroic.yml", "fieldRef": {"fieldPath": field}}]},
    }
    text = job["spec"]["template"]["metadata"]["annotations"]["heroic.dev/configure-config"]
    assert text == plan.target.rendered.text
    assert "configure: true" in text
    mount = jmespath.search(
        "spec.template.spec.containers[0].volumeMounts[?name=='config'] | [0]", job
    )
    assert mount["mountPath"] == "/etc/heroic"


@pytest.mark.parametrize(
    ("name", "keys"),
    [
        ("memory", []),
        ("full", ["bigtable", "elasticsearch", "pubsub-ps"]),
        ("cassandra", ["cassandra", "elasticsearch"]),
    ],
)
def test_configure_targets_per_spec(
    cluster: Callable[..., Cluster], name: str, keys: list[str]
) -> None:
    assert [t.key for t in configure_targets(cluster(name))] == keys


def test_configure_disabled_means_no_targets(cluster: Callable[..., Cluster]) -> None:
    assert configure_targets(cluster("full", configure={"enabled": False})) == []
