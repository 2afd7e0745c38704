"""The children's informer against the real API server: label-selected events in order across
watch requests the server ends every second. (Its answer to a version it no longer keeps, 410
Gone, depends on when etcd was compacted, so the informer's handling of it is tested in
``tests/unit/operator/test_kube_informer.py`` against a scripted server.)"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest

from heroic_operator.kube import Informer, Kube, connect

pytestmark = pytest.mark.kubernetes

LABELS = {"heroic.dev/test": "informer"}


class Recorder:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str]] = []

    def event(self, kind: str, type_: str, obj: dict[str, Any]) -> None:
        self.seen.append((type_, obj["metadata"]["name"], (obj.get("data") or {}).get("v", "")))

    def listed(self, kind: str, namespace: str | None, items: list[dict[str, Any]]) -> None:
        self.seen.extend(("LISTED", o["metadata"]["name"], "") for o in items)


def config_map(namespace: str, name: str, value: str, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "data": {"v": value},
    }


async def wait_until(check: Any, timeout: float = 20.0) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.05)


async def changes_seen(namespace: str) -> list[tuple[str, str, str]]:
    kube: Kube = await connect(os.environ["KUBECONFIG"], "heroic-test")
    recorder = Recorder()
    await kube.apply(config_map(namespace, "before", "0", LABELS))
    informer = Informer(kube, "ConfigMap", namespace, LABELS, recorder, timeout_seconds=1)
    task = asyncio.create_task(informer.run())
    try:
        await asyncio.wait_for(informer.synced.wait(), 20)
        assert informer.listed_at is not None  # the server's Date: new clusters trust events
        for value in ("1", "2", "3"):
            await kube.apply(config_map(namespace, "a", value, LABELS))
            await kube.apply(config_map(namespace, "unlabelled", value, {}))
            await asyncio.sleep(1.2)  # past the end of the current watch request
        await kube.delete("ConfigMap", "a", namespace)
        await wait_until(lambda: ("DELETED", "a", "3") in recorder.seen)
    finally:
        task.cancel()
        await kube.close()
    return recorder.seen


def test_events_arrive_once_and_in_order_across_watch_requests(namespace: str) -> None:
    assert asyncio.run(changes_seen(namespace)) == [
        ("LISTED", "before", ""),
        ("ADDED", "a", "1"),
        ("MODIFIED", "a", "2"),
        ("MODIFIED", "a", "3"),
        ("DELETED", "a", "3"),
    ]
