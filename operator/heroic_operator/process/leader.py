"""Leader election with a coordination.k8s.io Lease, so that several replicas can run and only
one reconciles (the standard client-go algorithm, simplified).

The holder renews every ``renew`` seconds; another replica takes over only after the Lease has
not been renewed for ``duration`` seconds. A holder that cannot renew within ``deadline`` stops
processing before anyone else may start. Updates use the Lease's resourceVersion, so two
candidates can never both win. Lease writes are the only writes a standby replica makes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from lightkube import ApiError, AsyncClient
from lightkube.models.coordination_v1 import LeaseSpec
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.coordination_v1 import Lease

from heroic_operator import metrics

logger = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


class LeaseElector:
    def __init__(
        self,
        client: AsyncClient,
        *,
        namespace: str,
        name: str,
        identity: str,
        duration: float = 15.0,
        deadline: float = 10.0,
        renew: float = 2.0,
    ) -> None:
        self.client = client
        self.namespace = namespace
        self.name = name
        self.identity = identity
        self.duration = duration
        self.deadline = deadline
        self.renew = renew
        self.leading = False

    async def run(self, on_change: Callable[[bool], None]) -> None:
        """Campaign forever; ``on_change(True/False)`` when leadership starts or ends."""
        last_renewal = datetime.min.replace(tzinfo=UTC)
        try:
            while True:
                try:
                    if await self._acquire_or_renew():
                        last_renewal = _now()
                except ApiError as exc:
                    logger.warning("Lease %s/%s: %s", self.namespace, self.name, exc.status.message)
                leading = _now() - last_renewal < timedelta(seconds=self.deadline)
                if leading != self.leading:
                    self.leading = leading
                    metrics.LEADER.set(1 if leading else 0)
                    logger.info(
                        "%s leadership of Lease %s/%s",
                        "Acquired" if leading else "Lost",
                        self.namespace,
                        self.name,
                    )
                    on_change(leading)
                await asyncio.sleep(self.renew)
        finally:
            if self.leading:
                await self._release()

    async def _acquire_or_renew(self) -> bool:
        now = _now()
        try:
            lease = await self.client.get(Lease, self.name, namespace=self.namespace)
        except ApiError as exc:
            if exc.status.code != 404:
                raise
            await self.client.create(
                Lease(
                    metadata=ObjectMeta(name=self.name, namespace=self.namespace),
                    spec=self._spec(now, now, 0),
                )
            )
            return True
        spec = lease.spec or LeaseSpec()
        holder = spec.holderIdentity or ""
        renewed = spec.renewTime or datetime.min.replace(tzinfo=UTC)
        expired = now - renewed > timedelta(seconds=spec.leaseDurationSeconds or self.duration)
        if holder not in ("", self.identity) and not expired:
            return False
        transitions = (spec.leaseTransitions or 0) + (0 if holder == self.identity else 1)
        acquired = spec.acquireTime if holder == self.identity and spec.acquireTime else now
        lease.spec = self._spec(acquired, now, transitions)
        await self.client.replace(lease)  # conflicts (409) if someone else updated it first
        return True

    def _spec(self, acquired: datetime, renewed: datetime, transitions: int) -> LeaseSpec:
        return LeaseSpec(
            holderIdentity=self.identity,
            leaseDurationSeconds=int(self.duration),
            acquireTime=acquired,
            renewTime=renewed,
            leaseTransitions=transitions,
        )

    async def _release(self) -> None:
        """Hand the Lease over at once on a clean shutdown."""
        try:
            lease = await self.client.get(Lease, self.name, namespace=self.namespace)
            if lease.spec is not None and lease.spec.holderIdentity == self.identity:
                lease.spec.holderIdentity = ""
                lease.spec.renewTime = _now() - timedelta(seconds=self.duration + 1)
                await self.client.replace(lease)
        except ApiError as exc:
            logger.warning(
                "could not release Lease %s/%s: %s", self.namespace, self.name, exc.status.message
            )
        self.leading = False
        metrics.LEADER.set(0)
