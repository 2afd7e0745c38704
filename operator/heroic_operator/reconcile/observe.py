"""Observe: read everything one reconcile needs into one immutable ``Snapshot``.

The HeroicCluster, every child of every managed kind (selected by our instance and managed-by
labels), a content hash of each referenced Secret key, the pods of configure Jobs that failed
(their exit codes say whether to retry), the installed CRD's status schema (re-read every few
minutes), and for a federated cluster, when due, what its API sees (``federation_read``). All
reads happen here and nowhere else; an API failure is a ``KubernetesError``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from heroic_operator import naming, timestamps
from heroic_operator.desired.components import render_cluster
from heroic_operator.errors import DependencyNotReady, KubernetesError
from heroic_operator.kube import ApiRequestError, Kube, Store
from heroic_operator.reconcile.federation_read import DEFAULT_INTERVAL_SECONDS, FederationReader
from heroic_operator.reconcile.snapshot import Children, Object, Snapshot
from heroic_operator.spec import Cluster, SecretKeyRef

#: Kinds of children, in the order they are applied; Jobs are created, never re-applied.
CHILD_KINDS = (
    "ServiceAccount",
    "ConfigMap",
    "Service",
    "Deployment",
    "PodDisruptionBudget",
    "HorizontalPodAutoscaler",
    "PodMonitor",
    "Job",
)
#: Kinds from other projects' CRDs: a cluster without the CRD lists none and reports it.
OPTIONAL_KINDS = frozenset({"PodMonitor"})
_UNAVAILABLE = {
    404: "the {kind} kind (monitoring.coreos.com/v1) is not installed in this cluster",
    403: "the operator's RBAC does not allow {kind}s (monitoring.coreos.com)",
}
#: Margin for clock skew when the API server does not say when it listed (no ``Date``).
WATCH_MARGIN_SECONDS = 5.0
#: How long the installed CRD's status schema is trusted before it is read again.
SCHEMA_TTL_SECONDS = 300.0


def utc_now() -> datetime:
    return datetime.now(UTC)


def api_error(what: str, exc: ApiRequestError) -> KubernetesError:
    return KubernetesError(f"{what}: {exc.message}", exc.status)


def needs_pods(job: Object) -> bool:
    """Whether a Job's pods are needed to interpret it (it failed: their exit codes decide)."""
    status = job.get("status") or {}
    return bool(status.get("failed")) or any(
        c.get("type") in ("Failed", "FailureTarget") for c in status.get("conditions") or []
    )


