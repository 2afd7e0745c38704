"""Which watch events deserve a reconcile: only those that say something the last reconcile did
not already know.

Every write of the operator comes back as a watch event, and the kube-controller-manager touches
children in ways no reconcile cares about (a Deployment's revision annotation, its status while
a rollout has not moved, an HPA's current metrics). Each event's object is reduced to a
fingerprint of what a reconcile reads (its labels and annotations, its spec or data, the rollout
state of a Deployment, the outcome of a Job); an event whose fingerprint equals the last one seen
for that object, or the one the operator itself just wrote, is dropped. A HeroicCluster event
counts only when the generation, labels or annotations moved: a status write is not news.
Deletions always count. The periodic resync still reconciles everything, so a dropped event can
delay a repair by at most one resync period.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import orjson

from heroic_operator.reconcile.status import rollout_of

#: Annotations controllers add to our children; never ours, never drift.
FOREIGN_ANNOTATIONS = frozenset(
    {"deployment.kubernetes.io/revision", "kubectl.kubernetes.io/last-applied-configuration"}
)

Key = tuple[str, str, str]


def _digest(value: Any) -> str:
    raw = orjson.dumps(value, option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


def _job_outcome(job: Mapping[str, Any]) -> tuple[Any, ...]:
    status = job.get("status") or {}
    done = sorted(
        str(c.get("type")) for c in status.get("conditions") or [] if c.get("status") == "True"
    )
    return (tuple(done), status.get("failed") or 0, status.get("succeeded") or 0)


def fingerprint(obj: Mapping[str, Any]) -> str:
    """What a reconcile reads of a child, hashed."""
    meta = obj.get("metadata") or {}
    annotations = {
        k: v for k, v in (meta.get("annotations") or {}).items() if k not in FOREIGN_ANNOTATIONS
    }
    base = [meta.get("labels"), annotations, meta.get("ownerReferences"), meta.get("generation")]
    kind = obj.get("kind")
    if kind == "Deployment":
        extra: list[Any] = [rollout_of(obj)]
    elif kind == "Job":
        extra = [_job_outcome(obj)]
    else:
        extra = [obj.get("spec"), obj.get("data"), obj.get("binaryData")]
    return _digest(base + extra)


def cluster_fingerprint(obj: Mapping[str, Any]) -> str:
    """What makes a HeroicCluster worth a reconcile: anything but its status."""
    meta = obj.get("metadata") or {}
    return _digest(
        [
            meta.get("generation"),
            meta.get("labels"),
            meta.get("annotations"),
            meta.get("deletionTimestamp"),
            obj.get("spec"),
        ]
    )


class ChangeFilter:
    """The last fingerprint seen, or written, per object."""

    def __init__(self) -> None:
        self._seen: dict[Key, str] = {}

    @staticmethod
    def _key(obj: Mapping[str, Any]) -> Key:
        meta = obj.get("metadata") or {}
        return (str(obj.get("kind")), str(meta.get("namespace")), str(meta.get("name")))

    def _news(self, key: Key, value: str) -> bool:
        if self._seen.get(key) == value:
            return False
        self._seen[key] = value
        return True

    def child_changed(self, obj: Mapping[str, Any]) -> bool:
        return self._news(self._key(obj), fingerprint(obj))

    def cluster_changed(self, obj: Mapping[str, Any]) -> bool:
        return self._news(self._key(obj), cluster_fingerprint(obj))

    def written(self, obj: Mapping[str, Any]) -> None:
        """The operator wrote ``obj``: its own watch event is not news."""
        self._seen[self._key(obj)] = fingerprint(obj)

    def forget(self, obj: Mapping[str, Any]) -> None:
        self._seen.pop(self._key(obj), None)
