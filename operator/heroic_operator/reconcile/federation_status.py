"""``status.federation``: the shards an API pod sees, from its ``/cluster/status`` answer.

The answer is validated here (``ClusterStatusAnswer``), grouped into shards by tags, compared
with ``spec.federation.topology`` and summarised for the ``Shards`` column, in tag order (the
same shards always read the same). A failed read gives
a status that says why and nothing else. Not part of ``Ready``: an API that cannot be read
(pods starting, a network policy, kwok's pods that answer nothing) never flips the cluster.
Pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from heroic_operator import timestamps
from heroic_operator.reconcile.snapshot import FederationReading
from heroic_operator.spec import FederationSpec

#: The ``Shards`` column when the API could not be read.
UNKNOWN = "unknown"


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class NodeEntry(_Answer):
    tags: dict[str, str]


class Statistics(_Answer):
    online_nodes: int = Field(alias="onlineNodes")
    offline_nodes: int = Field(alias="offlineNodes")


class ClusterStatusAnswer(_Answer):
    """What ``GET /cluster/status`` answers (the parts the status uses)."""

    nodes: list[NodeEntry]
    statistics: Statistics


def shard_name(tags: Mapping[str, str]) -> str:
    """``{k=v, ...}``, as Heroic prints a shard."""
    return "{" + ", ".join(f"{k}={v}" for k, v in sorted(tags.items())) + "}"


def _key(tags: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(tags.items()))


def federation_status(spec: FederationSpec, reading: FederationReading) -> dict[str, Any]:
    """The ``status.federation`` block of one reading."""
    checked = timestamps.seconds(reading.checked)
    if reading.error is not None:
        return {"summary": UNKNOWN, "lastChecked": checked, "error": reading.error[:1000]}
    try:
        answer = ClusterStatusAnswer.model_validate(reading.answer or {})
    except ValidationError as exc:
        problem = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'answer'}: {e['msg']}"
            for e in exc.errors(include_url=False)
        )
        error = f"unexpected answer from /cluster/status: {problem}"
        return {"summary": UNKNOWN, "lastChecked": checked, "error": error[:1000]}
    shards: dict[tuple[tuple[str, str], ...], dict[str, Any]] = {}
    for node in answer.nodes:
        shard = shards.setdefault(_key(node.tags), {"tags": dict(node.tags), "nodes": 0})
        shard["nodes"] += 1
    # sorted: the API lists nodes in discovery order, which DNS answers may shuffle
    seen = [shards[key] for key in sorted(shards)]
    missing = [dict(t) for t in spec.topology or () if _key(t) not in shards]
    out: dict[str, Any] = {
        "summary": summary([s["tags"] for s in seen], missing),
        "shards": seen,
        "onlineNodes": answer.statistics.online_nodes,
        "offlineNodes": answer.statistics.offline_nodes,
        "lastChecked": checked,
    }
    if missing:
        out["missingShards"] = missing
    return out


def summary(seen: Sequence[Mapping[str, str]], missing: Sequence[Mapping[str, str]]) -> str:
    """``{site=lon}, {site=sto}``, then ``; missing {site=par}`` for expected shards."""
    text = ", ".join(shard_name(t) for t in seen) or "none"
    if missing:
        text += "; missing " + ", ".join(shard_name(t) for t in missing)
    return text
