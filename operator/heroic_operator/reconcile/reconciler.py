"""One reconcile of one HeroicCluster: observe → plan → apply.

Level-based: it starts from the live resource and children every time, so a deleted or edited
child is repaired and a missed event does no harm. It writes only what differs (a reconcile of
an unchanged cluster makes zero writes), never deletes backend data, and never runs anything on
deletion (children go by owner-reference garbage collection). Errors propagate after the status
says why, so the work queue retries (temporary) or waits for a spec change (permanent).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from heroic_operator import metrics
from heroic_operator.errors import (
    DependencyNotReady,
    InvalidSpec,
    KubernetesError,
    PermanentError,
    TemporaryError,
)
from heroic_operator.kube import Kube, Store
from heroic_operator.reconcile.apply import Applier
from heroic_operator.reconcile.federation_read import DEFAULT_INTERVAL_SECONDS
from heroic_operator.reconcile.observe import Observer, utc_now
from heroic_operator.reconcile.plan import Event, Plan, plan_cluster, plan_error, plan_paused
from heroic_operator.reconcile.upgrade import operator_version
from heroic_operator.spec import ClusterRef, parse_cluster, ref_of

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Result:
    """What one reconcile did: when to look again (seconds), and whether the cluster is Ready."""

    requeue_after: float | None
    ready: bool
    found: bool = True


class Reconciler:
    """Reconciles clusters through one ``Kube``; ``clock`` is injectable for tests, ``version``
    is the operator version recorded in ``status.operator`` (see ``upgrade``), ``store`` the
    watch cache reads go to (without one every reconcile reads from the API),
    ``federation_interval`` the seconds between reads of a federated cluster's API."""

    def __init__(
        self,
        kube: Kube,
        clock: Callable[[], datetime] = utc_now,
        version: str | None = None,
        store: Store | None = None,
        on_written: Callable[[Mapping[str, Any]], None] | None = None,
        *,
        federation_interval: float = DEFAULT_INTERVAL_SECONDS,
    ) -> None:
        self.observer = Observer(kube, clock, store, federation_interval=federation_interval)
        self.applier = Applier(kube, store, on_written)
        self.clock = clock
        self.version = version or operator_version()
        self._unstorable_warned: set[str] = set()

    async def __call__(self, namespace: str, name: str) -> Result:
        started = time.monotonic()
        try:
            return await self._reconcile(namespace, name)
        finally:
            metrics.RECONCILE_SECONDS.labels(namespace, name).observe(time.monotonic() - started)

    async def _reconcile(self, namespace: str, name: str) -> Result:
        body = await self.observer.cluster(namespace, name)
        if body is None or (body.get("metadata") or {}).get("deletionTimestamp"):
            return Result(None, ready=False, found=False)
        ref = ref_of(body)
        try:
            cluster = parse_cluster(body)
            paused = cluster.spec.paused
            snapshot = await self.observer.snapshot(cluster, paused=paused)
            plan = plan_paused(snapshot) if paused else plan_cluster(snapshot, self.version)
            self._warn_unstorable(plan)
            metrics.CHILDREN_HELD.labels(namespace, name).set(plan.held)
            metrics.CLUSTERS_READY.labels(namespace, name).set(1 if plan.ready else 0)
            await self.applier.apply(cluster, plan)
        except (InvalidSpec, DependencyNotReady, KubernetesError) as exc:
            await self._report_error(ref, exc)
            raise
        metrics.RECONCILES.labels(namespace, name, "paused" if plan.paused else "ok").inc()
        return Result(plan.requeue_after, plan.ready)

    def _warn_unstorable(self, plan: Plan) -> None:
        new = sorted(set(plan.unstorable) - self._unstorable_warned)
        if new:
            self._unstorable_warned.update(new)
            logger.warning(
                "The installed HeroicCluster CRD is older than this operator (%s): it cannot "
                "hold status.%s; apply crds/heroicclusters.heroic.dev.yaml of this version",
                self.version,
                ", status.".join(new),
            )

    async def _report_error(self, ref: ClusterRef, exc: TemporaryError | PermanentError) -> None:
        reason = getattr(exc, "reason", type(exc).__name__)
        message = getattr(exc, "message", str(exc))
        result = "invalid" if isinstance(exc, InvalidSpec) else "error"
        metrics.RECONCILES.labels(ref.namespace, ref.name, result).inc()
        metrics.RECONCILE_ERRORS.labels(ref.namespace, ref.name, reason).inc()
        status = plan_error(ref, reason, message, self.clock())
        if status is None:
            return
        try:
            await self.applier.status(ref, status)
            await self.applier.event(ref, Event("Warning", reason, message))
        except KubernetesError:
            pass  # the original error is what the queue acts on; the status catches up later
