"""Kubernetes Events the operator posts on a HeroicCluster: rollouts, drift repairs and configure
Job outcomes. Only transitions post Events, so a steady state posts none. Wraps ``Kube``."""

from __future__ import annotations

import logging

from heroic_operator.errors import KubernetesError
from heroic_operator.reconcile.apply import Kube
from heroic_operator.spec import Cluster, ClusterRef

logger = logging.getLogger(__name__)


class EventLog:
    """Posts Events and logs the same line; a failed post is logged, never raised."""

    def __init__(self, kube: Kube) -> None:
        self.kube = kube

    async def normal(self, cluster: Cluster | ClusterRef, reason: str, message: str) -> None:
        await self._post(cluster, "Normal", reason, message)

    async def warning(self, cluster: Cluster | ClusterRef, reason: str, message: str) -> None:
        await self._post(cluster, "Warning", reason, message)

    async def _post(
        self, cluster: Cluster | ClusterRef, kind: str, reason: str, message: str
    ) -> None:
        logger.info(
            "%s %s: %s",
            reason,
            f"{cluster.namespace}/{cluster.name}",
            message,
            extra={"namespace": cluster.namespace, "cluster": cluster.name, "reason": reason},
        )
        try:
            await self.kube.post_event(cluster, kind, reason, message)
        except KubernetesError as exc:
            logger.warning("could not post Event %s: %s", reason, exc)
