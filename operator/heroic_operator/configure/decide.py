"""Decide, per configure target, whether to create, wait for, retry or skip its Job; and which
components may move to their new config.

Rules: a Job is named by the hash of its inputs; a hash recorded as succeeded in status is never
run again (even after the Job's TTL removed it); a retryable failure is retried with backoff; a
permanent one waits for a spec change or the ``heroic.dev/retry-configure`` annotation; a new
Job waits for a running one of the same target. Pure: takes observed dicts and ``now``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from heroic_operator import naming, timestamps
from heroic_operator.configure.jobstatus import interpret_job
from heroic_operator.desired.components import Target

MAX_SUCCEEDED_HASHES = 10
RETRY_BASE_SECONDS = 30.0
RETRY_MAX_SECONDS = 600.0

TargetPhase = Literal["Succeeded", "Running", "Waiting", "Failed", "Blocked"]


@dataclass(frozen=True)
class TargetPlan:
    target: Target
    digest: str
    job_name: str
    phase: TargetPhase
    message: str
    record: dict[str, Any]
    reason: str = ""
    create_job: bool = False
    delete_jobs: tuple[str, ...] = ()
    requeue_after: float | None = None
    finished_now: bool = False


@dataclass(frozen=True)
class JobContext:
    """What the planner sees of one target: its Jobs (any hash) and their pods."""

    jobs: Sequence[Mapping[str, Any]] = ()
    pods: Mapping[str, Sequence[Mapping[str, Any]]] = field(default_factory=dict)


def retry_delay(attempts: int) -> float:
    """Backoff before re-running a retryably failed Job: 30 s doubling up to 10 min."""
    return float(min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1)))


def _name(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name", ""))


def _is_active(job: Mapping[str, Any]) -> bool:
    conditions = (job.get("status") or {}).get("conditions") or []
    return not any(
        c.get("type") in ("Complete", "Failed") and c.get("status") == "True" for c in conditions
    )


def plan_target(
    cluster_name: str,
    target: Target,
    digest: str,
    *,
    record: Mapping[str, Any],
    context: JobContext,
    now: datetime,
    retry_nonce: str = "",
    blocked: str = "",
) -> TargetPlan:
    """The next step for one configure target (see the module docstring for the rules)."""
    job_name = naming.configure_job_name(cluster_name, target.key, digest)
    plan = _Maker(target, digest, job_name, {**record, "hash": digest, "jobName": job_name})
    succeeded = list(record.get("succeededHashes") or [])
    if blocked:
        return plan("Blocked", blocked, reason="ImmutableFieldChanged")
    if digest in succeeded:
        return plan("Succeeded", f"configured (inputs {digest[:10]})", reason="Succeeded")
    current = next((j for j in context.jobs if _name(j) == job_name), None)
    if current is not None:
        return _plan_existing(
            plan,
            current,
            context=context,
            record=record,
            succeeded=succeeded,
            digest=digest,
            now=now,
            retry_nonce=retry_nonce,
        )
    permanent = record.get("failure") == "Permanent" and record.get("failedHash") == digest
    if permanent and record.get("retryNonce", "") == retry_nonce:
        return plan("Failed", str(record.get("message", "")), reason="ConfigureFailed")
    running = [j for j in context.jobs if _name(j) != job_name and _is_active(j)]
    if running:
        names = ", ".join(sorted(_name(j) for j in running))
        return plan("Waiting", f"waiting for Job {names} to finish", reason="WaitingForJob")
    attempts = int(record.get("attempts", 0)) + 1 if record.get("hash") == digest else 1
    extra = {"attempts": attempts, "retryNonce": retry_nonce}
    return plan(
        "Running",
        f"created Job {job_name}",
        reason="JobCreated",
        create_job=True,
        record={**extra, "failedHash": None, "failure": None},
    )


@dataclass(frozen=True)
class _Maker:
    """Builds ``TargetPlan``s of one target, merging status record updates."""

    target: Target
    digest: str
    job_name: str
    base: Mapping[str, Any]

    def __call__(
        self,
        phase: TargetPhase,
        message: str,
        *,
        reason: str,
        record: Mapping[str, Any] | None = None,
        create_job: bool = False,
        delete_jobs: tuple[str, ...] = (),
        requeue_after: float | None = None,
        finished_now: bool = False,
    ) -> TargetPlan:
        rec = {**self.base, **(record or {}), "phase": phase, "message": message}
        rec = {k: v for k, v in rec.items() if v is not None}
        return TargetPlan(
            self.target,
            self.digest,
            self.job_name,
            phase,
            message,
            rec,
            reason,
            create_job,
            delete_jobs,
            requeue_after,
            finished_now,
        )


def _plan_existing(
    plan: _Maker,
    job: Mapping[str, Any],
    *,
    context: JobContext,
    record: Mapping[str, Any],
    succeeded: list[str],
    digest: str,
    now: datetime,
    retry_nonce: str,
) -> TargetPlan:
    name = _name(job)
    outcome = interpret_job(job, context.pods.get(name, ()))
    if outcome.phase == "Succeeded":
        kept = [*succeeded, digest][-MAX_SUCCEEDED_HASHES:]
        return plan(
            "Succeeded",
            outcome.message,
            reason="Succeeded",
            finished_now=True,
            record={"succeededHashes": kept, "failedHash": None, "failure": None},
        )
    if outcome.phase == "Running":
        return plan("Running", outcome.message, reason="JobRunning")
    newly = record.get("failedHash") != digest
    failure = {"failedHash": digest, "failure": "Retryable" if outcome.retryable else "Permanent"}
    if not outcome.retryable:
        if retry_nonce != record.get("retryNonce", ""):
            return plan(
                "Running",
                f"retrying Job {name} on request",
                reason="RetryRequested",
                delete_jobs=(name,),
                requeue_after=1.0,
                record=failure,
            )
        return plan(
            "Failed", outcome.message, reason="ConfigureFailed", finished_now=newly, record=failure
        )
    delay = retry_delay(int(record.get("attempts", 1)))
    finished = timestamps.parse(outcome.finished_at) or now
    remaining = delay - (now - finished).total_seconds()
    if remaining <= 0:
        return plan(
            "Failed",
            outcome.message,
            reason="BackendUnreachable",
            delete_jobs=(name,),
            requeue_after=1.0,
            record=failure,
        )
    message = f"{outcome.message}; retrying in {int(remaining)}s"
    return plan(
        "Failed",
        message,
        reason="BackendUnreachable",
        requeue_after=remaining,
        finished_now=newly,
        record=failure,
    )
