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
from typing import Any

from heroic_operator import metrics, timestamps
from heroic_operator.kube import ApiRequestError, Kube

logger = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


class LeaseElector:
    def __init__(
        self,
        kube: Kube,
        *,
        namespace: str,
        name: str,
        identity: str,
        duration: float = 15.0,
        deadline: float = 10.0,
        renew: float = 2.0,
    ) -> None:
        self.kube = kube
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
                except ApiRequestError as exc:
                    logger.warning("Lease %s/%s: %s", self.namespace, self.name, exc.message)
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
        lease = await self.kube.find("Lease", self.name, self.namespace)
        if lease is None:
            await self.kube.create(
                {
                    "apiVersion": "coordination.k8s.io/v1",
                    "kind": "Lease",
                    "metadata": {"name": self.name, "namespace": self.namespace},
                    "spec": self._spec(now, now, 0),
                }
            )
            return True
        spec = lease.get("spec") or {}
        holder = spec.get("holderIdentity") or ""
        renewed = timestamps.parse(spec.get("renewTime")) or datetime.min.replace(tzinfo=UTC)
        duration = spec.get("leaseDurationSeconds") or self.duration
        expired = now - renewed > timedelta(seconds=duration)
        if holder not in ("", self.identity) and not expired:
            return False
        transitions = int(spec.get("leaseTransitions") or 0) + (0 if holder == self.identity else 1)
        acquired = timestamps.parse(spec.get("acquireTime")) if holder == self.identity else None
        lease["spec"] = self._spec(acquired or now, now, transitions)
        # PUT with the read resourceVersion: 409 if someone else updated it first
        await self.kube.replace({**lease, "kind": "Lease", "apiVersion": "coordination.k8s.io/v1"})
        return True

    def _spec(self, acquired: datetime, renewed: datetime, transitions: int) -> dict[str, Any]:
        return {
            "holderIdentity": self.identity,
            "leaseDurationSeconds": int(self.duration),
            "acquireTime": timestamps.micro(acquired),
            "renewTime": timestamps.micro(renewed),
            "leaseTransitions": transitions,
        }

    async def _release(self) -> None:
        """Hand the Lease over at once on a clean shutdown."""
        try:
            lease = await self.kube.find("Lease", self.name, self.namespace)
            spec = (lease or {}).get("spec") or {}
            if lease is not None and spec.get("holderIdentity") == self.identity:
                spec["holderIdentity"] = ""
                spec["renewTime"] = timestamps.micro(_now() - timedelta(seconds=self.duration + 1))
                lease["spec"] = spec
                await self.kube.replace(
                    {**lease, "kind": "Lease", "apiVersion": "coordination.k8s.io/v1"}
                )
        except ApiRequestError as exc:
            logger.warning(
                "could not release Lease %s/%s: %s", self.namespace, self.name, exc.message
            )
        self.leading = False
        metrics.LEADER.set(0)
