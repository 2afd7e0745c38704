"""Apply: carry out a ``Plan`` through ``Kube``: children (ServiceAccounts, ConfigMaps and
Services first, then the rest, each group in parallel), configure Jobs, pruning, status, Events.

Every write is counted (``writes``, per verb and kind, and the ``api_writes`` metric) and its
failure converted: 422 from a child means the spec produced something the API server refuses
(``InvalidSpec``), anything else is a ``KubernetesError`` (retried). An Event that cannot be
posted is logged, never raised. No decisions are made here.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from heroic_operator import metrics, naming, timestamps
from heroic_operator.errors import InvalidSpec, KubernetesError
from heroic_operator.kube import ApiRequestError, Kube, Store
from heroic_operator.reconcile.plan import ChildWrite, Event, JobStep, Plan
from heroic_operator.spec import Cluster, ClusterRef

logger = logging.getLogger(__name__)

T = TypeVar("T")
Owner = Cluster | ClusterRef


class Applier:
    """The write side of reconciles through one ``Kube``; counts its own writes."""

    def __init__(
        self,
        kube: Kube,
        store: Store | None = None,
        on_written: Callable[[Mapping[str, Any]], None] | None = None,
    ) -> None:
        self.kube = kube
        #: The watch cache: holds what we wrote, as the API server stored it.
        self.store = store
        self.writes: Counter[str] = Counter()
        #: Told of every child as the API server stored it (so its watch event is not news).
        self.on_written = on_written

    @property
    def total_writes(self) -> int:
        return sum(self.writes.values())

    async def apply(self, cluster: Cluster, plan: Plan) -> None:
        """Every write of ``plan``, in order; the status last, so it describes what was done."""
        for group in (plan.first, plan.rest):
            await asyncio.gather(*(self._child(cluster, write) for write in group))
        for step in plan.jobs:
            await self._jobs(cluster, step)
        for kind, name in plan.prune:
            await self.delete(kind, cluster.namespace, name)
        if plan.status is not None:
            await self.status(cluster, plan.status)

    async def _child(self, cluster: Cluster, write: ChildWrite) -> None:
        await self.write(write.obj)
        if write.event is not None:
            await self.event(cluster, write.event)

    async def _jobs(self, cluster: Cluster, step: JobStep) -> None:
        for name in step.delete:
            await self.delete("Job", cluster.namespace, name)
        if step.create is not None:
            await self.write(step.create)
        for event in step.events:
            await self.event(cluster, event)
        for outcome in step.outcomes:
            metrics.JOB_OUTCOMES.labels(cluster.namespace, cluster.name, step.target, outcome).inc()

    # --- single writes --------------------------------------------------------------------

    async def _counted(self, verb: str, kind: str, what: str, call: Awaitable[T]) -> T:
        self.writes[f"{verb} {kind}"] += 1
        metrics.API_WRITES.labels(verb=verb, kind=kind).inc()
        try:
            return await call
        except ApiRequestError as exc:
            message = f"{what} rejected by the API server: {exc.message}"
            if exc.status == 422 and kind != naming.KIND:
                raise InvalidSpec(message, reason="ChildRejected") from None
            raise KubernetesError(message, exc.status) from None

    async def write(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        """Server-side apply of our fields (``force``: we own exactly what we send)."""
        kind, meta = obj["kind"], obj["metadata"]
        what = f"{kind} {meta['namespace']}/{meta['name']}"
        stored = await self._counted("apply", kind, what, self.kube.apply(obj))
        if self.store is not None:
            self.store.put(stored)
        if self.on_written is not None:
            self.on_written(stored)
        return stored

    async def delete(self, kind: str, namespace: str, name: str) -> None:
        await self._counted(
            "delete", kind, f"{kind} {namespace}/{name}", self.kube.delete(kind, name, namespace)
        )
        if self.store is not None:
            self.store.discard(kind, namespace, name)

    async def status(self, cluster: Owner, status: Mapping[str, Any]) -> None:
        """Server-side apply of the whole status (fields we no longer send are removed)."""
        body = {
            "apiVersion": naming.API_VERSION,
            "kind": naming.KIND,
            "metadata": {"name": cluster.name, "namespace": cluster.namespace},
            "status": dict(status),
        }
        what = f"status of {cluster.namespace}/{cluster.name}"
        await self._counted(
            "status", naming.KIND, what, self.kube.apply(body, subresource="status")
        )

    async def event(self, cluster: Owner, event: Event) -> None:
        """A core/v1 Event on the HeroicCluster, and the same line in the log."""
        logger.info(
            "%s %s: %s",
            event.reason,
            f"{cluster.namespace}/{cluster.name}",
            event.message,
            extra={"namespace": cluster.namespace, "cluster": cluster.name, "reason": event.reason},
        )
        try:
            await self._counted(
                "create",
                "Event",
                f"Event {event.reason}",
                self.kube.create(event_body(cluster, event)),
            )
        except (KubernetesError, InvalidSpec) as exc:
            logger.warning("could not post Event %s: %s", event.reason, exc)


def event_body(cluster: Owner, event: Event) -> dict[str, Any]:
    now = timestamps.seconds(datetime.now(UTC))
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"generateName": f"{cluster.name}.", "namespace": cluster.namespace},
        "involvedObject": {
            "apiVersion": naming.API_VERSION,
            "kind": naming.KIND,
            "name": cluster.name,
            "namespace": cluster.namespace,
            "uid": cluster.uid,
        },
        "type": event.type,
        "reason": event.reason,
        "message": event.message[:1000],
        "source": {"component": naming.FIELD_MANAGER},
        "reportingComponent": naming.FIELD_MANAGER,
        "reportingInstance": naming.FIELD_MANAGER,
        "firstTimestamp": now,
        "lastTimestamp": now,
        "count": 1,
    }
