"""What one reconcile saw: a cluster's children (``Children``) and everything a plan may look
at (``Snapshot``). Plain data, so the pure planners use it without importing the reading side
(``observe.Observer``, which builds it through the Kubernetes client).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from heroic_operator.spec import Cluster, SecretKeyRef

Object = Mapping[str, Any]


@dataclass(frozen=True)
class Children:
    """The children of one cluster as read from the API, by kind and name."""

    objects: Mapping[str, Mapping[str, Object]] = field(default_factory=dict)
    #: Optional kinds that cannot be used here, and why (CRD not installed, or no RBAC).
    unavailable: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, items: Iterable[Object], unavailable: Mapping[str, str] | None = None) -> Children:
        objects: dict[str, dict[str, Object]] = {}
        for obj in items:
            objects.setdefault(str(obj["kind"]), {})[str(obj["metadata"]["name"])] = obj
        return cls(MappingProxyType(objects), MappingProxyType(dict(unavailable or {})))

    def get(self, kind: str, name: str) -> Object | None:
        return self.objects.get(kind, {}).get(name)

    def live(self, desired: Object) -> Object | None:
        """The live counterpart of a desired object (same kind and name)."""
        return self.get(str(desired["kind"]), str(desired["metadata"]["name"]))

    def of_kind(self, kind: str) -> Mapping[str, Object]:
        return self.objects.get(kind, {})

    def all(self) -> list[Object]:
        return [obj for by_name in self.objects.values() for obj in by_name.values()]


@dataclass(frozen=True)
class FederationReading:
    """One read of an API pod's ``/cluster/status``: its ``answer``, or why it failed."""

    checked: datetime
    answer: Mapping[str, Any] | None = None
    error: str | None = None


@dataclass(frozen=True)
class Snapshot:
    """Everything a plan may look at; built by ``Observer`` or, in tests, by hand."""

    cluster: Cluster
    children: Children
    now: datetime
    secret_hashes: Mapping[SecretKeyRef, str] = field(default_factory=dict)
    #: Pods of the configure Jobs that failed, by Job name.
    job_pods: Mapping[str, Sequence[Object]] = field(default_factory=dict)
    #: The installed CRD's schema of ``status`` (``None``: unknown, store everything).
    status_schema: Object | None = None
    #: This pass's read of the federation (``None``: not due; the stored status stands).
    federation: FederationReading | None = None
    #: Seconds until the federation is due to be read again (``None``: no federation).
    federation_due: float | None = None
