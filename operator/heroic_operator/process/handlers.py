"""kopf glue, and nothing else: watch HeroicClusters and the children we label, and put the
affected cluster on the work queue. All logic lives in ``reconcile`` (via ``controller``).

kopf is used as the event source only (``on.event``): no create/update handlers, so kopf never
annotates the resource or adds a finalizer, and a steady state causes no writes.
"""

from __future__ import annotations

from typing import Any

import kopf

from heroic_operator import naming
from heroic_operator.kube import Store
from heroic_operator.kube import resource as kind_resource
from heroic_operator.process.changes import ChangeFilter
from heroic_operator.process.controller import Controller
from heroic_operator.process.login import LoginFn
from heroic_operator.reconcile.observe import CHILD_KINDS, OPTIONAL_KINDS


def _watched(kind: str) -> tuple[str, str] | tuple[str, str, str]:
    """kopf's name of a kind: (version, plural) in the core group, else (group, version, plural)."""
    res = kind_resource(kind)
    return (res.group, res.version, res.plural) if res.group else (res.version, res.plural)


#: Child kinds whose changes trigger a reconcile of their cluster (label-selected server-side):
#: the kinds a reconcile reads, but not the optional ones (another project's CRD may be absent).
CHILD_RESOURCES = tuple(_watched(k) for k in CHILD_KINDS if k not in OPTIONAL_KINDS)
CHILD_SELECTOR = f"{naming.LABEL_MANAGED_BY}={naming.MANAGED_BY}"


class NoDiffBase(kopf.DiffBaseStorage):
    """kopf keeps a "last handled" copy of each object for its change handlers; we register
    only event handlers, so building it (a deep copy of every watch event's object) is waste."""

    def build(self, *, body: kopf.Body, extra_fields: Any = None) -> kopf.BodyEssence:
        return kopf.BodyEssence()

    def fetch(self, *, body: kopf.Body) -> kopf.BodyEssence | None:
        return None

    def store(self, *, body: kopf.Body, patch: kopf.Patch, essence: kopf.BodyEssence) -> None:
        return None


def configure_settings(settings: kopf.OperatorSettings) -> kopf.OperatorSettings:
    """kopf settings: no log-to-Event posting, bounded watches, label-selected child watches."""
    settings.posting.enabled = False
    settings.persistence.diffbase_storage = NoDiffBase()
    settings.watching.server_timeout = 300
    settings.watching.client_timeout = 330
    settings.watching.connect_timeout = 10
    settings.networking.request_timeout = 60
    settings.process.ultimate_exiting_timeout = 15
    for resource in CHILD_RESOURCES:
        settings.watching.label_selectors[resource] = CHILD_SELECTOR
    return settings


def build_registry(
    controller: Controller,
    login: LoginFn,
    changes: ChangeFilter | None = None,
    store: Store | None = None,
) -> kopf.OperatorRegistry:
    """A registry whose handlers keep the watch cache (``store``) and enqueue work, only for
    news (see ``changes``)."""
    registry = kopf.OperatorRegistry()
    changes = changes if changes is not None else ChangeFilter()
    store = store if store is not None else Store()

    @kopf.on.login(registry=registry)
    def on_login(**kwargs: Any) -> kopf.ConnectionInfo | None:
        return login(**kwargs)

    @kopf.on.event(naming.GROUP, naming.VERSION, naming.PLURAL, registry=registry)
    async def on_cluster_event(
        *, event: kopf.RawEvent, body: kopf.Body, namespace: str | None, name: str, **_: Any
    ) -> None:
        key = (namespace or "", name)
        obj = event.get("object") or {}
        if event.get("type") == "DELETED":
            store.forget_cluster(*key)
            changes.forget(body)
            controller.forget(key)
            return
        store.put(obj)
        if changes.cluster_changed(body):
            controller.enqueue(key)

    async def on_child_event(
        *,
        event: kopf.RawEvent,
        body: kopf.Body,
        namespace: str | None,
        labels: kopf.Labels,
        **_: Any,
    ) -> None:
        instance = labels.get(naming.LABEL_INSTANCE)
        if not instance or not namespace:
            return
        obj = event.get("object") or {}
        if event.get("type") == "DELETED":
            store.delete(obj)
            changes.forget(body)
            controller.enqueue((namespace, instance))
            return
        store.put(obj)
        if changes.child_changed(body):
            controller.enqueue((namespace, instance))

    for resource in CHILD_RESOURCES:
        kopf.on.event(
            *resource,
            id=f"child-{resource[-1]}",
            labels={naming.LABEL_MANAGED_BY: naming.MANAGED_BY},
            registry=registry,
        )(on_child_event)
    return registry
