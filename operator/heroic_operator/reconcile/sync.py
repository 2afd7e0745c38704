"""Apply the desired children that differ from what is live, and prune children that are no
longer desired. Posts an Event for each rollout (config or Secret change) and each repaired
drift. Writes go through ``Kube``; the decision is ``diff.needs_apply``."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from heroic_operator import naming
from heroic_operator.desired.diff import annotation, drifted_fields, needs_apply
from heroic_operator.reconcile.apply import Kube, Observed
from heroic_operator.reconcile.events import EventLog
from heroic_operator.spec import Cluster


def rollout_reason(desired: Mapping[str, Any], observed: Mapping[str, Any] | None) -> str:
    """Why applying a Deployment rolls its pods (``""`` when it does not)."""
    if observed is None or desired.get("kind") != "Deployment":
        return ""
    reasons = []
    for key, text in (
        (naming.ANNOTATION_CONFIG_HASH, "config"),
        (naming.ANNOTATION_SECRETS_HASH, "Secrets"),
    ):
        if annotation(desired, key, template=True) != annotation(observed, key, template=True):
            reasons.append(text)
    return " and ".join(reasons)


#: Kinds applied before the others, so that pods never wait for their ServiceAccount or config.
FIRST_PHASE = frozenset({"ServiceAccount", "ConfigMap", "Service"})


async def apply_children(
    kube: Kube,
    events: EventLog,
    cluster: Cluster,
    desired: Sequence[dict[str, Any]],
    observed: Observed,
) -> int:
    """Apply each desired object that differs from the live one; returns the number applied.

    Two phases (ServiceAccounts, ConfigMaps and Services, then the rest), each in parallel."""
    changed = [o for o in desired if needs_apply(o, observed.get(o["kind"], o["metadata"]["name"]))]
    first = [o for o in changed if o["kind"] in FIRST_PHASE]
    rest = [o for o in changed if o["kind"] not in FIRST_PHASE]
    for phase in (first, rest):
        await asyncio.gather(*(_apply_one(kube, events, cluster, o, observed) for o in phase))
    return len(changed)


async def _apply_one(
    kube: Kube, events: EventLog, cluster: Cluster, obj: dict[str, Any], observed: Observed
) -> None:
    kind, name = obj["kind"], obj["metadata"]["name"]
    live = observed.get(kind, name)
    rolled = rollout_reason(obj, live)
    desired_hash = annotation(obj, naming.ANNOTATION_DESIRED_HASH)
    same_desire = (
        live is not None and annotation(live, naming.ANNOTATION_DESIRED_HASH) == desired_hash
    )
    observed.put(await kube.apply(obj))
    if rolled:
        await events.normal(cluster, "RollingOut", f"Deployment {name} rolls out: {rolled} changed")
    elif same_desire and live is not None:
        fields = ", ".join(drifted_fields(obj, live)[:5])
        await events.normal(cluster, "DriftRepaired", f"Re-applied {kind} {name} ({fields})")


def _controlled_by(obj: Mapping[str, Any], uid: str) -> bool:
    refs = (obj.get("metadata") or {}).get("ownerReferences") or []
    return any(r.get("uid") == uid and r.get("controller") for r in refs)


async def prune_children(
    kube: Kube,
    cluster: Cluster,
    *,
    desired: Sequence[Mapping[str, Any]],
    observed: Observed,
    kinds: Collection[str],
    keep: Collection[str],
) -> int:
    """Delete children of ``kinds`` this cluster controls that are no longer desired."""
    wanted = {(o["kind"], o["metadata"]["name"]) for o in desired}
    deleted = 0
    for kind in kinds:
        for name, obj in list(observed.of_kind(kind).items()):
            if (kind, name) in wanted or (kind == "Deployment" and name in keep):
                continue
            if not _controlled_by(obj, cluster.uid):
                continue
            await kube.delete(kind, cluster.namespace, name)
            observed.objects[kind].pop(name, None)
            deleted += 1
    return deleted
