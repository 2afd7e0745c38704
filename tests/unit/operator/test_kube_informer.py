"""The children's informer: a listing first, then watches resumed from the last version seen,
a new listing when that version is gone, and retries after failures; and what its events do to
the watch cache and the work queue."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest

from heroic_operator import naming
from heroic_operator.kube import ApiRequestError, Informer, Store
from heroic_operator.kube.client import Listing
from heroic_operator.process.changes import ChangeFilter
from heroic_operator.process.children import SETTLE_SECONDS, ChildEvents, watched_namespaces
from heroic_operator.process.controller import Controller


def config_map(name: str, version: str, cluster: str = "c1", **data: str) -> dict[str, Any]:
    return {
        "kind": "ConfigMap",
        "apiVersion": "v1",
        "metadata": {
            "name": name,
            "namespace": "ns",
            "resourceVersion": version,
            "labels": {naming.LABEL_INSTANCE: cluster},
        },
        "data": data,
    }


Script = list[dict[str, Any] | ApiRequestError]


class ScriptedApi:
    """Answers listings and watches from scripts, and records what was asked."""

    def __init__(self, listings: list[Listing], watches: list[Script]) -> None:
        self.listings = listings
        self.watches = watches
        self.asked: list[tuple[str, str]] = []
        self.done = asyncio.Event()

    async def listing(
        self, kind: str, namespace: str | None = None, labels: Mapping[str, str] | None = None
    ) -> Listing:
        self.asked.append(("list", ""))
        return self.listings.pop(0)

    async def watch(
        self,
        kind: str,
        namespace: str | None,
        *,
        labels: Mapping[str, str] | None = None,
        resource_version: str = "",
        timeout_seconds: int = 300,
    ) -> AsyncIterator[dict[str, Any]]:
        self.asked.append(("watch", resource_version))
        if not self.watches:
            self.done.set()
            await asyncio.Event().wait()  # a quiet watch, until cancelled
        for item in self.watches.pop(0):
            if isinstance(item, ApiRequestError):
                raise item
            yield item


class Recorder:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str]] = []

    def event(self, kind: str, type_: str, obj: dict[str, Any]) -> None:
        self.seen.append((type_, obj["metadata"]["name"], obj["metadata"]["resourceVersion"]))

    def listed(self, kind: str, namespace: str | None, items: list[dict[str, Any]]) -> None:
        self.seen.append(("LISTED", ",".join(o["metadata"]["name"] for o in items), ""))


def run(api: ScriptedApi) -> Recorder:
    recorder = Recorder()
    informer = Informer(api, "ConfigMap", "ns", {}, recorder, retry_seconds=0.001)

    async def scenario() -> None:
        task = asyncio.create_task(informer.run())
        await asyncio.wait_for(api.done.wait(), 5)
        task.cancel()

    asyncio.run(scenario())
    return recorder


def test_a_watch_starts_at_the_listing_and_resumes_at_the_last_version_seen() -> None:
    api = ScriptedApi(
        [Listing([config_map("a", "5")], "10")],
        [
            [{"type": "ADDED", "object": config_map("b", "11")}],
            [{"type": "BOOKMARK", "object": {"metadata": {"resourceVersion": "15"}}}],
            [ApiRequestError(0, "connection reset")],
            [{"type": "DELETED", "object": config_map("a", "16")}],
        ],
    )
    recorder = run(api)
    assert api.asked == [
        ("list", ""),
        ("watch", "10"),
        ("watch", "11"),
        ("watch", "15"),
        ("watch", "15"),
        ("watch", "16"),
    ]
    assert recorder.seen == [("LISTED", "a", ""), ("ADDED", "b", "11"), ("DELETED", "a", "16")]


@pytest.mark.parametrize(
    "gone",
    [
        {"type": "ERROR", "object": {"kind": "Status", "code": 410, "message": "too old"}},
        ApiRequestError(410, "too old", "Expired"),
    ],
)
def test_a_version_the_server_no_longer_has_means_a_new_listing(
    gone: dict[str, Any] | ApiRequestError,
) -> None:
    api = ScriptedApi(
        [Listing([config_map("a", "5")], "10"), Listing([config_map("b", "30")], "40")],
        [[gone]],
    )
    recorder = run(api)
    assert api.asked == [("list", ""), ("watch", "10"), ("list", ""), ("watch", "40")]
    assert recorder.seen == [("LISTED", "a", ""), ("LISTED", "b", "")]


def test_a_failed_listing_is_tried_again() -> None:
    class FailingOnce(ScriptedApi):
        failed = False

        async def listing(
            self, kind: str, namespace: str | None = None, labels: Mapping[str, str] | None = None
        ) -> Listing:
            if not self.failed:
                self.failed = True
                raise ApiRequestError(403, "forbidden")
            return await super().listing(kind, namespace, labels)

    api = FailingOnce([Listing([], "7")], [])
    run(api)
    assert api.asked == [("list", ""), ("watch", "7")]


# --- what the events do ---------------------------------------------------------------------


async def never(namespace: str, name: str) -> Any:
    raise AssertionError("no reconcile runs here")


def sink(known: set[tuple[str, str]]) -> tuple[ChildEvents, Store, list[tuple[str, str]]]:
    store = Store()
    controller = Controller(never)
    controller.known.update(known)
    queued: list[tuple[str, str]] = []
    controller.enqueue = lambda key, delay=0.0: queued.append(key)  # type: ignore[method-assign]
    return ChildEvents(store, ChangeFilter(), controller), store, queued


def deployment(
    version: str, available: int, replicas: int = 2, name: str = "c1-heroic-api"
) -> dict[str, Any]:
    return {
        "kind": "Deployment",
        "apiVersion": "apps/v1",
        "metadata": {
            "name": name,
            "namespace": "ns",
            "resourceVersion": version,
            "generation": 1,
            "labels": {naming.LABEL_INSTANCE: "c1"},
        },
        "spec": {"replicas": replicas},
        "status": {
            "observedGeneration": 1,
            "replicas": replicas,
            "updatedReplicas": replicas,
            "availableReplicas": available,
        },
    }


def test_rollouts_under_way_wait_for_more_news_and_the_last_one_finished_does_not() -> None:
    store = Store()
    controller = Controller(never)
    controller.known.add(("ns", "c1"))
    delays: list[float] = []
    controller.enqueue = lambda key, delay=0.0: delays.append(delay)  # type: ignore[method-assign]
    events = ChildEvents(store, ChangeFilter(), controller)
    consumer = "c1-heroic-consumer-main"
    events.event("Deployment", "ADDED", deployment("1", available=0, name=consumer, replicas=1))
    events.event("Deployment", "MODIFIED", deployment("2", available=1))
    events.event("Deployment", "MODIFIED", deployment("3", available=2))  # the consumer rolls
    events.event("Deployment", "MODIFIED", deployment("4", available=1, name=consumer, replicas=1))
    events.event("ConfigMap", "MODIFIED", config_map("a", "5", k="v"))
    events.event("Deployment", "DELETED", deployment("6", available=2))
    assert delays == [SETTLE_SECONDS, SETTLE_SECONDS, SETTLE_SECONDS, 0.0, 0.0, 0.0]


def test_a_child_change_queues_its_cluster_once_and_a_repeat_is_not_news() -> None:
    events, store, queued = sink({("ns", "c1")})
    events.event("ConfigMap", "ADDED", config_map("a", "1", k="v"))
    events.event("ConfigMap", "MODIFIED", config_map("a", "2", k="v"))
    events.event("ConfigMap", "MODIFIED", config_map("a", "3", k="changed"))
    assert queued == [("ns", "c1"), ("ns", "c1")]
    assert (store.get("ConfigMap", "ns", "a") or {})["data"] == {"k": "changed"}


def test_children_of_clusters_kopf_has_not_reported_are_kept_but_not_queued() -> None:
    events, store, queued = sink(set())
    events.event("ConfigMap", "ADDED", config_map("a", "1", cluster="elsewhere"))
    assert queued == []
    assert store.get("ConfigMap", "ns", "a") is not None


def test_a_listing_forgets_and_requeues_what_was_deleted_unseen() -> None:
    events, store, queued = sink({("ns", "c1"), ("ns", "c2")})
    events.event("ConfigMap", "ADDED", config_map("a", "1", cluster="c1"))
    events.event("ConfigMap", "ADDED", config_map("b", "2", cluster="c2"))
    queued.clear()
    events.listed("ConfigMap", "ns", [config_map("b", "2", cluster="c2")])
    assert store.get("ConfigMap", "ns", "a") is None
    assert store.get("ConfigMap", "ns", "b") is not None
    assert queued == [("ns", "c1")]


def test_a_deleted_child_queues_its_cluster() -> None:
    events, store, queued = sink({("ns", "c1")})
    events.event("ConfigMap", "ADDED", config_map("a", "1"))
    events.event("ConfigMap", "DELETED", config_map("a", "2"))
    assert store.get("ConfigMap", "ns", "a") is None
    assert queued == [("ns", "c1"), ("ns", "c1")]


@pytest.mark.parametrize(
    ("namespaces", "watched"),
    [
        ([], [None]),
        (["a", "b-2"], ["a", "b-2"]),
        (["a", "heroic-*"], [None]),
    ],
)
def test_children_are_watched_where_the_clusters_are(
    namespaces: list[str], watched: list[str | None]
) -> None:
    assert watched_namespaces(namespaces) == watched


def test_the_echo_of_the_operators_own_write_is_not_news() -> None:
    events, store, queued = sink({("ns", "c1")})
    written = config_map("a", "7", k="v")
    store.put(written)
    events.changes.written(written)
    events.event("ConfigMap", "MODIFIED", config_map("a", "7", k="v"))
    assert queued == []
    events.event("ConfigMap", "MODIFIED", config_map("a", "8", k="edited"))
    assert queued == [("ns", "c1")]
    assert (store.get("ConfigMap", "ns", "a") or {})["data"] == {"k": "edited"}
