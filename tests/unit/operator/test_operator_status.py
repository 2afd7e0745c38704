"""Status: conditions with reasons, Ready only when everything is rolled out and configured."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from heroic_operator.configure.decide import JobContext, TargetPlan, plan_target
from heroic_operator.desired.components import configure_targets
from heroic_operator.reconcile.status import (
    Rollout,
    StatusInputs,
    compute_conditions,
    compute_status,
    error_status,
    rollout_of,
)
from heroic_operator.spec import Cluster

DONE = Rollout("d", 2, 2, available=True, complete=True)
ROLLING = Rollout("d", 2, 1, available=True, complete=False)
DOWN = Rollout("d", 2, 0, available=False, complete=False)
NOW = "2026-01-01T00:00:00Z"


def conditions(**kw: Any) -> dict[str, tuple[bool, str]]:
    inputs = StatusInputs(generation=3, **kw)
    return {c.type: (c.status, c.reason) for c in compute_conditions(inputs)}


def test_everything_available_is_ready() -> None:
    got = conditions(api=DONE, consumers={"main": DONE})
    assert got == {
        "Ready": (True, "Ready"),
        "Reconciled": (True, "ReconcileSucceeded"),
        "ApiAvailable": (True, "AllReplicasReady"),
        "ConsumersAvailable": (True, "AllReplicasReady"),
        "Paused": (False, "NotPaused"),
    }


@pytest.mark.parametrize(
    ("kw", "ready_reason"),
    [
        ({"api": ROLLING}, "RolloutInProgress"),
        ({"api": DOWN}, "ReplicasUnavailable"),
        ({"api": None, "api_waiting": ["bigtable"]}, "WaitingForConfigure"),
        ({"api": None}, "NotCreated"),
        ({"api": DONE, "consumers": {"a": DONE, "b": DOWN}}, "ReplicasUnavailable"),
        ({"api": DONE, "error": ("SecretNotFound", "Secret x not found")}, "SecretNotFound"),
    ],
)
def test_ready_names_the_first_blocking_reason(kw: dict[str, Any], ready_reason: str) -> None:
    assert conditions(**kw)["Ready"] == (False, ready_reason)


def test_no_consumer_groups_is_available() -> None:
    assert conditions(api=DONE)["ConsumersAvailable"] == (True, "NoConsumerGroups")


def test_paused_sets_paused_and_reconciled_false_but_keeps_ready() -> None:
    got = conditions(api=DONE, paused=True)
    assert got["Paused"] == (True, "Paused")
    assert got["Reconciled"] == (False, "Paused")
    assert got["Ready"] == (True, "Ready")


def _plans(cluster: Cluster, jobs: dict[str, list[str]]) -> list[TargetPlan]:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    out = []
    for target in configure_targets(cluster):
        name_digest = "a" * 64
        job_name = plan_target(
            cluster.name, target, name_digest, record={}, context=JobContext(), now=now
        ).job_name
        conds = [{"type": c, "status": "True"} for c in jobs.get(target.key, [])]
        context = JobContext([{"metadata": {"name": job_name}, "status": {"conditions": conds}}])
        out.append(
            plan_target(cluster.name, target, name_digest, record={}, context=context, now=now)
        )
    return out


def test_one_configured_condition_per_backend(cluster: Callable[..., Cluster]) -> None:
    plans = _plans(
        cluster("full"), {"bigtable": ["Complete"], "elasticsearch": ["Complete"], "pubsub-ps": []}
    )
    got = conditions(api=DONE, consumers={"kafka": DONE, "ps": DONE}, plans=plans)
    assert got["BigtableConfigured"] == (True, "Succeeded")
    assert got["ElasticsearchConfigured"] == (True, "Succeeded")
    assert got["PubSubConfigured"] == (False, "JobRunning")
    assert got["Ready"] == (False, "JobRunning")


def test_configure_disabled_is_reported(cluster: Callable[..., Cluster]) -> None:
    got = conditions(api=DONE, unconfigured_backends=["cassandra"])
    assert got["CassandraConfigured"] == (True, "ConfigureDisabled")


def test_transition_time_moves_only_when_status_flips() -> None:
    old = compute_status(StatusInputs(generation=1, api=DONE), {}, "2025-01-01T00:00:00Z")
    same = compute_status(StatusInputs(generation=2, api=DONE), old, NOW)
    flipped = compute_status(StatusInputs(generation=2, api=DOWN), old, NOW)

    def times(status: dict[str, Any]) -> dict[str, str]:
        return {c["type"]: c["lastTransitionTime"] for c in status["conditions"]}

    assert times(same)["ApiAvailable"] == "2025-01-01T00:00:00Z"
    assert times(flipped)["ApiAvailable"] == NOW
    assert all(c["observedGeneration"] == 2 for c in same["conditions"])
    assert same["observedGeneration"] == 2


def test_replica_summaries_for_printer_columns() -> None:
    status = compute_status(
        StatusInputs(generation=1, api=ROLLING, consumers={"a": DONE, "b": None}), {}, NOW
    )
    assert (status["apiReplicas"], status["consumerReplicas"]) == ("1/2", "2/2")


def test_error_status_keeps_other_conditions() -> None:
    old = compute_status(StatusInputs(generation=1, api=DONE), {}, NOW)
    status = error_status(old, 2, "InvalidSpec", "spec.image: required", NOW)
    got = {c["type"]: (c["status"], c["reason"]) for c in status["conditions"]}
    assert got["Ready"] == ("False", "InvalidSpec")
    assert got["Reconciled"] == ("False", "InvalidSpec")
    assert got["ApiAvailable"] == ("True", "AllReplicasReady")
    assert status["observedGeneration"] == 2


@pytest.mark.parametrize(
    ("status", "generation", "expected"),
    [
        (
            {
                "observedGeneration": 2,
                "updatedReplicas": 2,
                "availableReplicas": 2,
                "replicas": 2,
                "readyReplicas": 2,
                "conditions": [{"type": "Available", "status": "True"}],
            },
            2,
            (True, True),
        ),
        (
            {
                "observedGeneration": 1,
                "updatedReplicas": 2,
                "availableReplicas": 2,
                "replicas": 2,
                "conditions": [{"type": "Available", "status": "True"}],
            },
            2,
            (True, False),
        ),
        (
            {
                "observedGeneration": 2,
                "updatedReplicas": 1,
                "availableReplicas": 2,
                "replicas": 3,
                "conditions": [{"type": "Available", "status": "True"}],
            },
            2,
            (True, False),
        ),
        (
            {"observedGeneration": 2, "conditions": [{"type": "Available", "status": "False"}]},
            2,
            (False, False),
        ),
    ],
    ids=["complete", "stale-generation", "old-replicas-left", "unavailable"],
)
def test_rollout_of_deployment(
    status: dict[str, Any], generation: int, expected: tuple[bool, bool]
) -> None:
    rollout = rollout_of(
        {
            "metadata": {"name": "d", "generation": generation},
            "spec": {"replicas": 2},
            "status": status,
        }
    )
    assert (rollout.available, rollout.complete) == expected
