"""Configure planning: hash-named Jobs, no re-run after success (even after TTL), retries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from heroic_operator.configure.decide import JobContext, plan_target, retry_delay
from heroic_operator.desired.components import Target, configure_targets
from heroic_operator.spec import Cluster

NOW = datetime(2026, 1, 1, 0, 10, tzinfo=UTC)
DIGEST = "d" * 64
OTHER = "e" * 64


@pytest.fixture
def target(cluster: Callable[..., Cluster]) -> Target:
    return next(t for t in configure_targets(cluster("full")) if t.key == "bigtable")


def job(
    name: str,
    *conditions: str,
    finished: str = "2026-01-01T00:09:00Z",
    reason: str = "PodFailurePolicy",
) -> dict[str, Any]:
    conds = [
        {
            "type": c,
            "status": "True",
            "reason": reason if c == "Failed" else "",
            "lastTransitionTime": finished,
        }
        for c in conditions
    ]
    return {"metadata": {"name": name}, "status": {"conditions": conds}}


def failed_pod(code: int) -> dict[str, Any]:
    terminated = {"exitCode": code, "message": "boom"}
    return {
        "metadata": {"name": "p"},
        "status": {
            "containerStatuses": [{"name": "configure", "state": {"terminated": terminated}}]
        },
    }


def plan(
    target: Target,
    *,
    record: dict[str, Any] | None = None,
    jobs: tuple[Any, ...] = (),
    pods: dict[str, Any] | None = None,
    nonce: str = "",
    blocked: str = "",
) -> Any:
    return plan_target(
        "full",
        target,
        DIGEST,
        record=record or {},
        context=JobContext(jobs, pods or {}),
        now=NOW,
        retry_nonce=nonce,
        blocked=blocked,
    )


def test_new_inputs_create_a_hash_named_job(target: Target) -> None:
    result = plan(target)
    assert result.create_job
    assert result.job_name == "full-heroic-configure-bigtable-dddddddddd"
    assert result.record["attempts"] == 1
    assert result.record["hash"] == DIGEST


def test_succeeded_inputs_are_never_run_again_even_without_the_job(target: Target) -> None:
    result = plan(target, record={"succeededHashes": [OTHER, DIGEST]})
    assert (result.phase, result.create_job) == ("Succeeded", False)


def test_a_completed_job_is_recorded_as_succeeded(target: Target) -> None:
    name = plan(target).job_name
    result = plan(target, record={"succeededHashes": [OTHER]}, jobs=(job(name, "Complete"),))
    assert result.phase == "Succeeded"
    assert result.record["succeededHashes"] == [OTHER, DIGEST]
    assert result.finished_now


def test_succeeded_hashes_keep_the_newest_ten(target: Target) -> None:
    name = plan(target).job_name
    old = [f"{i:064d}" for i in range(10)]
    result = plan(target, record={"succeededHashes": old}, jobs=(job(name, "Complete"),))
    assert result.record["succeededHashes"] == [*old[1:], DIGEST]


def test_a_running_job_is_waited_for(target: Target) -> None:
    name = plan(target).job_name
    result = plan(target, jobs=(job(name),))
    assert (result.phase, result.create_job) == ("Running", False)


def test_a_new_hash_waits_for_a_running_job_of_the_same_target(target: Target) -> None:
    result = plan(target, jobs=(job("full-heroic-configure-bigtable-eeeeeeeeee"),))
    assert (result.phase, result.create_job, result.reason) == ("Waiting", False, "WaitingForJob")


def test_a_finished_job_of_an_old_hash_does_not_block(target: Target) -> None:
    result = plan(target, jobs=(job("full-heroic-configure-bigtable-eeeeeeeeee", "Complete"),))
    assert result.create_job


def test_permanent_failure_is_reported_and_not_retried(target: Target) -> None:
    name = plan(target).job_name
    result = plan(
        target,
        record={"attempts": 1, "hash": DIGEST},
        jobs=(job(name, "Failed"),),
        pods={name: [failed_pod(78)]},
    )
    assert (result.phase, result.reason, result.delete_jobs) == ("Failed", "ConfigureFailed", ())
    assert "boom" in result.message
    assert result.record["failure"] == "Permanent"


def test_permanent_failure_stays_failed_after_the_job_is_gone(target: Target) -> None:
    record = {"hash": DIGEST, "failedHash": DIGEST, "failure": "Permanent", "message": "bad"}
    result = plan(target, record=record)
    assert (result.phase, result.create_job) == ("Failed", False)


def test_retry_annotation_reruns_a_permanent_failure(target: Target) -> None:
    record = {"hash": DIGEST, "failedHash": DIGEST, "failure": "Permanent", "retryNonce": ""}
    result = plan(target, record=record, nonce="1")
    assert result.create_job
    assert result.record["retryNonce"] == "1"
    name = result.job_name
    with_job = plan(
        target, record=record, nonce="2", jobs=(job(name, "Failed"),), pods={name: [failed_pod(78)]}
    )
    assert with_job.delete_jobs == (name,)


def test_retryable_failure_is_retried_after_backoff(target: Target) -> None:
    name = plan(target).job_name
    early = plan(
        target,
        record={"attempts": 1, "hash": DIGEST},
        jobs=(job(name, "Failed", finished="2026-01-01T00:09:50Z", reason="BackoffLimitExceeded"),),
        pods={name: [failed_pod(75)]},
    )
    assert (early.phase, early.reason, early.delete_jobs) == ("Failed", "BackendUnreachable", ())
    assert early.requeue_after == pytest.approx(20.0)
    late = plan(
        target,
        record={"attempts": 1, "hash": DIGEST},
        jobs=(job(name, "Failed", reason="BackoffLimitExceeded"),),
        pods={name: [failed_pod(75)]},
    )
    assert late.delete_jobs == (name,)


def test_recreated_job_counts_attempts(target: Target) -> None:
    result = plan(
        target, record={"attempts": 2, "hash": DIGEST, "failedHash": DIGEST, "failure": "Retryable"}
    )
    assert result.create_job
    assert result.record["attempts"] == 3
    assert "failedHash" not in result.record


@pytest.mark.parametrize(("attempts", "delay"), [(1, 30), (2, 60), (3, 120), (10, 600)])
def test_retry_delay_doubles_up_to_ten_minutes(attempts: int, delay: float) -> None:
    assert retry_delay(attempts) == delay


def test_blocked_change_creates_nothing(target: Target) -> None:
    result = plan(target, blocked="instance cannot change")
    assert (result.phase, result.reason, result.create_job) == (
        "Blocked",
        "ImmutableFieldChanged",
        False,
    )


def test_digest_covers_image_config_and_secrets_but_not_job_settings(
    cluster: Callable[..., Cluster],
) -> None:
    def digest(c: Cluster, image: str = "i", secrets: dict[Any, str] | None = None) -> str:
        bigtable = next(t for t in configure_targets(c) if t.key == "bigtable")
        return bigtable.digest(image, secrets or {})

    base = digest(cluster("full"))
    assert digest(cluster("full"), image="j") != base
    ref = configure_targets(cluster("full"))[0].rendered.secrets[0].ref
    assert digest(cluster("full"), secrets={ref: "rotated"}) != base
    assert (
        digest(cluster("full", configure={"backoffLimit": 1, "ttlSecondsAfterFinished": 5})) == base
    )
    assert digest(cluster("full", api={"replicas": 9})) == base
