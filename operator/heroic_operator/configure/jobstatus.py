"""Interpret a configure Job and its pods: running, succeeded, or failed (retryable or not).

Exit codes of ``heroic configure``: 0 ok, 75 retryable (backend unreachable), 78 permanent (bad
config, permission denied). The Job's pod failure policy fails it at once on 78; other failures
count against ``backoffLimit``. Pure: reads dicts, never calls the API.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from heroic_operator.desired.builders.jobs import CONTAINER, EXIT_PERMANENT

EXIT_OK = 0
MAX_MESSAGE = 400

Phase = Literal["Running", "Succeeded", "Failed"]


@dataclass(frozen=True)
class JobOutcome:
    phase: Phase
    message: str
    retryable: bool = True
    finished_at: str | None = None
    exit_code: int | None = None


def _condition(job: Mapping[str, Any], kind: str) -> Mapping[str, Any] | None:
    for cond in (job.get("status") or {}).get("conditions") or []:
        if cond.get("type") == kind and cond.get("status") == "True":
            return cond  # type: ignore[no-any-return]
    return None


def _terminated(pod: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        if status.get("name") == CONTAINER:
            state = status.get("state") or {}
            return state.get("terminated") or (status.get("lastState") or {}).get("terminated")
    return None


def last_failure(pods: Sequence[Mapping[str, Any]]) -> tuple[int | None, str]:
    """Exit code and message of the most recently finished failed pod."""
    failed = [(t, p) for p in pods if (t := _terminated(p)) and t.get("exitCode", 0) != EXIT_OK]
    if not failed:
        return None, ""
    term, pod = max(failed, key=lambda tp: str(tp[0].get("finishedAt") or ""))
    text = (term.get("message") or term.get("reason") or "").strip()
    name = (pod.get("metadata") or {}).get("name", "?")
    return int(term.get("exitCode", 0)), f"pod {name}: {text[-MAX_MESSAGE:]}".rstrip(": ")


def _waiting_reason(pods: Sequence[Mapping[str, Any]]) -> str:
    for pod in pods:
        for status in (pod.get("status") or {}).get("containerStatuses") or []:
            waiting = (status.get("state") or {}).get("waiting") or {}
            if waiting.get("reason") not in (None, "ContainerCreating", "PodInitializing"):
                return f"{waiting['reason']}: {waiting.get('message', '')}".rstrip(": ")
    return ""


def interpret_job(job: Mapping[str, Any], pods: Sequence[Mapping[str, Any]]) -> JobOutcome:
    """The outcome of one configure Job, with the failing pod's message."""
    name = (job.get("metadata") or {}).get("name", "?")
    status = job.get("status") or {}
    if (done := _condition(job, "Complete")) is not None:
        finished = status.get("completionTime") or done.get("lastTransitionTime")
        return JobOutcome("Succeeded", f"Job {name} succeeded", finished_at=finished)
    failed = _condition(job, "Failed") or _condition(job, "FailureTarget")
    if failed is not None:
        code, pod_message = last_failure(pods)
        permanent = code == EXIT_PERMANENT or failed.get("reason") == "PodFailurePolicy"
        kind = "permanently" if permanent else "retryably"
        detail = pod_message or failed.get("message") or failed.get("reason", "")
        exit_text = f" (exit code {code})" if code is not None else ""
        return JobOutcome(
            "Failed",
            f"Job {name} failed {kind}{exit_text}: {detail}",
            retryable=not permanent,
            finished_at=failed.get("lastTransitionTime"),
            exit_code=code,
        )
    waiting = _waiting_reason(pods)
    attempts = int(status.get("failed") or 0)
    message = f"Job {name} is running"
    if attempts:
        message += f" ({attempts} failed attempt(s) so far)"
    if waiting:
        message += f"; {waiting}"
    return JobOutcome("Running", message)
