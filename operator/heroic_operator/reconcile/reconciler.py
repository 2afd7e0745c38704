"""One reconcile of one HeroicCluster: read → plan → build → apply what differs → status.

Level-based: it starts from the live resource and children every time, so a deleted or edited
child is repaired and a missed event does no harm. It writes only what differs (a reconcile of
an unchanged cluster makes zero writes), never deletes backend data, and never runs anything on
deletion (children go by owner-reference garbage collection). Errors propagate after the status
says why, so the work queue retries (temporary) or waits for a spec change (permanent).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import kopf

from heroic_operator import metrics, naming
from heroic_operator.configure.decide import TargetPlan
from heroic_operator.configure.gating import Gate, gate_components
from heroic_operator.configure.runner import JobRunner
from heroic_operator.desired.builders import BuildContext, build_all
from heroic_operator.desired.components import Component, creates_topics, render_cluster
from heroic_operator.errors import DependencyNotReady, InvalidSpec, KubernetesError
from heroic_operator.reconcile.apply import Kube, Observed
from heroic_operator.reconcile.events import EventLog
from heroic_operator.reconcile.pruning import prune
from heroic_operator.reconcile.status import (
    Rollout,
    StatusInputs,
    compute_status,
    error_status,
    rollout_of,
)
from heroic_operator.reconcile.sync import apply_children, prune_children
from heroic_operator.reconcile.upgrade import Applied, Hold, operator_version, plan_hold
from heroic_operator.spec import Cluster, ClusterRef, parse_cluster, ref_of

logger = logging.getLogger(__name__)

PRUNED_KINDS = (
    "PodMonitor",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "Deployment",
    "Service",
    "ConfigMap",
    "ServiceAccount",
)


#: How long the installed CRD's status schema is trusted before it is read again.
SCHEMA_TTL_SECONDS = 300.0

#: How soon a cluster asking for an unavailable kind (a PodMonitor without its CRD) looks again.
UNAVAILABLE_RETRY_SECONDS = 60.0


def utc_now() -> datetime:
    return datetime.now(UTC)


def timestamp(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Result:
    """What one reconcile did: when to look again (seconds), and whether the cluster is Ready."""

    requeue_after: float | None
    ready: bool
    found: bool = True


class Reconciler:
    """Reconciles clusters through one ``Kube``; ``clock`` is injectable for tests, ``version``
    is the operator version recorded in ``status.operator`` (see ``upgrade``)."""

    def __init__(
        self,
        kube: Kube,
        clock: Callable[[], datetime] = utc_now,
        version: str | None = None,
    ) -> None:
        self.kube = kube
        self.clock = clock
        self.version = version or operator_version()
        self._schema: tuple[float, dict[str, Any] | None] | None = None
        self._pruned_warned: set[str] = set()
        self.events = EventLog(kube)
        self.jobs = JobRunner(kube, self.events)

    async def __call__(self, namespace: str, name: str) -> Result:
        started = time.monotonic()
        try:
            return await self._reconcile(namespace, name)
        finally:
            metrics.RECONCILE_SECONDS.labels(namespace, name).observe(time.monotonic() - started)

    async def _reconcile(self, namespace: str, name: str) -> Result:
        body = await self.kube.get_cluster(namespace, name)
        if body is None or (body.get("metadata") or {}).get("deletionTimestamp"):
            return Result(None, ready=False, found=False)
        ref = ref_of(body)
        try:
            cluster = parse_cluster(body)
            if cluster.spec.paused:
                return await self._paused(cluster)
            result = await self._sync(cluster)
        except (InvalidSpec, DependencyNotReady, KubernetesError) as exc:
            await self._report_error(ref, exc)
            raise
        metrics.RECONCILES.labels(namespace, name, "ok").inc()
        return result

    async def _sync(self, cluster: Cluster) -> Result:
        observed = await self.kube.list_children(cluster)
        comps, plans, gate, desired = await self._desired(cluster, observed)
        desired, unavailable = _usable(desired, observed)
        hold = plan_hold(
            desired,
            observed,
            applied=Applied.from_status(cluster.status),
            version=self.version,
            generation=cluster.generation,
            accept=cluster.annotations.get(naming.ANNOTATION_ACCEPT_OPERATOR_UPGRADE),
        )
        metrics.CHILDREN_HELD.labels(cluster.namespace, cluster.name).set(len(hold.held))
        applied = [o for o in desired if not hold.holds(o)]
        await apply_children(self.kube, self.events, cluster, applied, observed)
        await self.jobs.run(cluster, plans)
        kept = {naming.fullname(cluster.name, c) for c in gate.waiting}
        await prune_children(
            self.kube, cluster, desired=desired, observed=observed, kinds=PRUNED_KINDS, keep=kept
        )
        inputs = _status_inputs(
            cluster,
            comps,
            observed=observed,
            gate=gate,
            plans=plans,
            hold=hold,
            error=unavailable,
        )
        status = compute_status(inputs, cluster.status, timestamp(self.clock()))
        ready = await self._write_status(cluster, status)
        requeues = [p.requeue_after for p in plans if p.requeue_after is not None]
        if unavailable is not None:
            requeues.append(UNAVAILABLE_RETRY_SECONDS)
        return Result(min(requeues) if requeues else None, ready)

    async def _desired(
        self, cluster: Cluster, observed: Observed
    ) -> tuple[list[Component], list[TargetPlan], Gate, list[dict[str, Any]]]:
        """Components, configure plans, the gate, and the desired children (pure after reads)."""
        rendering = render_cluster(cluster)
        secret_hashes = await self.kube.secret_hashes(cluster.namespace, rendering.secrets)
        comps = list(rendering.components)
        live = _live_config(cluster, observed)
        plans = await self.jobs.plan(
            cluster,
            targets=rendering.targets,
            observed=observed,
            live=live,
            secret_hashes=secret_hashes,
            now=self.clock(),
        )
        gate = gate_components(comps, {p.target.key: p for p in plans}, live)
        context = BuildContext(
            cluster,
            comps,
            gate.config_data,
            gate.deployable,
            secret_hashes,
            configure_service_account=bool(plans),
        )
        return comps, plans, gate, build_all(context)

    async def _paused(self, cluster: Cluster) -> Result:
        """Status only: conditions say paused, Configured conditions and records are kept."""
        observed = await self.kube.list_children(cluster)
        empty = Gate({}, frozenset(), {})
        inputs = _status_inputs(
            cluster,
            list(render_cluster(cluster).components),
            observed=observed,
            gate=empty,
            plans=(),
            paused=True,
        )
        status = compute_status(inputs, cluster.status, timestamp(self.clock()))
        old = cluster.status.get("conditions") or []
        status["conditions"] += [c for c in old if _kept_while_paused(str(c.get("type", "")))]
        for key in ("configure", "operator"):
            if key in cluster.status:
                status[key] = cluster.status[key]
        ready = await self._write_status(cluster, status)
        metrics.RECONCILES.labels(cluster.namespace, cluster.name, "paused").inc()
        return Result(None, ready)

    async def _write_status(self, cluster: Cluster, status: dict[str, Any]) -> bool:
        ready = any(c["type"] == "Ready" and c["status"] == "True" for c in status["conditions"])
        metrics.CLUSTERS_READY.labels(cluster.namespace, cluster.name).set(1 if ready else 0)
        status = await self._storable(status)
        if _normal(status) != _normal(cluster.status):
            await self.kube.apply_status(cluster, status)
        return ready

    async def _storable(self, status: dict[str, Any]) -> dict[str, Any]:
        """``status`` pruned to the installed CRD's schema (re-read every few minutes): server-
        side apply refuses a status with a field an older CRD does not declare."""
        now = time.monotonic()
        if self._schema is None or now - self._schema[0] > SCHEMA_TTL_SECONDS:
            self._schema = (now, await self.kube.status_schema())
        schema = self._schema[1]
        if schema is None:
            return status
        pruned, removed = prune(status, schema)
        new = sorted(set(removed) - self._pruned_warned)
        if new:
            self._pruned_warned.update(new)
            logger.warning(
                "The installed HeroicCluster CRD is older than this operator (%s): it cannot "
                "hold status.%s; apply crds/heroicclusters.heroic.dev.yaml of this version",
                self.version,
                ", status.".join(new),
            )
        return dict(pruned)

    async def _report_error(
        self, ref: ClusterRef, exc: kopf.TemporaryError | kopf.PermanentError
    ) -> None:
        reason = getattr(exc, "reason", type(exc).__name__)
        message = getattr(exc, "message", str(exc))
        result = "invalid" if isinstance(exc, InvalidSpec) else "error"
        metrics.RECONCILES.labels(ref.namespace, ref.name, result).inc()
        metrics.RECONCILE_ERRORS.labels(ref.namespace, ref.name, reason).inc()
        status = error_status(ref.status, ref.generation, reason, message, timestamp(self.clock()))
        if _normal(status) == _normal(ref.status):
            return
        try:
            await self.kube.apply_status(ref, status)
            await self.kube.post_event(ref, "Warning", reason, message)
        except KubernetesError:
            pass  # the original error is what the queue acts on; the status catches up later


def _usable(
    desired: list[dict[str, Any]], observed: Observed
) -> tuple[list[dict[str, Any]], tuple[str, str] | None]:
    """``desired`` without kinds this cluster cannot take, and the error to report for them."""
    dropped = sorted({o["kind"] for o in desired if o["kind"] in observed.unavailable})
    if not dropped:
        return desired, None
    kind = dropped[0]
    message = (
        f"spec.monitoring.podMonitor.enabled is true, but {observed.unavailable[kind]}; "
        "install prometheus-operator's CRDs (or grant the RBAC), or disable the PodMonitor. "
        "Everything else is reconciled."
    )
    kept = [o for o in desired if o["kind"] not in observed.unavailable]
    return kept, (f"{kind}Unavailable", message)


def _kept_while_paused(condition_type: str) -> bool:
    return condition_type.endswith("Configured") or condition_type == "RequiresUpdate"


def _normal(value: Mapping[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _live_config(cluster: Cluster, observed: Observed) -> dict[str, str]:
    config_map = observed.get("ConfigMap", naming.config_map_name(cluster.name)) or {}
    return dict(config_map.get("data") or {})


def _rollout(cluster: Cluster, observed: Observed, component: str) -> Rollout | None:
    deployment = observed.get("Deployment", naming.fullname(cluster.name, component))
    return rollout_of(deployment) if deployment is not None else None


def _status_inputs(
    cluster: Cluster,
    comps: Sequence[Component],
    *,
    observed: Observed,
    gate: Gate,
    plans: Sequence[TargetPlan],
    paused: bool = False,
    hold: Hold | None = None,
    error: tuple[str, str] | None = None,
) -> StatusInputs:
    groups = [c for c in comps if c.group is not None]
    unconfigured: list[str] = []
    if not cluster.spec.configure.enabled:
        unconfigured = _backends_in_use(cluster)
    return StatusInputs(
        generation=cluster.generation,
        paused=paused,
        error=error,
        api=_rollout(cluster, observed, naming.COMPONENT_API),
        api_waiting=gate.waiting.get(naming.COMPONENT_API, ()),
        consumers={c.group.name: _rollout(cluster, observed, c.name) for c in groups if c.group},
        consumers_waiting={
            c.group.name: gate.waiting[c.name] for c in groups if c.group and c.name in gate.waiting
        },
        plans=plans,
        unconfigured_backends=unconfigured,
        requires_update=hold.condition(cluster.name) if hold is not None else None,
        operator=(
            hold.record(cluster.generation, settled=not gate.waiting) if hold is not None else None
        ),
    )


def _backends_in_use(cluster: Cluster) -> list[str]:
    backends = cluster.spec.backends
    out: list[str] = [backends.metrics.type] if backends.metrics.type != "memory" else []
    if "elasticsearch" in (backends.metadata.type, backends.suggest.type):
        out.append("elasticsearch")
    if any(g.source.pubsub is not None for g in cluster.spec.consumers):
        out.append("pubsub")
    if any(creates_topics(g) for g in cluster.spec.consumers):
        out.append("kafka")
    return out
