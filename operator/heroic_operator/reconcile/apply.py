"""The only module that talks to the Kubernetes API: reads a cluster's children, writes them with
server-side apply (field manager ``heroic-operator``), deletes, patches status, posts Events.

Every write goes through ``_write`` so it is counted (``writes``, per verb and kind) and its
``ApiError`` converted: 422 from a child means the spec produced something the API server
refuses (``InvalidSpec``), anything else is a ``KubernetesError`` (retried). No decisions are
made here; callers decide *whether* to write.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from lightkube import ApiError, AsyncClient
from lightkube.generic_resource import create_namespaced_resource
from lightkube.resources.apiextensions_v1 import CustomResourceDefinition
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.autoscaling_v2 import HorizontalPodAutoscaler
from lightkube.resources.batch_v1 import Job
from lightkube.resources.core_v1 import ConfigMap, Event, Pod, Secret, Service, ServiceAccount
from lightkube.resources.policy_v1 import PodDisruptionBudget
from lightkube.types import CascadeType, PatchType

from heroic_operator import metrics, naming
from heroic_operator.errors import DependencyNotReady, InvalidSpec, KubernetesError
from heroic_operator.spec import Cluster, ClusterRef, SecretKeyRef

HeroicClusterResource = create_namespaced_resource(
    naming.GROUP, naming.VERSION, naming.KIND, naming.PLURAL
)
PodMonitorResource = create_namespaced_resource(
    "monitoring.coreos.com", "v1", "PodMonitor", "podmonitors"
)

#: Kinds of children, in the order they are applied; Jobs are created, never re-applied.
RESOURCES: dict[str, Any] = {
    "ServiceAccount": ServiceAccount,
    "ConfigMap": ConfigMap,
    "Service": Service,
    "Deployment": Deployment,
    "PodDisruptionBudget": PodDisruptionBudget,
    "HorizontalPodAutoscaler": HorizontalPodAutoscaler,
    "PodMonitor": PodMonitorResource,
    "Job": Job,
}
#: Kinds from other projects' CRDs: a cluster without the CRD lists none and reports it.
OPTIONAL_KINDS = frozenset({"PodMonitor"})
_UNAVAILABLE = {
    404: "the {kind} kind (monitoring.coreos.com/v1) is not installed in this cluster",
    403: "the operator's RBAC does not allow {kind}s (monitoring.coreos.com)",
}

T = TypeVar("T")


def _to_dict(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)
    return out


def _status_code(exc: Exception) -> int | None:
    """The HTTP status of a failed request (an unknown resource path answers a plain-text 404,
    which lightkube leaves as the HTTP client's error rather than an ``ApiError``)."""
    if isinstance(exc, ApiError):
        return exc.status.code
    code = getattr(getattr(exc, "response", None), "status_code", None)
    return code if isinstance(code, int) else None


def _name(obj: Mapping[str, Any]) -> str:
    return str(obj["metadata"]["name"])


@dataclass
class Observed:
    """The children of one cluster as read from the API, by kind and name."""

    objects: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    #: Optional kinds that cannot be used here, and why (CRD not installed, or no RBAC).
    unavailable: dict[str, str] = field(default_factory=dict)

    def get(self, kind: str, name: str) -> dict[str, Any] | None:
        return self.objects.get(kind, {}).get(name)

    def of_kind(self, kind: str) -> dict[str, dict[str, Any]]:
        return self.objects.get(kind, {})

    def put(self, obj: dict[str, Any]) -> None:
        self.objects.setdefault(obj["kind"], {})[_name(obj)] = obj


class Kube:
    """Typed access to the API for one operator process; counts its own writes."""

    def __init__(self, client: AsyncClient, field_manager: str = naming.FIELD_MANAGER) -> None:
        self.client = client
        self.field_manager = field_manager
        self.writes: Counter[str] = Counter()

    async def _call(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        try:
            return await call()
        except ApiError as exc:
            raise KubernetesError(f"{what}: {exc.status.message}", exc.status.code or 0) from None

    async def _write(self, verb: str, kind: str, what: str, call: Callable[[], Awaitable[T]]) -> T:
        self.writes[f"{verb} {kind}"] += 1
        metrics.API_WRITES.labels(verb=verb, kind=kind).inc()
        try:
            return await call()
        except ApiError as exc:
            message = f"{what} rejected by the API server: {exc.status.message}"
            if exc.status.code == 422 and kind != naming.KIND:
                raise InvalidSpec(message, reason="ChildRejected") from None
            raise KubernetesError(message, exc.status.code or 0) from None

    @property
    def total_writes(self) -> int:
        return sum(self.writes.values())

    # --- reads ----------------------------------------------------------------------------

    async def get_cluster(self, namespace: str, name: str) -> dict[str, Any] | None:
        try:
            obj = await self.client.get(HeroicClusterResource, name, namespace=namespace)
        except ApiError as exc:
            if exc.status.code == 404:
                return None
            raise KubernetesError(
                f"get HeroicCluster {namespace}/{name}: {exc.status.message}", exc.status.code or 0
            ) from None
        return _to_dict(obj)

    async def list_children(self, cluster: Cluster) -> Observed:
        """Every child of every managed kind, selected by our instance/managed-by labels."""
        labels: dict[str, Any] = {
            naming.LABEL_INSTANCE: cluster.name,
            naming.LABEL_MANAGED_BY: naming.MANAGED_BY,
        }

        observed = Observed()

        async def fetch(resource: Any) -> list[dict[str, Any]]:
            items = self.client.list(resource, namespace=cluster.namespace, labels=labels)
            try:
                return [{"kind": resource.__name__, **_to_dict(o)} async for o in items]
            except Exception as exc:
                kind, code = resource.__name__, _status_code(exc)
                if kind in OPTIONAL_KINDS and code in _UNAVAILABLE:
                    observed.unavailable[kind] = _UNAVAILABLE[code].format(kind=kind)
                    return []
                raise

        what = f"list children of {cluster.namespace}/{cluster.name}"
        lists = await asyncio.gather(
            *(self._call(what, functools.partial(fetch, r)) for r in RESOURCES.values())
        )
        for items in lists:
            for obj in items:
                observed.put(obj)
        return observed

    async def status_schema(self) -> dict[str, Any] | None:
        """The installed HeroicCluster CRD's schema of ``status`` (``None`` if unreadable)."""
        name = f"{naming.PLURAL}.{naming.GROUP}"
        try:
            crd = _to_dict(await self.client.get(CustomResourceDefinition, name))
        except ApiError:
            return None
        for version in (crd.get("spec") or {}).get("versions") or []:
            if version.get("name") == naming.VERSION:
                schema = (version.get("schema") or {}).get("openAPIV3Schema") or {}
                status = (schema.get("properties") or {}).get("status")
                return dict(status) if isinstance(status, Mapping) else None
        return None

    async def list_job_pods(self, namespace: str, job: str) -> list[dict[str, Any]]:
        labels: dict[str, Any] = {"batch.kubernetes.io/job-name": job}

        async def fetch() -> list[dict[str, Any]]:
            items = self.client.list(Pod, namespace=namespace, labels=labels)
            return [_to_dict(p) async for p in items]

        return await self._call(f"list pods of Job {namespace}/{job}", fetch)

    async def secret_hashes(
        self, namespace: str, refs: Iterable[SecretKeyRef]
    ) -> dict[SecretKeyRef, str]:
        """A content hash per referenced Secret key; a missing one is ``DependencyNotReady``."""
        out: dict[SecretKeyRef, str] = {}
        cache: dict[str, dict[str, str]] = {}
        for ref in refs:
            if ref.name not in cache:
                cache[ref.name] = await self._secret_data(namespace, ref.name)
            data = cache[ref.name]
            if ref.key not in data:
                raise DependencyNotReady(
                    f"Secret {namespace}/{ref.name} has no key {ref.key!r}", "SecretKeyNotFound"
                )
            out[ref] = hashlib.sha256(base64.b64decode(data[ref.key])).hexdigest()[:16]
        return out

    async def _secret_data(self, namespace: str, name: str) -> dict[str, str]:
        try:
            secret = await self.client.get(Secret, name, namespace=namespace)
        except ApiError as exc:
            if exc.status.code == 404:
                raise DependencyNotReady(
                    f"Secret {namespace}/{name} not found", "SecretNotFound"
                ) from None
            raise KubernetesError(
                f"get Secret {namespace}/{name}: {exc.status.message}", exc.status.code or 0
            ) from None
        data = dict(secret.data or {})
        for key, value in (secret.stringData or {}).items():
            data[key] = base64.b64encode(value.encode()).decode()
        return data

    # --- writes ---------------------------------------------------------------------------

    async def apply(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Server-side apply of our fields (``force``: we own exactly what we send)."""
        kind, name, namespace = obj["kind"], _name(obj), obj["metadata"]["namespace"]
        resource = RESOURCES[kind]

        async def call() -> Any:
            return await self.client.patch(
                resource,
                name,
                obj,
                namespace=namespace,
                patch_type=PatchType.APPLY,
                field_manager=self.field_manager,
                force=True,
            )

        result = await self._write("apply", kind, f"{kind} {namespace}/{name}", call)
        return {"kind": kind, **_to_dict(result)}

    async def delete(self, kind: str, namespace: str, name: str) -> None:
        async def call() -> None:
            try:
                await self.client.delete(
                    RESOURCES[kind],
                    name,
                    namespace=namespace,
                    cascade=CascadeType.BACKGROUND,
                )
            except ApiError as exc:
                if exc.status.code != 404:
                    raise

        await self._write("delete", kind, f"{kind} {namespace}/{name}", call)

    async def apply_status(self, cluster: Cluster | ClusterRef, status: Mapping[str, Any]) -> None:
        """Server-side apply of the whole status (fields we no longer send are removed)."""
        body = {
            "apiVersion": naming.API_VERSION,
            "kind": naming.KIND,
            "metadata": {"name": cluster.name, "namespace": cluster.namespace},
            "status": dict(status),
        }

        async def call() -> Any:
            return await self.client.patch(
                HeroicClusterResource.Status,
                cluster.name,
                body,
                namespace=cluster.namespace,
                patch_type=PatchType.APPLY,
                field_manager=self.field_manager,
                force=True,
            )

        await self._write(
            "status", naming.KIND, f"status of {cluster.namespace}/{cluster.name}", call
        )

    async def post_event(
        self, cluster: Cluster | ClusterRef, kind: str, reason: str, message: str
    ) -> None:
        """A core/v1 Event on the HeroicCluster (``kind`` is Normal or Warning)."""
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        event = cast(
            Event,
            Event.from_dict(
                {
                    "metadata": {
                        "generateName": f"{cluster.name}.",
                        "namespace": cluster.namespace,
                    },
                    "involvedObject": {
                        "apiVersion": naming.API_VERSION,
                        "kind": naming.KIND,
                        "name": cluster.name,
                        "namespace": cluster.namespace,
                        "uid": cluster.uid,
                    },
                    "type": kind,
                    "reason": reason,
                    "message": message[:1000],
                    "source": {"component": naming.FIELD_MANAGER},
                    "reportingComponent": naming.FIELD_MANAGER,
                    "reportingInstance": naming.FIELD_MANAGER,
                    "firstTimestamp": now,
                    "lastTimestamp": now,
                    "count": 1,
                }
            ),
        )

        async def call() -> Any:
            return await self.client.create(event)

        await self._write("create", "Event", f"Event {reason}", call)
