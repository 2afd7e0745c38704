"""The plan phase on snapshots built here, with no server: what a reconcile writes for a new
cluster, a settled one, configure gating, Secret changes, drift, pause, operator-upgrade holds,
immutable backend fields, pruning and an unavailable PodMonitor kind.

``settle`` stands in for the API server and the kube-controller-manager between two passes: it
stores what a plan applied and marks Deployments rolled out and Jobs complete.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from heroic_operator import naming
from heroic_operator.reconcile.plan import Plan, plan_cluster, plan_paused
from heroic_operator.reconcile.snapshot import Children, Snapshot
from heroic_operator.spec import Cluster, SecretKeyRef, parse_cluster

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
VERSION = "1.0.0"
CASSANDRA_SECRET = SecretKeyRef(name="cassandra-credentials", key="password")
FULL_SECRETS = {
    SecretKeyRef(name="gcp-credentials", key="key.json"): "g1",
    SecretKeyRef(name="kafka-credentials", key="password"): "k1",
}

Make = Callable[..., Cluster]


def written(plan: Plan) -> list[Mapping[str, Any]]:
    return [w.obj for w in (*plan.first, *plan.rest)]


def kinds(plan: Plan) -> list[str]:
    return [o["kind"] for o in written(plan)]


def condition(status: Mapping[str, Any], kind: str) -> Mapping[str, Any]:
    return next(c for c in status["conditions"] if c["type"] == kind)


def settle(
    children: Children, plan: Plan, *, rolled_out: bool = True, jobs_succeed: bool = True
) -> Children:
    """The children after ``plan``'s writes, as the API server and controllers leave them."""
    objects = {kind: dict(by_name) for kind, by_name in children.objects.items()}
    created = [s.create for s in plan.jobs if s.create is not None]
    for obj in [*written(plan), *created]:
        live = copy.deepcopy(dict(obj))
        old = children.get(live["kind"], live["metadata"]["name"])
        generation = int(((old or {}).get("metadata") or {}).get("generation") or 0) + 1
        live["metadata"]["generation"] = generation
        if live["kind"] == "Deployment" and rolled_out:
            replicas = live["spec"].get("replicas", 1)
            live["status"] = {
                "observedGeneration": generation,
                "replicas": replicas,
                "updatedReplicas": replicas,
                "availableReplicas": replicas,
                "readyReplicas": replicas,
                "conditions": [{"type": "Available", "status": "True"}],
            }
        if live["kind"] == "Job" and jobs_succeed:
            live["status"] = {
                "conditions": [{"type": "Complete", "status": "True"}],
                "completionTime": "2026-12-01T11:59:00Z",
            }
        objects.setdefault(live["kind"], {})[live["metadata"]["name"]] = live
    for kind, name in plan.prune:
        objects.get(kind, {}).pop(name, None)
    return Children(objects, children.unavailable)


def with_status(cluster: Cluster, plan: Plan) -> Cluster:
    """The cluster as read back after ``plan``'s status write."""
    if plan.status is None:
        return cluster
    return replace(cluster, status=dict(plan.status))


def snapshot(
    cluster: Cluster,
    children: Children | None = None,
    secrets: Mapping[SecretKeyRef, str] | None = None,
) -> Snapshot:
    return Snapshot(cluster, children or Children(), NOW, secret_hashes=dict(secrets or {}))


def converge(
    cluster: Cluster, secrets: Mapping[SecretKeyRef, str] | None = None, passes: int = 4
) -> tuple[Cluster, Children, Plan]:
    """Plan and settle until nothing is left to write; the last plan is the quiet one."""
    children = Children()
    for _ in range(passes):
        plan = plan_cluster(snapshot(cluster, children, secrets), VERSION)
        if plan.writes == 0:
            return cluster, children, plan
        children = settle(children, plan)
        cluster = with_status(cluster, plan)
    raise AssertionError(f"still writing after {passes} passes: {kinds(plan)}")


def test_a_new_cluster_gets_config_before_workloads_and_is_not_ready(cluster: Make) -> None:
    plan = plan_cluster(snapshot(cluster("memory")), VERSION)
    assert {o["kind"] for o in written(plan)} >= {"ConfigMap", "Service", "Deployment"}
    assert {w.obj["kind"] for w in plan.first} <= {"ServiceAccount", "ConfigMap", "Service"}
    assert "Deployment" in [w.obj["kind"] for w in plan.rest]
    assert plan.status is not None
    assert not plan.ready
    # the new Deployments were projected into the status: "0/2 ready", not "does not exist"
    assert condition(plan.status, "ApiAvailable")["reason"] != "NotCreated"
    assert plan.prune == ()
    assert plan.jobs == ()


