"""Run the configure Jobs a reconcile planned: gather each target's Jobs and pods, plan, then
create, delete (for a retry) and report. Jobs are created once and never updated. Writes go
through ``Kube``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from heroic_operator import metrics, naming
from heroic_operator.configure.decide import JobContext, TargetPlan, plan_target
from heroic_operator.configure.gating import immutable_change
from heroic_operator.desired.builders.jobs import build_configure_job
from heroic_operator.desired.components import Target
from heroic_operator.reconcile.apply import Kube, Observed
from heroic_operator.reconcile.events import EventLog
from heroic_operator.spec import Cluster, SecretKeyRef


def _needs_pods(job: Mapping[str, Any]) -> bool:
    status = job.get("status") or {}
    return bool(status.get("failed")) or any(
        c.get("type") in ("Failed", "FailureTarget") for c in status.get("conditions") or []
    )


class JobRunner:
    def __init__(self, kube: Kube, events: EventLog) -> None:
        self.kube = kube
        self.events = events

    async def plan(
        self,
        cluster: Cluster,
        *,
        targets: Sequence[Target],
        observed: Observed,
        live: Mapping[str, str],
        secret_hashes: Mapping[SecretKeyRef, str],
        now: datetime,
    ) -> list[TargetPlan]:
        """One plan per configure target."""
        records = cluster.status.get("configure") or {}
        nonce = cluster.annotations.get(naming.ANNOTATION_RETRY_CONFIGURE, "")
        plans = []
        for target in targets:
            jobs = [
                j
                for j in observed.of_kind("Job").values()
                if (j["metadata"].get("labels") or {}).get(naming.LABEL_CONFIGURE_TARGET)
                == target.key
            ]
            pods = {
                j["metadata"]["name"]: await self.kube.list_job_pods(
                    cluster.namespace, j["metadata"]["name"]
                )
                for j in jobs
                if _needs_pods(j)
            }
            plans.append(
                plan_target(
                    cluster.name,
                    target,
                    target.digest(cluster.spec.image, secret_hashes),
                    record=records.get(target.key) or {},
                    context=JobContext(jobs, pods),
                    now=now,
                    retry_nonce=nonce,
                    blocked=immutable_change(target, live),
                )
            )
        return plans

    async def run(self, cluster: Cluster, plans: Sequence[TargetPlan]) -> None:
        """Carry out each plan's writes and report transitions."""
        records = cluster.status.get("configure") or {}
        for plan in plans:
            for name in plan.delete_jobs:
                await self.kube.delete("Job", cluster.namespace, name)
            if plan.create_job:
                await self._create(cluster, plan)
            await self._report(cluster, plan, records.get(plan.target.key) or {})

    async def _create(self, cluster: Cluster, plan: TargetPlan) -> None:
        await self.kube.apply(build_configure_job(cluster, plan))
        metrics.JOB_OUTCOMES.labels(
            cluster.namespace, cluster.name, plan.target.key, "created"
        ).inc()
        await self.events.normal(
            cluster,
            "ConfigureJobCreated",
            f"Created Job {plan.job_name} (heroic configure --only {plan.target.backend})",
        )

    async def _report(self, cluster: Cluster, plan: TargetPlan, old: Mapping[str, Any]) -> None:
        key = plan.target.key
        if plan.finished_now and plan.phase == "Succeeded":
            outcome = "succeeded"
            await self.events.normal(cluster, "ConfigureSucceeded", f"{key}: {plan.message}")
        elif plan.finished_now and plan.phase == "Failed":
            outcome = f"failed_{str(plan.record.get('failure', '')).lower()}"
            await self.events.warning(cluster, "ConfigureFailed", f"{key}: {plan.message}")
        elif plan.phase == "Blocked" and old.get("phase") != "Blocked":
            await self.events.warning(cluster, "ImmutableFieldChanged", f"{key}: {plan.message}")
            return
        else:
            return
        metrics.JOB_OUTCOMES.labels(cluster.namespace, cluster.name, key, outcome).inc()