class Observer:
    """The read side of reconciles through one ``Kube``; ``clock`` is injectable for tests.

    With a ``store`` (the watch cache), the cluster and its children are read from it, and the
    children are listed from the API only when the last listing is older than ``max_age``
    seconds, or was never made for a cluster created before the children's watches had listed
    (see ``watching``: a cluster created later has had every child's event delivered, its
    creation included)."""

    def __init__(
        self,
        kube: Kube,
        clock: Callable[[], datetime] = utc_now,
        store: Store | None = None,
        max_age: float = 300.0,
        federation_interval: float = DEFAULT_INTERVAL_SECONDS,
    ) -> None:
        self.kube = kube
        self.clock = clock
        self.store = store
        self.max_age = max_age
        self.federation = FederationReader(kube, clock, federation_interval)
        self._schema: tuple[float, Object | None] | None = None
        self._unavailable: dict[tuple[str, str], dict[str, str]] = {}
        #: Clusters created after this (API server time) are known from events alone; until
        #: the watches say so (``watching``), none is.
        self.watching_since: datetime | None = None

    def watching(self, since: datetime | None) -> None:
        """Every child kind's watch has listed, the last at ``since`` (the API server's time, to
        the second): a cluster created in a later second has had every child's event
        delivered. Without the server's time, this process's clock with a margin for skew."""
        if since is None:
            since = self.clock() + timedelta(seconds=WATCH_MARGIN_SECONDS)
        self.watching_since = since

    async def cluster(self, namespace: str, name: str) -> Mapping[str, Any] | None:
        if self.store is not None:
            cached = self.store.get(naming.KIND, namespace, name)
            if cached is not None:
                return cached
        try:
            body = await self.kube.find(naming.KIND, name, namespace)
        except ApiRequestError as exc:
            raise api_error(f"get {naming.KIND} {namespace}/{name}", exc) from None
        if body is not None and self.store is not None:
            self.store.put(body)
        return body

    async def snapshot(self, cluster: Cluster, *, paused: bool = False) -> Snapshot:
        """The children, and unless ``paused`` the Secrets' hashes and failed Jobs' pods."""
        children = await self.children(cluster)
        schema = await self.status_schema()
        if paused:
            return Snapshot(cluster, children, self.clock(), status_schema=schema)
        hashes = await self.secret_hashes(cluster.namespace, render_cluster(cluster).secrets)
        failed = [name for name, job in children.of_kind("Job").items() if needs_pods(job)]
        pods = await asyncio.gather(*(self.job_pods(cluster.namespace, n) for n in failed))
        federation, due = await self.federation.observe(cluster, children)
        return Snapshot(
            cluster,
            children,
            self.clock(),
            secret_hashes=hashes,
            job_pods=dict(zip(failed, pods, strict=True)),
            status_schema=schema,
            federation=federation,
            federation_due=due,
        )

    async def children(self, cluster: Cluster) -> Children:
        """Every child of every managed kind, selected by our instance/managed-by labels."""
        key = (cluster.namespace, cluster.name)
        # Only a listing finds out whether an optional kind (the PodMonitor CRD) exists.
        wants_optional = cluster.spec.monitoring.pod_monitor.enabled
        wanted_missing = self._unavailable.get(key) and wants_optional
        if self.store is not None and not wanted_missing:
            # a kind the cluster asks for but found unavailable (the PodMonitor CRD not
            # installed yet) is looked for again on every reconcile
            age = self.store.listed_age(*key)
            # a cluster asking for an optional kind is listed on its first reconcile, born
            # watched or not
            if age is None and not wants_optional and self._born_watched(cluster):
                self.store.mark_listed(*key)  # known from events; listed after max_age
                age = 0.0
            if age is not None and age < self.max_age:
                return Children.of(self.store.children(*key))
        children = await self.list_children(cluster)
        self._unavailable[key] = dict(children.unavailable)
        if self.store is not None:
            self.store.replace_children(*key, children.all())
        return children

    def _born_watched(self, cluster: Cluster) -> bool:
        try:
            created = timestamps.parse(cluster.created)
        except ValueError:
            return False
        since = self.watching_since
        return created is not None and since is not None and created > since

    async def list_children(self, cluster: Cluster) -> Children:
        """The children as the API lists them now."""
        labels = {naming.LABEL_INSTANCE: cluster.name, naming.LABEL_MANAGED_BY: naming.MANAGED_BY}
        unavailable: dict[str, str] = {}

        async def fetch(kind: str) -> list[dict[str, Any]]:
            try:
                return await self.kube.list(kind, cluster.namespace, labels)
            except ApiRequestError as exc:
                if kind in OPTIONAL_KINDS and exc.status in _UNAVAILABLE:
                    unavailable[kind] = _UNAVAILABLE[exc.status].format(kind=kind)
                    return []
                what = f"list children of {cluster.namespace}/{cluster.name}"
                raise api_error(what, exc) from None

        lists = await asyncio.gather(*(fetch(kind) for kind in CHILD_KINDS))
        return Children.of((obj for items in lists for obj in items), unavailable)

    async def status_schema(self) -> Object | None:
        """The installed HeroicCluster CRD's schema of ``status`` (``None`` if unreadable)."""
        now = time.monotonic()
        if self._schema is None or now - self._schema[0] > SCHEMA_TTL_SECONDS:
            self._schema = (now, await self._read_status_schema())
        return self._schema[1]

    async def _read_status_schema(self) -> Object | None:
        try:
            crd = await self.kube.get("CustomResourceDefinition", f"{naming.PLURAL}.{naming.GROUP}")
        except ApiRequestError:
            return None
        for version in (crd.get("spec") or {}).get("versions") or []:
            if version.get("name") == naming.VERSION:
                schema = (version.get("schema") or {}).get("openAPIV3Schema") or {}
                status = (schema.get("properties") or {}).get("status")
                return dict(status) if isinstance(status, Mapping) else None
        return None

    async def job_pods(self, namespace: str, job: str) -> list[dict[str, Any]]:
        try:
            return await self.kube.list("Pod", namespace, {"batch.kubernetes.io/job-name": job})
        except ApiRequestError as exc:
            raise api_error(f"list pods of Job {namespace}/{job}", exc) from None

    async def secret_hashes(
        self, namespace: str, refs: Iterable[SecretKeyRef]
    ) -> dict[SecretKeyRef, str]:
        """A content hash per referenced Secret key; a missing one is ``DependencyNotReady``."""
        out: dict[SecretKeyRef, str] = {}
        secrets: dict[str, dict[str, str]] = {}
        for ref in refs:
            if ref.name not in secrets:
                secrets[ref.name] = await self._secret_data(namespace, ref.name)
            data = secrets[ref.name]
            if ref.key not in data:
                raise DependencyNotReady(
                    f"Secret {namespace}/{ref.name} has no key {ref.key!r}", "SecretKeyNotFound"
                )
            out[ref] = hashlib.sha256(base64.b64decode(data[ref.key])).hexdigest()[:16]
        return out

    async def _secret_data(self, namespace: str, name: str) -> dict[str, str]:
        try:
            secret = await self.kube.get("Secret", name, namespace)
        except ApiRequestError as exc:
            if exc.not_found:
                raise DependencyNotReady(
                    f"Secret {namespace}/{name} not found", "SecretNotFound"
                ) from None
            raise api_error(f"get Secret {namespace}/{name}", exc) from None
        data = dict(secret.get("data") or {})
        for key, value in (secret.get("stringData") or {}).items():
            data[key] = base64.b64encode(value.encode()).decode()
        return data
