"""What the children's watch events do: keep the watch cache, and put the affected cluster on the
work queue when an event says something the last reconcile did not already know (see
``changes``). Only clusters kopf has reported are queued: the HeroicCluster watch decides which
clusters this operator reconciles, and a child outlives its deleted cluster for a moment."""

from __future__ import annotations

import re
from typing import Any

from heroic_operator import naming
from heroic_operator.kube import Store
from heroic_operator.process.changes import ChangeFilter
from heroic_operator.process.controller import Controller
from heroic_operator.reconcile.observe import CHILD_KINDS, OPTIONAL_KINDS
from heroic_operator.reconcile.status import rollout_of

#: Child kinds watched (label-selected server-side): the kinds a reconcile reads, but not the
#: optional ones (another project's CRD may be absent).
WATCHED_KINDS = tuple(k for k in CHILD_KINDS if k not in OPTIONAL_KINDS)
WATCHED_LABELS = {naming.LABEL_MANAGED_BY: naming.MANAGED_BY}
#: How long a Deployment's news waits for more while a rollout of its cluster is under way: a
#: new cluster's Deployments report each pod that becomes ready, and one reconcile after a burst
#: does what one per report would (a later event never postpones an earlier one's reconcile).
#: The news that the cluster's last rollout finished, and any other child's, is reconciled at
#: once.
SETTLE_SECONDS = 0.5
_NAMESPACE_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")


def watched_namespaces(namespaces: list[str]) -> list[str | None]:
    """Where the children are watched: each namespace named, or every namespace (``None``) when
    none is named or a name is a pattern (kopf accepts globs for the clusters' watch)."""
    if not namespaces or not all(_NAMESPACE_NAME.fullmatch(n) for n in namespaces):
        return [None]
    return list(namespaces)


def _instance(obj: dict[str, Any]) -> tuple[str, str] | None:
    meta = obj.get("metadata") or {}
    instance = (meta.get("labels") or {}).get(naming.LABEL_INSTANCE)
    namespace = meta.get("namespace")
    return (str(namespace), str(instance)) if instance and namespace else None


class ChildEvents:
    """The ``WatchSink`` of the children's informers."""

    def __init__(self, store: Store, changes: ChangeFilter, controller: Controller) -> None:
        self.store = store
        self.changes = changes
        self.controller = controller

    def _enqueue(self, key: tuple[str, str], delay: float = 0.0) -> None:
        if key in self.controller.known:
            self.controller.enqueue(key, delay)

    def _rolling_out(self, kind: str, key: tuple[str, str]) -> bool:
        """A Deployment's news while one of its cluster's Deployments has not finished rolling
        out (more reports will come)."""
        if kind != "Deployment":
            return False
        return any(not rollout_of(child).complete for child in self.store.children(*key, kind=kind))

    def event(self, kind: str, type_: str, obj: dict[str, Any]) -> None:
        key = _instance(obj)
        if key is None:
            return
        if type_ == "DELETED":
            self.store.delete(obj)
            self.changes.forget(obj)
            self._enqueue(key)
        elif not self.store.holds(obj):  # the operator's own writes come back: known already
            self.store.put(obj)
            if self.changes.child_changed(obj):
                self._enqueue(key, SETTLE_SECONDS if self._rolling_out(kind, key) else 0.0)

    def listed(self, kind: str, namespace: str | None, items: list[dict[str, Any]]) -> None:
        """A full listing: what the cache has of ``kind`` and the listing lacks was deleted."""
        present = {(o["metadata"].get("namespace"), o["metadata"]["name"]) for o in items}
        for (_, ns, name), instance in self.store.of_kind(kind, namespace):
            if (ns, name) not in present:
                self.store.discard(kind, ns, name)
                self.changes.forget({"kind": kind, "metadata": {"namespace": ns, "name": name}})
                if instance:
                    self._enqueue((ns, instance))
        for obj in items:
            self.event(kind, "ADDED", obj)
