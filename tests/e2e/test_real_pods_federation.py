"""Two federated HeroicClusters on running containers: each site's API pod finds the other's
through the cluster DNS (the SRV record of its headless Service), a query through either site
answers both sites' series with their shard tags, and the operator (a pod of our image, with
the chart's RBAC) reads what the API sees into ``status.federation`` and the Shards column.

Memory backends, one API pod per site (two cores run everything; a shard of several memory
pods would hold different data in each). See ``realpods.py`` for where this runs.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from tests.e2e.realpods import (
    Target,
    adapted,
    port_forward,
    wait_cluster_ready,
    wait_or_diagnose,
)
from tests.e2e.support import kubectl, kubectl_json

pytestmark = [pytest.mark.kubernetes, pytest.mark.helm, pytest.mark.node]

TOKEN = {"name": "heroic-federation", "key": "token"}
SITES = ("lon", "sto")
BOTH = "{site=lon}, {site=sto}"
#: The operator's first read may come before the API pod is Ready; the next one a minute later.
STATUS_TIMEOUT = 240


def _site(real: Target, name: str, peer: str) -> dict[str, Any]:
    doc = adapted("memory.yaml", real)
    doc["metadata"]["name"] = name
    doc["spec"]["federation"] = {
        "tags": {"site": name},
        "tokenSecretRef": TOKEN,
        "peers": [{"heroicCluster": {"name": peer}}],
        "topology": [{"site": s} for s in SITES],
        "refreshInterval": "5s",
    }
    return doc


def _write(base: str, site: str, now: int) -> None:
    body = {
        "series": {"key": "fed-e2e", "tags": {"host": site}},
        "data": {"type": "points", "data": [[now, 1.0]]},
    }
    httpx.post(f"{base}/write", json=body, timeout=30).raise_for_status()


def _groups(base: str, now: int) -> list[tuple[dict[str, str], dict[str, str]]]:
    query = {
        "range": {"type": "absolute", "start": now - 3_600_000, "end": now + 3_600_000},
        "filter": ["key", "fed-e2e"],
    }
    response = httpx.post(
        f"{base}/query/metrics", json=query, headers={"x-client-id": "e2e"}, timeout=30
    )
    response.raise_for_status()
    answer = response.json()
    assert answer["errors"] == [], answer["errors"]
    return sorted(
        ((g["shard"], g["tags"]) for g in answer["result"]), key=lambda x: x[0].get("site", "")
    )


@pytest.fixture(scope="module")
def sites(real: Target, namespace: str, operator: str) -> dict[str, dict[str, Any]]:
    kubectl(
        "create", "secret", "generic", TOKEN["name"], "-n", namespace,
        f"--from-literal={TOKEN['key']}=e2e-node-token",
    )  # fmt: skip
    docs = {"lon": _site(real, "lon", "sto"), "sto": _site(real, "sto", "lon")}
    for doc in docs.values():  # both at once: each site's pod starts while the other's does
        kubectl("apply", "-n", namespace, "-f", "-", stdin=json.dumps(doc))
    return {name: wait_cluster_ready(namespace, name) for name in docs}


def test_a_query_through_either_site_answers_both_sites(
    namespace: str, sites: dict[str, Any]
) -> None:
    now = int(time.time() * 1000) // 60_000 * 60_000
    with (
        port_forward(namespace, "service/lon-heroic-api", 8080) as lon,
        port_forward(namespace, "service/sto-heroic-api", 8080) as sto,
    ):
        bases = {"lon": lon, "sto": sto}
        for site, base in bases.items():
            _write(base, site, now)
        expected = [({"site": s}, {"host": s}) for s in SITES]
        for site, base in bases.items():

            def both(base: str = base) -> bool:
                return _groups(base, now) == expected

            wait_or_diagnose(f"both sites' series through {site}", both, namespace, timeout=120)


def test_the_operator_shows_the_shards_the_api_sees(namespace: str, sites: dict[str, Any]) -> None:
    seen: dict[str, Any] = {}

    def reads_both() -> bool:
        for site in SITES:
            obj = kubectl_json("get", "heroiccluster", site, "-n", namespace)
            seen[site] = (obj.get("status") or {}).get("federation") or {}
        return all(seen[s].get("summary") == BOTH for s in SITES)

    wait_or_diagnose(
        lambda: f"status.federation of both sites: {seen}", reads_both, namespace,
        timeout=STATUS_TIMEOUT,
    )  # fmt: skip
    lon = seen["lon"]
    assert lon["shards"] == [
        {"tags": {"site": "lon"}, "nodes": 1},
        {"tags": {"site": "sto"}, "nodes": 1},
    ]
    assert (lon["onlineNodes"], lon["offlineNodes"]) == (2, 0)
    assert "error" not in lon
    assert "missingShards" not in lon
    table = kubectl("get", "heroiccluster", "lon", "-n", namespace)
    assert "SHARDS" in table.splitlines()[0]
    assert BOTH in table.splitlines()[1]
