"""The operator process: a Kubernetes client (the official one, through
``heroic_operator.kube``), the reconciler and its work queue, kopf as the event source,
optional Lease-based leader election, and the health/metrics server.

``Operator(config).run(stop_flag)`` runs until ``stop_flag`` is set (or SIGTERM in the main
thread). It can run in a thread (tests); ``request_reconcile`` is thread-safe.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import socket
import threading
from dataclasses import dataclass, field
from typing import Any

import kopf

from heroic_operator import naming
from heroic_operator.kube import Informer, Kube, Store, connect
from heroic_operator.process.changes import ChangeFilter
from heroic_operator.process.children import (
    WATCHED_KINDS,
    WATCHED_LABELS,
    ChildEvents,
    watched_namespaces,
)
from heroic_operator.process.controller import Controller
from heroic_operator.process.handlers import build_registry, configure_settings
from heroic_operator.process.leader import LeaseElector
from heroic_operator.process.login import make_login
from heroic_operator.process.server import bound_port, make_app, start_server
from heroic_operator.reconcile.reconciler import Reconciler

logger = logging.getLogger(__name__)


@dataclass
class OperatorConfig:
    namespaces: list[str] = field(default_factory=list)
    kubeconfig: str | None = None
    workers: int = 8
    resync_seconds: float = 300.0
    #: Seconds between reads of a federated cluster's /cluster/status (status.federation).
    federation_status_seconds: float = 60.0
    host: str = "0.0.0.0"  # noqa: S104 - probes and Prometheus reach the pod from outside
    port: int | None = 8080
    leader_election: bool = False
    lease_namespace: str | None = None
    lease_name: str = naming.FIELD_MANAGER
    identity: str = field(default_factory=socket.gethostname)


class OperatorFailedError(RuntimeError):
    """A part of the operator the rest depends on stopped with an error."""


class Operator:
    def __init__(self, config: OperatorConfig) -> None:
        self.config = config
        self.started = threading.Event()
        self.port: int | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.kube: Kube | None = None
        self.controller: Controller | None = None
        self.reconciler: Reconciler | None = None
        self._kopf_ready: asyncio.Event | None = None
        self._failure: tuple[str, BaseException] | None = None

    def ready(self) -> bool:
        kopf_ready = self._kopf_ready is not None and self._kopf_ready.is_set()
        return kopf_ready and self.controller is not None and self.controller.healthy()

    def request_reconcile(self, namespace: str, name: str) -> None:
        """Queue a reconcile from any thread."""
        if self.loop is None or self.controller is None:
            raise RuntimeError("the operator is not running")
        self.loop.call_soon_threadsafe(self.controller.enqueue, (namespace, name))

    async def run(self, stop_flag: threading.Event | asyncio.Event | None = None) -> None:
        """Run until stopped."""
        self.loop = asyncio.get_running_loop()
        self._kopf_ready = asyncio.Event()
        kube = self.kube = await connect(self.config.kubeconfig, naming.FIELD_MANAGER)
        changes, store = ChangeFilter(), Store()
        self.reconciler = Reconciler(
            kube,
            store=store,
            on_written=changes.written,
            federation_interval=self.config.federation_status_seconds,
        )
        controller = self.controller = Controller(
            self.reconciler, workers=self.config.workers, resync=self.config.resync_seconds
        )
        controller.start()
        main = asyncio.current_task()
        lead = asyncio.create_task(self._lead(kube, controller), name="leader-election")
        lead.add_done_callback(
            functools.partial(self._stop_if_failed, main=main, what="leader election")
        )
        tasks = [lead, *self._start_informers(kube, ChildEvents(store, changes, controller), main)]
        runner = None
        if self.config.port is not None:
            runner = await start_server(
                make_app(controller.healthy, self.ready), self.config.host, self.config.port
            )
            self.port = bound_port(runner)
        self.started.set()
        try:
            await self._run_kopf(controller, changes, store, stop_flag)
        except asyncio.CancelledError:
            if self._failure is None:
                raise
            what, exc = self._failure
            raise OperatorFailedError(f"{what} failed: {exc!r}") from exc
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await controller.stop()
            if runner is not None:
                await runner.cleanup()
            await kube.close()

    def _start_informers(
        self, kube: Kube, sink: ChildEvents, main: asyncio.Task[Any] | None
    ) -> list[asyncio.Task[None]]:
        """One watch per child kind and namespace; once all have listed, a new cluster's
        children are known from their events alone (``Observer.watching``)."""
        informers = [
            Informer(kube, kind, namespace, WATCHED_LABELS, sink)
            for namespace in watched_namespaces(self.config.namespaces)
            for kind in WATCHED_KINDS
        ]
        tasks = []
        for informer in informers:
            task = asyncio.create_task(informer.run(), name=f"watch {informer.name}")
            task.add_done_callback(
                functools.partial(
                    self._stop_if_failed, main=main, what=f"the watch of {informer.name}"
                )
            )
            tasks.append(task)

        async def synced() -> None:
            await asyncio.gather(*(i.synced.wait() for i in informers))
            times = [i.listed_at for i in informers]
            since = None if None in times else max(t for t in times if t is not None)
            if self.reconciler is not None:
                self.reconciler.observer.watching(since)

        tasks.append(asyncio.create_task(synced(), name="watches-synced"))
        return tasks

    async def _run_kopf(
        self,
        controller: Controller,
        changes: ChangeFilter,
        store: Store,
        stop_flag: threading.Event | asyncio.Event | None,
    ) -> None:
        await kopf.operator(
            registry=build_registry(controller, make_login(self.config.kubeconfig), changes, store),
            settings=configure_settings(kopf.OperatorSettings()),
            clusterwide=not self.config.namespaces,
            namespaces=self.config.namespaces,
            standalone=True,
            stop_flag=stop_flag,
            ready_flag=self._kopf_ready,
        )

    def _stop_if_failed(
        self, task: asyncio.Task[None], main: asyncio.Task[Any] | None, what: str
    ) -> None:
        """A task the rest depends on (the leader election, a watch) that died must stop the
        process: left alone, the operator would answer its probes and never reconcile (or
        reconcile without the Lease, or without hearing of its children)."""
        exc = None if task.cancelled() else task.exception()
        if exc is None or self._failure is not None:
            return
        self._failure = (what, exc)
        logger.error("%s failed; stopping", what.capitalize(), exc_info=exc)
        if main is not None:
            main.cancel()

    async def _lead(self, kube: Kube, controller: Controller) -> None:
        if not self.config.leader_election:
            controller.set_active(True)
            return
        namespace = self.config.lease_namespace or "default"
        elector = LeaseElector(
            kube, namespace=namespace, name=self.config.lease_name, identity=self.config.identity
        )
        await elector.run(controller.set_active)
