"""Where observe reads a cluster's children from: the watch cache for a cluster created after
every child kind's watch had listed (by the API server's clock), the API otherwise."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, cast

import pytest

from heroic_operator.kube import Kube, Store
from heroic_operator.reconcile.observe import CHILD_KINDS, Observer
from heroic_operator.spec import parse_cluster

LISTED = datetime(2026, 12, 7, 4, 0, 0, tzinfo=UTC)


class ListingApi:
    """Answers every listing with nothing, and counts them."""

    def __init__(self) -> None:
        self.listed: list[str] = []

    async def list(
        self, kind: str, namespace: str | None = None, labels: Mapping[str, str] | None = None
    ) -> list[dict[str, Any]]:
        self.listed.append(kind)
        return []


def kinds_listed(body: dict[str, Any], created: str, since: datetime | None) -> list[str]:
    api = ListingApi()
    observer = Observer(cast(Kube, api), store=Store())
    if since is not None:
        observer.watching(since)
    body["metadata"]["creationTimestamp"] = created
    asyncio.run(observer.children(parse_cluster(body)))
    return api.listed


@pytest.mark.parametrize(
    ("created", "since", "listed"),
    [
        ("2026-12-07T04:00:01Z", LISTED, False),  # a later second: every event was seen
        ("2026-12-07T04:00:00Z", LISTED, True),  # the same second: maybe before the listing
        ("2026-12-07T03:59:00Z", LISTED, True),
        ("2026-12-07T04:00:01Z", None, True),  # the watches have not listed yet
    ],
)
def test_children_are_listed_unless_every_event_of_them_was_watched(
    manifest: Callable[[str], dict[str, Any]], created: str, since: datetime | None, listed: bool
) -> None:
    kinds = kinds_listed(manifest("memory"), created, since)
    assert sorted(kinds) == (sorted(CHILD_KINDS) if listed else [])


def test_a_cluster_asking_for_a_pod_monitor_is_listed_even_when_born_watched(
    manifest: Callable[[str], dict[str, Any]],
) -> None:
    # Only a listing tells whether the PodMonitor CRD exists (PodMonitorUnavailable); from
    # the cache alone the operator would apply a PodMonitor the API server cannot take.
    body = manifest("memory")
    body["spec"]["monitoring"] = {"podMonitor": {"enabled": True}}
    kinds = kinds_listed(body, "2026-12-07T04:00:01Z", LISTED)
    assert sorted(kinds) == sorted(CHILD_KINDS)
