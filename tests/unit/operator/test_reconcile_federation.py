"""``status.federation`` and the federation's children in the plan: what an API pod's
``/cluster/status`` becomes, when it is read (through a stand-in for ``Kube.proxy_get``), that a
failed read changes nothing but the block, that the headless Service is pruned when federation
is turned off and that the plan looks again when the next read is due."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from heroic_operator import naming
from heroic_operator.kube import ApiRequestError
from heroic_operator.reconcile.federation_read import FederationReader
from heroic_operator.reconcile.federation_status import UNKNOWN, federation_status
from heroic_operator.reconcile.plan import Plan, plan_cluster
from heroic_operator.reconcile.snapshot import Children, FederationReading, Snapshot
from heroic_operator.spec import Cluster, FederationSpec, parse_cluster
from tests.unit.operator.test_reconcile_plan import settle, with_status

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
VERSION = "1.0.0"
TOKEN = {"name": "heroic-federation", "key": "token"}
TWO_SITES = {
    "nodes": [
        {"node": "local", "id": "a", "version": "0.1", "tags": {"site": "lon"}},
        {"node": "http://10-0-0-2.x:8080", "id": "b", "version": "0.1", "tags": {"site": "lon"}},
        {"node": "http://10-0-1-2.y:8080", "id": "c", "version": "0.1", "tags": {"site": "sto"}},
    ],
    "statistics": {"onlineNodes": 3, "offlineNodes": 1},
}

Federated = Callable[..., Cluster]


@pytest.fixture
def federated(manifest: Callable[[str], dict[str, Any]]) -> Federated:
    def make(**federation: Any) -> Cluster:
        body = manifest("memory")
        body["spec"]["federation"] = {"tags": {"site": "lon"}, "tokenSecretRef": TOKEN}
        body["spec"]["federation"].update(federation)
        return parse_cluster(body)

    return make


def _spec(cluster: Cluster) -> FederationSpec:
    assert cluster.spec.federation is not None
    return cluster.spec.federation


# --- the status block -----------------------------------------------------------------------


def test_an_answer_becomes_the_shards_seen_with_their_nodes(federated: Federated) -> None:
    status = federation_status(_spec(federated()), FederationReading(NOW, answer=TWO_SITES))
    assert status == {
        "summary": "{site=lon}, {site=sto}",
        "shards": [{"tags": {"site": "lon"}, "nodes": 2}, {"tags": {"site": "sto"}, "nodes": 1}],
        "onlineNodes": 3,
        "offlineNodes": 1,
        "lastChecked": "2026-12-01T12:00:00Z",
    }


def test_shards_are_listed_in_tag_order_whatever_order_the_nodes_come_in(
    federated: Federated,
) -> None:
    shuffled = {**TWO_SITES, "nodes": list(reversed(TWO_SITES["nodes"]))}  # type: ignore[call-overload]
    status = federation_status(_spec(federated()), FederationReading(NOW, answer=shuffled))
    assert status == federation_status(_spec(federated()), FederationReading(NOW, answer=TWO_SITES))


def test_expected_shards_no_node_serves_are_named(federated: Federated) -> None:
    topology = [{"site": "lon"}, {"site": "sto"}, {"site": "par"}]
    status = federation_status(
        _spec(federated(topology=topology)), FederationReading(NOW, answer=TWO_SITES)
    )
    assert status["missingShards"] == [{"site": "par"}]
    assert status["summary"] == "{site=lon}, {site=sto}; missing {site=par}"


def test_a_failed_read_says_why_and_nothing_else(federated: Federated) -> None:
    reading = FederationReading(NOW, error="no API pod is ready")
    status = federation_status(_spec(federated()), reading)
    assert status == {
        "summary": UNKNOWN,
        "lastChecked": "2026-12-01T12:00:00Z",
        "error": "no API pod is ready",
    }


def test_an_answer_of_another_shape_is_an_error_naming_the_field(federated: Federated) -> None:
    answer = {"nodes": [{"tags": "site=lon"}], "statistics": {"onlineNodes": 1}}
    status = federation_status(_spec(federated()), FederationReading(NOW, answer=answer))
    assert status["summary"] == UNKNOWN
    assert "unexpected answer from /cluster/status" in status["error"]
    assert "nodes.0.tags" in status["error"]
    assert "statistics.offlineNodes" in status["error"]


# --- the plan -------------------------------------------------------------------------------


def _snapshot(cluster: Cluster, children: Children, **federation: Any) -> Snapshot:
    return Snapshot(cluster, children, NOW, **federation)


def _converge(cluster: Cluster) -> tuple[Cluster, Children]:
    children = Children()
    for _ in range(4):
        plan = plan_cluster(_snapshot(cluster, children), VERSION)
        if plan.writes == 0:
            return cluster, children
        children = settle(children, plan)
        cluster = with_status(cluster, plan)
    raise AssertionError("did not settle")


def _plan(cluster: Cluster, children: Children, **federation: Any) -> Plan:
    return plan_cluster(_snapshot(cluster, children, **federation), VERSION)


def test_a_federated_cluster_gets_its_headless_service(federated: Federated) -> None:
    plan = _plan(federated(), Children())
    services = [w.obj["metadata"]["name"] for w in plan.first if w.obj["kind"] == "Service"]
    assert naming.api_nodes_name("mem") in services


def test_a_reading_is_stored_and_a_failed_one_does_not_touch_ready(federated: Federated) -> None:
    settled, children = _converge(federated())
    ok = _plan(settled, children, federation=FederationReading(NOW, answer=TWO_SITES))
    failed = _plan(settled, children, federation=FederationReading(NOW, error="503 no endpoints"))
    assert ok.status is not None
    assert failed.status is not None
    assert ok.status["federation"]["summary"] == "{site=lon}, {site=sto}"
    assert failed.status["federation"]["error"] == "503 no endpoints"
    assert ok.ready
    assert failed.ready
    assert ok.status["conditions"] == failed.status["conditions"]
    assert ok.writes == failed.writes == 1, "only the status"


def test_between_readings_the_stored_block_stands_and_nothing_is_written(
    federated: Federated,
) -> None:
    settled, children = _converge(federated())
    read = _plan(settled, children, federation=FederationReading(NOW, answer=TWO_SITES))
    stored = with_status(settled, read)
    quiet = _plan(stored, children, federation=None, federation_due=30.0)
    assert quiet.writes == 0
    assert quiet.projected == children
    assert dict(stored.status)["federation"]["shards"][1]["tags"] == {"site": "sto"}


def test_the_plan_looks_again_when_the_next_reading_is_due(federated: Federated) -> None:
    settled, children = _converge(federated())
    assert _plan(settled, children, federation_due=42.0).requeue_after == 42.0
    assert _plan(settled, children, federation_due=-3.0).requeue_after == 1.0


def test_turning_federation_off_prunes_the_service_and_drops_the_status(
    federated: Federated,
) -> None:
    settled, children = _converge(federated())
    read = _plan(settled, children, federation=FederationReading(NOW, answer=TWO_SITES))
    stored = with_status(settled, read)
    off = replace(stored, spec=stored.spec.model_copy(update={"federation": None}))
    plan = _plan(off, children)
    assert ("Service", naming.api_nodes_name("mem")) in plan.prune
    assert ("Service", naming.api_name("mem")) not in plan.prune
    assert plan.status is not None
    assert "federation" not in plan.status
    assert plan.requeue_after is None


# --- reading --------------------------------------------------------------------------------


class _Proxy:
    """Stands in for ``Kube.proxy_get``: answers ``answer`` or raises ``error``; records calls."""

    def __init__(self, answer: Mapping[str, Any] | None = None, error: Exception | None = None):
        self.answer = answer
        self.error = error
        self.calls: list[tuple[str, str, str, str]] = []

    async def proxy_get(
        self, service: str, namespace: str, port: str, path: str, *, timeout: float
    ) -> Mapping[str, Any]:
        self.calls.append((service, namespace, port, path))
        if self.error is not None:
            raise self.error
        return self.answer or {}


def _reader(proxy: _Proxy, now: datetime = NOW) -> FederationReader:
    return FederationReader(proxy, lambda: now, interval=60.0)  # type: ignore[arg-type]


def _ready_api(ready: int) -> Children:
    deployment = {
        "kind": "Deployment",
        "metadata": {"name": naming.api_name("mem")},
        "status": {"readyReplicas": ready},
    }
    return Children.of([deployment])


def _checked(cluster: Cluster, at: datetime) -> Cluster:
    return replace(
        cluster, status={"federation": {"lastChecked": at.strftime("%Y-%m-%dT%H:%M:%SZ")}}
    )


def test_the_api_service_is_read_through_the_proxy(federated: Federated) -> None:
    proxy = _Proxy(answer=TWO_SITES)
    reading, due = asyncio.run(_reader(proxy).observe(federated(), _ready_api(2)))
    assert reading == FederationReading(NOW, answer=TWO_SITES)
    assert due == 60.0
    assert proxy.calls == [(naming.api_name("mem"), "ns", "http", "cluster/status")]


def test_no_read_before_it_is_due(federated: Federated) -> None:
    proxy = _Proxy(answer=TWO_SITES)
    cluster = _checked(federated(), NOW - timedelta(seconds=20))
    reading, due = asyncio.run(_reader(proxy).observe(cluster, _ready_api(2)))
    assert (reading, due, proxy.calls) == (None, 40.0, [])
    late = _checked(federated(), NOW - timedelta(seconds=61))
    reading, _ = asyncio.run(_reader(proxy).observe(late, _ready_api(2)))
    assert reading is not None


def test_without_a_ready_api_pod_nothing_is_asked(federated: Federated) -> None:
    proxy = _Proxy(answer=TWO_SITES)
    reading, _ = asyncio.run(_reader(proxy).observe(federated(), _ready_api(0)))
    assert reading == FederationReading(NOW, error="no API pod is ready")
    assert proxy.calls == []


@pytest.mark.parametrize(
    ("error", "fragment"),
    [
        (ApiRequestError(503, 'no endpoints available for service "mem-heroic-api"'), "503 no"),
        (
            ApiRequestError(403, "services/proxy is forbidden", "Forbidden"),
            "RBAC does not allow services",
        ),
        (ApiRequestError(403, "GET ...: denied destination"), "403 GET ...: denied destination"),
        (ApiRequestError(0, "GET /api/v1/...: TimeoutError"), "TimeoutError"),
    ],
)
def test_a_failed_read_is_a_reading_with_the_reason(
    federated: Federated, error: ApiRequestError, fragment: str
) -> None:
    reading, _ = asyncio.run(_reader(_Proxy(error=error)).observe(federated(), _ready_api(1)))
    assert reading is not None
    assert reading.answer is None
    assert reading.error is not None
    assert "cannot read /cluster/status of Service mem-heroic-api" in reading.error
    assert fragment in reading.error


def test_a_cluster_without_federation_is_never_read(cluster: Callable[..., Cluster]) -> None:
    proxy = _Proxy(answer=TWO_SITES)
    assert asyncio.run(_reader(proxy).observe(cluster("memory"), _ready_api(2))) == (None, None)
    assert proxy.calls == []
