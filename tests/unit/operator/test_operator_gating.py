"""Gating: workloads move to a new backend config only after its Job succeeded; changes a
backend cannot make in place are refused with a reason."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from heroic_operator import naming
from heroic_operator.configure.decide import JobContext, TargetPlan, plan_target
from heroic_operator.configure.gating import gate_components, immutable_change
from heroic_operator.desired.components import components, configure_targets
from heroic_operator.spec import Cluster


def plans(cluster: Cluster, succeeded: set[str]) -> dict[str, TargetPlan]:
    out = {}
    for target in configure_targets(cluster):
        digest = "a" * 64
        record = {"succeededHashes": [digest]} if target.key in succeeded else {}
        out[target.key] = plan_target(
            cluster.name,
            target,
            digest,
            record=record,
            context=JobContext(),
            now=datetime(2026, 1, 1, tzinfo=UTC),
        )
    return out


def test_nothing_waits_when_every_target_succeeded(cluster: Callable[..., Cluster]) -> None:
    full = cluster("full")
    gate = gate_components(
        components(full), plans(full, {"bigtable", "elasticsearch", "pubsub-ps"}), {}
    )
    assert gate.waiting == {}
    assert gate.deployable == {"api", "consumer-kafka", "consumer-ps"}


def test_components_wait_for_the_targets_they_use(cluster: Callable[..., Cluster]) -> None:
    full = cluster("full")
    gate = gate_components(components(full), plans(full, {"bigtable", "elasticsearch"}), {})
    assert gate.waiting == {"consumer-ps": ["pubsub-ps"]}
    assert "consumer-ps" not in gate.deployable
    assert naming.config_key("consumer-ps") not in gate.config_data


def test_a_waiting_component_keeps_its_live_config(cluster: Callable[..., Cluster]) -> None:
    full = cluster("full")
    live = {"api.yml": "old: config\n"}
    gate = gate_components(components(full), plans(full, {"elasticsearch", "pubsub-ps"}), live)
    assert gate.waiting["api"] == ["bigtable"]
    assert gate.config_data["api.yml"] == "old: config\n"
    assert gate.waiting["consumer-ps"] == ["bigtable"]
    assert "consumer-ps.yml" not in gate.config_data


def _pubsub(cluster: Callable[..., Cluster], topic: str, subscription: str) -> Any:
    group = {
        "name": "ps",
        "source": {"pubsub": {"project": "p", "topic": topic, "subscription": subscription}},
    }
    parsed = cluster("memory", consumers=[group])
    comps = {c.name: c for c in components(parsed)}
    target = next(t for t in configure_targets(parsed) if t.key == "pubsub-ps")
    return target, comps["consumer-ps"].rendered.text


def test_pubsub_topic_change_for_the_same_subscription_is_refused(
    cluster: Callable[..., Cluster],
) -> None:
    _, live = _pubsub(cluster, "metrics", "heroic")
    target, _ = _pubsub(cluster, "other", "heroic")
    reason = immutable_change(target, {"consumer-ps.yml": live})
    assert "subscription heroic is bound to topic metrics" in reason


def test_pubsub_new_subscription_may_use_another_topic(cluster: Callable[..., Cluster]) -> None:
    _, live = _pubsub(cluster, "metrics", "heroic")
    target, _ = _pubsub(cluster, "other", "heroic-2")
    assert immutable_change(target, {"consumer-ps.yml": live}) == ""


def test_bigtable_instance_change_is_refused(cluster: Callable[..., Cluster]) -> None:
    def bigtable(instance: str) -> Cluster:
        return cluster(
            "memory",
            backends={
                "metrics": {"type": "bigtable", "bigtable": {"project": "p", "instance": instance}}
            },
        )

    live = {"api.yml": components(bigtable("a"))[0].rendered.text}
    target = configure_targets(bigtable("b"))[0]
    assert "Bigtable p/a cannot change to p/b" in immutable_change(target, live)
    same = configure_targets(bigtable("a"))[0]
    assert immutable_change(same, live) == ""


def test_no_live_config_means_nothing_to_refuse(cluster: Callable[..., Cluster]) -> None:
    target, _ = _pubsub(cluster, "other", "heroic")
    assert immutable_change(target, {}) == ""