def test_a_settled_cluster_is_ready_and_its_next_plan_writes_nothing(cluster: Make) -> None:
    settled, children, quiet = converge(cluster("memory"))
    assert quiet.writes == 0
    assert quiet.ready
    assert condition(settled.status, "Ready")["status"] == "True"
    assert quiet.projected == children


def test_configure_gates_the_workloads_on_the_job(cluster: Make) -> None:
    secrets = {CASSANDRA_SECRET: "c1"}
    first = plan_cluster(snapshot(cluster("cassandra"), secrets=secrets), VERSION)
    created = [s.create for s in first.jobs if s.create is not None]
    assert [j["kind"] for j in created] == ["Job"] * len(created)
    assert {s.target for s in first.jobs} >= {"cassandra"}
    assert "Deployment" not in kinds(first), "no workload before its backend is configured"
    assert condition(first.status or {}, "ApiAvailable")["reason"] == "WaitingForConfigure"
    events = [e.reason for s in first.jobs for e in s.events]
    assert "ConfigureJobCreated" in events

    children = settle(Children(), first)
    second = plan_cluster(
        snapshot(with_status(cluster("cassandra"), first), children, secrets), VERSION
    )
    assert "Deployment" in kinds(second), "the Job succeeded: the API may roll out"
    assert all(s.create is None for s in second.jobs), "a succeeded Job is not run again"
    succeeded = [e.reason for s in second.jobs for e in s.events]
    assert "ConfigureSucceeded" in succeeded


def test_a_changed_secret_reconfigures_then_rolls_the_deployment(cluster: Make) -> None:
    settled, children, _ = converge(cluster("cassandra"), {CASSANDRA_SECRET: "c1"})
    changed = {CASSANDRA_SECRET: "c2"}
    rerun = plan_cluster(snapshot(settled, children, changed), VERSION)
    assert [s.target for s in rerun.jobs if s.create is not None] == ["cassandra"]
    assert "Deployment" not in kinds(rerun), "the pods wait for the Job with the new password"

    children = settle(children, rerun)
    plan = plan_cluster(snapshot(with_status(settled, rerun), children, changed), VERSION)
    rolls = [w for w in (*plan.first, *plan.rest) if w.obj["kind"] == "Deployment"]
    assert rolls, "the Deployment is re-applied with the new Secret hash"
    assert rolls[0].event is not None
    assert rolls[0].event.reason == "RollingOut"
    assert "Secrets" in rolls[0].event.message
    assert not plan.ready, "a rolling Deployment is not Ready until it has rolled out"


def test_drift_of_a_child_is_repaired_with_an_event(cluster: Make) -> None:
    settled, children, _ = converge(cluster("memory"))
    api = naming.fullname(settled.name, naming.COMPONENT_API)
    drifted = copy.deepcopy(dict(children.get("Deployment", api) or {}))
    drifted["spec"]["replicas"] = 7  # someone scaled it by hand
    objects = {k: dict(v) for k, v in children.objects.items()}
    objects["Deployment"][api] = drifted
    plan = plan_cluster(snapshot(settled, Children(objects)), VERSION)
    [write] = [w for w in plan.rest if w.obj["metadata"]["name"] == api]
    assert write.event is not None
    assert write.event.reason == "DriftRepaired"
    assert "spec" in write.event.message
    assert write.obj["spec"]["replicas"] == 2


def test_a_paused_cluster_writes_only_its_status(cluster: Make) -> None:
    settled, children, _ = converge(cluster("cassandra"), {CASSANDRA_SECRET: "c1"})
    paused = replace(settled, spec=settled.spec.model_copy(update={"paused": True}))
    plan = plan_paused(snapshot(paused, children))
    assert plan.first == plan.rest == plan.jobs == plan.prune == ()
    assert plan.status is not None
    assert condition(plan.status, "Paused")["status"] == "True"
    assert condition(plan.status, "CassandraConfigured")["status"] == "True", "kept while paused"
    assert plan.status["configure"] == settled.status["configure"]


