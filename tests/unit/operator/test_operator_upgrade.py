"""plan_hold: an operator upgrade alone restarts no pods; a spec or Secret change, or the accept
annotation, lets the new rendering through. Children come from the real builders."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from heroic_operator import naming
from heroic_operator.desired.builders import BuildContext, build_all
from heroic_operator.desired.components import components
from heroic_operator.desired.diff import with_desired_hash
from heroic_operator.reconcile.snapshot import Children
from heroic_operator.reconcile.upgrade import Applied, Hold, plan_hold
from heroic_operator.spec import Cluster, SecretKeyRef

OLD, NEW = "0.1.0", "0.2.0"
APPLIED_BY_OLD = Applied(OLD, 1)


def children(cluster: Cluster, kafka_hash: str = "h1") -> list[dict[str, Any]]:
    comps = components(cluster)
    config = {naming.config_key(c.name): c.rendered.text for c in comps}
    deployable = frozenset(c.name for c in comps)
    hashes = {
        SecretKeyRef(name="gcp-credentials", key="key.json"): "k1",
        SecretKeyRef(name="kafka-credentials", key="password"): kafka_hash,
    }
    return build_all(BuildContext(cluster, comps, config, deployable, hashes))


def new_operator_rendering(objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a newer operator might render: one more pod-template label on every Deployment,
    one more label on every Service and ConfigMap."""
    out = []
    for obj in copy.deepcopy(objs):
        obj["metadata"]["annotations"].pop(naming.ANNOTATION_DESIRED_HASH)
        if obj["kind"] == "Deployment":
            obj["spec"]["template"]["metadata"]["labels"]["new-in"] = NEW
        if obj["kind"] in ("Service", "ConfigMap"):
            obj["metadata"]["labels"]["new-in"] = NEW
        out.append(with_desired_hash(obj))
    return out


def observed_of(objs: list[dict[str, Any]]) -> Children:
    return Children.of(copy.deepcopy(objs))


def upgrade(
    live: list[dict[str, Any]],
    *,
    desired: list[dict[str, Any]] | None = None,
    applied: Applied | None = APPLIED_BY_OLD,
    generation: int = 1,
    accept: str | None = None,
) -> Hold:
    """plan_hold for operator NEW over ``live``; ``desired`` defaults to NEW's rendering."""
    return plan_hold(
        new_operator_rendering(live) if desired is None else desired,
        observed_of(live),
        applied=applied,
        version=NEW,
        generation=generation,
        accept=accept,
    )


def names(hold: Hold) -> list[str]:
    return [f"{kind}/{name}" for kind, name in hold.held]


@pytest.fixture
def full(cluster: Callable[..., Cluster]) -> Cluster:
    return cluster("full")


def test_an_upgrade_alone_holds_the_configmap_and_every_deployment(full: Cluster) -> None:
    live = children(full)
    hold = upgrade(live)
    deployments = sorted(o["metadata"]["name"] for o in live if o["kind"] == "Deployment")
    assert len(deployments) >= 2
    config_map = naming.config_map_name(full.name)
    assert names(hold) == [f"ConfigMap/{config_map}"] + [f"Deployment/{d}" for d in deployments]
    service = next(o for o in live if o["kind"] == "Service")
    assert not hold.holds(service)  # Services restart no pods: applied as usual
    condition = hold.condition(full.name)
    assert (condition.type, condition.status, condition.reason) == (
        "RequiresUpdate",
        True,
        "OperatorUpgraded",
    )
    assert f"heroic.dev/accept-operator-upgrade={NEW}" in condition.message
    assert f"operator {OLD}, which applied generation 1" in condition.message
    assert hold.record(1, settled=True) == {"version": OLD, "generation": 1}


@pytest.mark.parametrize(
    ("applied", "generation", "accept"),
    [
        pytest.param(None, 1, None, id="no record: new cluster or older operator"),
        pytest.param(Applied(NEW, 1), 1, None, id="same version"),
        pytest.param(Applied(OLD, 1), 2, None, id="spec changed"),
        pytest.param(Applied(OLD, 1), 1, NEW, id="accepted this version"),
        pytest.param(Applied(OLD, 1), 1, "always", id="accepted always"),
    ],
)
def test_nothing_is_held_when_more_than_the_operator_changed(
    full: Cluster, applied: Applied | None, generation: int, accept: str | None
) -> None:
    hold = upgrade(children(full), applied=applied, generation=generation, accept=accept)
    assert hold.held == ()
    assert hold.condition(full.name).reason == "UpToDate"
    assert hold.record(generation, settled=True) == {"version": NEW, "generation": generation}


def test_an_accept_annotation_for_another_version_does_not_release(full: Cluster) -> None:
    assert upgrade(children(full), accept="0.1.5").held


def test_a_changed_secret_releases_the_hold(full: Cluster) -> None:
    desired = new_operator_rendering(children(full, kafka_hash="h2"))
    assert upgrade(children(full, kafka_hash="h1"), desired=desired).held == ()


def test_children_the_upgrade_does_not_change_are_not_held(full: Cluster) -> None:
    live = children(full)
    hold = upgrade(live, desired=live)
    assert hold.held == ()
    assert hold.record(1, settled=True) == {"version": NEW, "generation": 1}


def test_missing_children_are_created_not_held(full: Cluster) -> None:
    live = children(full)
    kept = [o for o in live if o["kind"] != "Deployment"]
    hold = upgrade(kept, desired=new_operator_rendering(live))
    assert names(hold) == [f"ConfigMap/{naming.config_map_name(full.name)}"]


def test_the_record_waits_for_configure_jobs() -> None:
    free = Hold((), Applied(OLD, 1), NEW)
    assert free.record(2, settled=False) == {"version": OLD, "generation": 1}
    assert free.record(2, settled=True) == {"version": NEW, "generation": 2}
    assert Hold((), None, NEW).record(1, settled=False) is None


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ({}, None),
        ({"operator": {"version": OLD, "generation": 3}}, Applied(OLD, 3)),
        ({"operator": {"version": OLD}}, None),
        ({"operator": {"version": 1, "generation": 3}}, None),
        ({"operator": "0.1.0"}, None),
    ],
)
def test_applied_from_status(status: dict[str, Any], expected: Applied | None) -> None:
    assert Applied.from_status(status) == expected
