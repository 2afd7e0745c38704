"""kopf glue, and nothing else: watch HeroicClusters and put each on the work queue when it says
something new. All logic lives in ``reconcile`` (via ``controller``); the children are watched
by ``kube.informer`` (see ``children``).

kopf is used as the event source only (``on.event``): no create/update handlers, so kopf never
annotates the resource or adds a finalizer, and a steady state causes no writes.
"""

from __future__ import annotations

from typing import Any

import kopf

from heroic_operator import naming
from heroic_operator.desired.components import forget_rendering
from heroic_operator.kube import Store
from heroic_operator.process.changes import ChangeFilter
from heroic_operator.process.controller import Controller
from heroic_operator.process.login import LoginFn


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
    """kopf settings: no log-to-Event posting, bounded watches."""
    settings.posting.enabled = False
    settings.persistence.diffbase_storage = NoDiffBase()
    settings.watching.server_timeout = 300
    settings.watching.client_timeout = 330
    settings.watching.connect_timeout = 10
    settings.networking.request_timeout = 60
    settings.process.ultimate_exiting_timeout = 15
    return settings


def build_registry(
    controller: Controller,
    login: LoginFn,
    changes: ChangeFilter | None = None,
    store: Store | None = None,
) -> kopf.OperatorRegistry:
    """A registry whose handler keeps the watch cache (``store``) and enqueues work, only for
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
            forget_rendering(*key)
            changes.forget(body)
            controller.forget(key)
            return
        store.put(obj)
        if changes.cluster_changed(body):
            controller.enqueue(key)

    return registry