def test_an_operator_upgrade_alone_holds_the_pod_restarting_children(cluster: Make) -> None:
    settled, children, _ = converge(cluster("memory"))
    assert settled.status["operator"] == {"version": VERSION, "generation": 1}
    objects = {
        k: {n: copy.deepcopy(dict(o)) for n, o in v.items()} for k, v in children.objects.items()
    }
    for obj in [*objects["ConfigMap"].values(), *objects["Deployment"].values()]:
        obj["metadata"]["annotations"][naming.ANNOTATION_DESIRED_HASH] = "rendered-by-0.9"
    old_render = Children(objects)

    held = plan_cluster(snapshot(settled, old_render), "2.0.0")
    assert "Deployment" not in kinds(held)
    assert "ConfigMap" not in kinds(held)
    assert held.held == 1 + len(objects["Deployment"])
    assert held.status is not None
    assert condition(held.status, "RequiresUpdate")["status"] == "True"

    accept = {naming.ANNOTATION_ACCEPT_OPERATOR_UPGRADE: "2.0.0"}
    accepted = replace(settled, annotations=accept)
    released = plan_cluster(snapshot(accepted, old_render), "2.0.0")
    assert {"ConfigMap", "Deployment"} <= set(kinds(released))
    assert released.held == 0


def test_an_immutable_backend_field_change_is_blocked(cluster: Make) -> None:
    settled, children, _ = converge(cluster("full"), FULL_SECRETS)
    spec = copy.deepcopy(settled.spec.model_dump(by_alias=True, exclude_none=True))
    spec["backends"]["metrics"]["bigtable"]["instance"] = "another-instance"
    body = {
        "apiVersion": naming.API_VERSION,
        "kind": naming.KIND,
        "metadata": {"name": settled.name, "namespace": settled.namespace, "uid": settled.uid},
        "spec": spec,
        "status": dict(settled.status),
    }
    plan = plan_cluster(snapshot(parse_cluster(body), children, FULL_SECRETS), VERSION)
    [step] = [s for s in plan.jobs if s.target == "bigtable"]
    assert step.create is None
    assert [e.reason for e in step.events] == ["ImmutableFieldChanged"]
    assert plan.status is not None
    assert plan.status["configure"]["bigtable"]["phase"] == "Blocked"


def test_children_no_longer_desired_are_pruned_only_if_the_cluster_controls_them(
    cluster: Make,
) -> None:
    settled, children, _ = converge(cluster("memory"))
    objects = {k: dict(v) for k, v in children.objects.items()}
    template = next(iter(objects["Deployment"].values()))
    orphan = copy.deepcopy(dict(template))
    orphan["metadata"]["name"] = "mem-consumer-gone"
    foreign = copy.deepcopy(orphan)
    foreign["metadata"]["name"] = "mem-consumer-someone-elses"
    foreign["metadata"]["ownerReferences"] = [{"uid": "other", "controller": True}]
    objects["Deployment"] |= {"mem-consumer-gone": orphan, "mem-consumer-someone-elses": foreign}
    plan = plan_cluster(snapshot(settled, Children(objects)), VERSION)
    assert plan.prune == (("Deployment", "mem-consumer-gone"),)


def test_a_pod_monitor_without_its_crd_is_reported_and_retried(cluster: Make) -> None:
    unavailable = {"PodMonitor": "the PodMonitor kind is not installed in this cluster"}
    monitored = cluster("memory", monitoring={"podMonitor": {"enabled": True}})
    plan = plan_cluster(snapshot(monitored, Children({}, unavailable)), VERSION)
    assert "PodMonitor" not in kinds(plan)
    assert "Deployment" in kinds(plan), "everything else is reconciled"
    assert plan.requeue_after == pytest.approx(60.0)
    assert plan.status is not None
    assert condition(plan.status, "Reconciled")["reason"] == "PodMonitorUnavailable"


def test_a_spec_change_is_not_ready_until_the_rollout_is_observed(cluster: Make) -> None:
    settled, children, _ = converge(cluster("memory"))
    api = settled.spec.api.model_copy(update={"replicas": 3})
    scaled = replace(settled, generation=2, spec=settled.spec.model_copy(update={"api": api}))
    plan = plan_cluster(snapshot(scaled, children), VERSION)
    assert "Deployment" in kinds(plan)
    assert not plan.ready
    after = plan_cluster(snapshot(with_status(scaled, plan), settle(children, plan)), VERSION)
    assert after.ready
