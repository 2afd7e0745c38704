"""Read what a federated cluster's API sees: one API pod's ``/cluster/status``, through the API
server's service proxy (``services/<api>:http/proxy/cluster/status``), at most once per
``interval`` per cluster.

When a read is due is decided from ``status.federation.lastChecked``, so a restarted or newly
elected operator keeps the pace. A Deployment without a ready API pod is not asked; a read that
fails (no endpoints, a timeout, RBAC without ``services/proxy``, an answer that is not JSON)
becomes a reading with the reason, never an error of the reconcile. Part of the observe phase:
the only I/O is the one GET.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from heroic_operator import naming, timestamps
from heroic_operator.kube import ApiRequestError, Kube
from heroic_operator.reconcile.snapshot import Children, FederationReading
from heroic_operator.spec import Cluster

CLUSTER_STATUS_PATH = "cluster/status"
#: A read longer than this is given up: a slow API must not hold the reconcile.
READ_TIMEOUT_SECONDS = 5.0
DEFAULT_INTERVAL_SECONDS = 60.0


class FederationReader:
    """Reads ``/cluster/status`` of federated clusters when due."""

    def __init__(
        self,
        kube: Kube,
        clock: Callable[[], datetime],
        interval: float = DEFAULT_INTERVAL_SECONDS,
        timeout: float = READ_TIMEOUT_SECONDS,
    ) -> None:
        self.kube = kube
        self.clock = clock
        self.interval = interval
        self.timeout = timeout

    def due_in(self, cluster: Cluster) -> float:
        """Seconds until the next read (0 or less: due now)."""
        stored = cluster.status.get("federation")
        last = stored.get("lastChecked") if isinstance(stored, dict) else None
        try:
            checked = timestamps.parse(last if isinstance(last, str) else None)
        except ValueError:
            checked = None
        if checked is None:
            return 0.0
        return self.interval - (self.clock() - checked).total_seconds()

    async def observe(
        self, cluster: Cluster, children: Children
    ) -> tuple[FederationReading | None, float | None]:
        """This pass's reading (``None`` when not due) and the seconds until the next one
        (``None`` without ``spec.federation``)."""
        if cluster.spec.federation is None:
            return None, None
        due = self.due_in(cluster)
        if due > 0:
            return None, due
        return await self.read(cluster, children), self.interval

    async def read(self, cluster: Cluster, children: Children) -> FederationReading:
        now = self.clock()
        api = children.get("Deployment", naming.api_name(cluster.name))
        ready = int(((api or {}).get("status") or {}).get("readyReplicas") or 0)
        if not ready:
            return FederationReading(now, error="no API pod is ready")
        service = naming.api_name(cluster.name)
        try:
            answer = await self.kube.proxy_get(
                service, cluster.namespace, "http", CLUSTER_STATUS_PATH, timeout=self.timeout
            )
        except ApiRequestError as exc:
            return FederationReading(now, error=_why(service, exc))
        return FederationReading(now, answer=answer)


def _why(service: str, exc: ApiRequestError) -> str:
    what = f"cannot read /cluster/status of Service {service} through the API server's proxy"
    # the API server's own refusal is a Status with reason Forbidden; a bare 403 came from
    # behind the proxy (the pod, or something between the API server and the pod)
    if exc.status == 403 and exc.reason == "Forbidden":
        return f"{what}: the operator's RBAC does not allow services/proxy ({exc.message})"
    return f"{what}: {exc.status} {exc.message}" if exc.status else f"{what}: {exc.message}"
