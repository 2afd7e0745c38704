"""docs/argocd/heroiccluster-health.lua, run by a real Lua interpreter (lupa) on statuses that
the operator's own status code computes: Healthy, Progressing, Degraded, Suspended."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

lupa = pytest.importorskip("lupa", reason="lupa (a Lua runtime) is in the dev extra")

from heroic_operator.configure.decide import JobContext, TargetPlan, plan_target  # noqa: E402
from heroic_operator.desired.components import configure_targets  # noqa: E402
from heroic_operator.reconcile.status import Rollout, StatusInputs, compute_status, error_status  # noqa: E402
from heroic_operator.spec import Cluster  # noqa: E402

SCRIPT = Path(__file__).resolve().parents[3] / "docs" / "argocd" / "heroiccluster-health.lua"
DONE = Rollout("d", 2, 2, available=True, complete=True)
ROLLING = Rollout("d", 2, 1, available=True, complete=False)
DOWN = Rollout("d", 2, 0, available=False, complete=False)
NOW = "2026-01-01T00:00:00Z"


def health(obj: dict[str, Any]) -> tuple[str, str]:
    lua = lupa.LuaRuntime(unpack_returned_tuples=True)
    lua.globals().obj = lua.table_from(obj, recursive=True)
    result = lua.execute(SCRIPT.read_text())
    return str(result["status"]), str(result["message"])


def resource(status: dict[str, Any] | None, generation: int = 3) -> dict[str, Any]:
    obj: dict[str, Any] = {"metadata": {"name": "c", "generation": generation}}
    if status is not None:
        obj["status"] = status
    return obj


def status_of(**kw: Any) -> dict[str, Any]:
    return compute_status(StatusInputs(generation=3, **kw), {}, NOW)


def configure_plans(cluster: Cluster, job_condition: str, why: str = "") -> list[TargetPlan]:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    out = []
    for target in configure_targets(cluster):
        first = plan_target(
            cluster.name, target, "a" * 64, record={}, context=JobContext(), now=now
        )
        job = {
            "metadata": {"name": first.job_name},
            "status": {"conditions": [{"type": job_condition, "status": "True", "reason": why}]},
        }
        out.append(
            plan_target(
                cluster.name, target, "a" * 64, record={}, context=JobContext([job]), now=now
            )
        )
    return out


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        ({"api": DONE}, "Healthy"),
        ({"api": DONE, "consumers": {"main": DONE}}, "Healthy"),
        ({"api": ROLLING}, "Progressing"),
        ({"api": DOWN}, "Progressing"),
        ({"api": None}, "Progressing"),
        ({"api": None, "api_waiting": ["bigtable"]}, "Progressing"),
        ({"api": DONE, "paused": True}, "Suspended"),
        ({"api": DONE, "error": ("SecretNotFound", "Secret gcp not found")}, "Degraded"),
        ({"api": DONE, "error": ("InvalidSpec", "spec.api.replicas: must be >= 0")}, "Degraded"),
        ({"api": DONE, "error": ("ApiError", "apiserver said 500")}, "Degraded"),
        ({"api": DONE, "error": ("PodMonitorUnavailable", "no PodMonitor CRD")}, "Degraded"),
    ],
)
def test_statuses_computed_by_the_operator(inputs: dict[str, Any], expected: str) -> None:
    status = status_of(**inputs)
    got, message = health(resource(status))
    assert got == expected
    ready = next(c for c in status["conditions"] if c["type"] == "Ready")
    paused = next(c for c in status["conditions"] if c["type"] == "Paused")
    assert message == (paused if expected == "Suspended" else ready)["message"]


@pytest.mark.parametrize(
    ("job", "why", "reason", "expected"),
    [
        ("Complete", "", "Ready", "Healthy"),
        ("Failed", "PodFailurePolicy", "ConfigureFailed", "Degraded"),
        ("Failed", "BackoffLimitExceeded", "BackendUnreachable", "Degraded"),
        ("Running", "", "JobRunning", "Progressing"),
    ],
)
def test_configure_job_outcomes(
    cluster: Callable[..., Cluster], job: str, why: str, reason: str, expected: str
) -> None:
    status = status_of(api=DONE, plans=configure_plans(cluster("cassandra"), job, why))
    assert next(c for c in status["conditions"] if c["type"] == "Ready")["reason"] == reason
    assert health(resource(status))[0] == expected


def test_an_error_after_ready_is_degraded() -> None:
    ready = status_of(api=DONE)
    failed = error_status(ready, 3, "ChildRejected", "Deployment c-heroic-api: invalid", NOW)
    assert health(resource(failed)) == ("Degraded", "Deployment c-heroic-api: invalid")


def test_a_status_for_an_older_generation_is_progressing() -> None:
    got, message = health(resource(status_of(api=DONE), generation=4))
    assert got == "Progressing"
    assert "generation 4" in message


def test_no_status_yet_is_progressing() -> None:
    assert health(resource(None))[0] == "Progressing"
