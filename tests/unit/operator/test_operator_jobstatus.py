"""Configure Job outcomes: exit 0 ok, 75 retryable, 78 permanent, with the pod's message."""

from __future__ import annotations

from typing import Any

import pytest

from heroic_operator.configure.jobstatus import interpret_job


def job(*conditions: tuple[str, str], **status: Any) -> dict[str, Any]:
    conds = [
        {
            "type": t,
            "status": "True",
            "reason": r,
            "message": f"{t} {r}",
            "lastTransitionTime": "2026-01-01T00:00:10Z",
        }
        for t, r in conditions
    ]
    return {"metadata": {"name": "j"}, "status": {"conditions": conds, **status}}


def pod(
    name: str, code: int, message: str = "", finished: str = "2026-01-01T00:00:05Z"
) -> dict[str, Any]:
    terminated = {"exitCode": code, "message": message, "reason": "Error", "finishedAt": finished}
    return {
        "metadata": {"name": name},
        "status": {
            "containerStatuses": [{"name": "configure", "state": {"terminated": terminated}}]
        },
    }


@pytest.mark.parametrize(
    ("conditions", "pods", "phase", "retryable", "fragment"),
    [
        ((), [], "Running", True, "is running"),
        ((("Complete", "Completed"),), [pod("p", 0)], "Succeeded", True, "succeeded"),
        (
            (("Failed", "PodFailurePolicy"),),
            [pod("p", 78, "permission denied on table")],
            "Failed",
            False,
            "exit code 78): pod p: permission denied on table",
        ),
        (
            (("Failed", "BackoffLimitExceeded"),),
            [pod("a", 75, "old", "2026-01-01T00:00:01Z"), pod("b", 75, "connection refused")],
            "Failed",
            True,
            "pod b: connection refused",
        ),
        ((("Failed", "DeadlineExceeded"),), [], "Failed", True, "Failed DeadlineExceeded"),
        (
            (("FailureTarget", "PodFailurePolicy"),),
            [pod("p", 78, "bad config")],
            "Failed",
            False,
            "bad config",
        ),
    ],
    ids=["running", "complete", "permanent", "retryable-latest-pod", "deadline", "failure-target"],
)
def test_interpret_job(
    conditions: tuple[tuple[str, str], ...],
    pods: list[dict[str, Any]],
    phase: str,
    retryable: bool,
    fragment: str,
) -> None:
    outcome = interpret_job(job(*conditions), pods)
    assert (outcome.phase, outcome.retryable) == (phase, retryable)
    assert fragment in outcome.message


def test_running_job_reports_failed_attempts_and_waiting_reason() -> None:
    waiting = {
        "metadata": {"name": "p"},
        "status": {
            "containerStatuses": [
                {
                    "name": "configure",
                    "state": {
                        "waiting": {"reason": "ImagePullBackOff", "message": "no such image"}
                    },
                }
            ]
        },
    }
    outcome = interpret_job(job(failed=2), [waiting])
    assert outcome.message == (
        "Job j is running (2 failed attempt(s) so far); ImagePullBackOff: no such image"
    )


def test_completion_time_is_the_finish_time() -> None:
    outcome = interpret_job(job(("Complete", ""), completionTime="2026-01-01T00:01:00Z"), [])
    assert outcome.finished_at == "2026-01-01T00:01:00Z"
