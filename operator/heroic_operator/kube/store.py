"""A cache of the objects the operator watches, fed by watch events and by the operator's own
writes, so that a reconcile reads its cluster and children without a request (the informer cache
of client-go, in miniature).

A newer object never gives way to an older one: an event that arrives after the operator's own
write carried a later version is dropped (``resourceVersion`` compared as the etcd revision it
is; an opaque one is trusted). Deletions remove. Objects are kept as compact JSON, and each
read gets its own copy. The cache is never the only truth: ``Observer`` lists a cluster's
children again after ``max_age`` seconds, which also forgets children whose deletion was missed
while a watch reconnected.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from heroic_operator import naming

Key = tuple[str, str, str]
Object = Mapping[str, Any]


def _key(obj: Object) -> Key:
    meta = obj.get("metadata") or {}
    return (str(obj.get("kind")), str(meta.get("namespace") or ""), str(meta.get("name")))


def _version(obj: Object) -> int | None:
    value = (obj.get("metadata") or {}).get("resourceVersion")
    return int(value) if isinstance(value, str) and value.isdigit() else None


def _slim(obj: Object) -> Object:
    """``obj`` without ``metadata.managedFields``: nothing reads them, and they are often the
    larger part of an object that server-side apply wrote."""
    meta = obj.get("metadata")
    if isinstance(meta, Mapping) and "managedFields" in meta:
        return {**obj, "metadata": {k: v for k, v in meta.items() if k != "managedFields"}}
    return obj


def _compact(obj: Object) -> bytes:
    """``obj`` as JSON in a buffer of its own size: orjson's output keeps the memory of its
    growing buffer (8 KiB resident for a 1.6 KiB object), a copy keeps only the bytes."""
    return bytes(memoryview(orjson.dumps(obj)))


def _instance(obj: Object) -> str | None:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    value = labels.get(naming.LABEL_INSTANCE)
    return str(value) if value else None


@dataclass(frozen=True, slots=True)
class _Entry:
    """One cached object as compact JSON (a fifth of its size as Python objects), with what
    the cache itself needs to know about it."""

    version: int | None
    instance: str | None
    raw: bytes

    def load(self) -> dict[str, Any]:
        loaded: dict[str, Any] = orjson.loads(self.raw)
        return loaded


class Store:
    def __init__(self) -> None:
        self._objects: dict[Key, _Entry] = {}
        #: (namespace, instance) -> keys of that cluster's children.
        self._children: dict[tuple[str, str], set[Key]] = {}
        #: (namespace, cluster) -> monotonic time of the last full listing of its children.
        self._listed: dict[tuple[str, str], float] = {}

    def put(self, obj: Object) -> None:
        """Keep ``obj`` unless a newer version of it is already here."""
        obj = _slim(obj)
        key = _key(obj)
        version = _version(obj)
        old = self._objects.get(key)
        if old is not None:
            if version is not None and old.version is not None and version < old.version:
                return
            self._unindex(key, old)
        entry = _Entry(version, _instance(obj), _compact(obj))
        self._objects[key] = entry
        if entry.instance is not None and key[0] != naming.KIND:
            self._children.setdefault((key[1], entry.instance), set()).add(key)

    def holds(self, obj: Object) -> bool:
        """Whether this very version of ``obj`` is kept (the echo of the operator's own write)."""
        version = _version(obj)
        entry = self._objects.get(_key(obj))
        return version is not None and entry is not None and entry.version == version

    def delete(self, obj: Object) -> None:
        self.discard(*_key(obj))

    def discard(self, kind: str, namespace: str, name: str) -> None:
        key = (kind, namespace, name)
        old = self._objects.pop(key, None)
        if old is not None:
            self._unindex(key, old)

    def _unindex(self, key: Key, old: _Entry) -> None:
        if old.instance is not None:
            keys = self._children.get((key[1], old.instance))
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._children[(key[1], old.instance)]

    def get(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        """A fresh copy (callers may keep or change it without touching the cache)."""
        entry = self._objects.get((kind, namespace, name))
        return entry.load() if entry is not None else None

    def of_kind(self, kind: str, namespace: str | None = None) -> list[tuple[Key, str | None]]:
        """The keys of every ``kind`` object kept (in ``namespace``, or all), each with the
        cluster it belongs to."""
        return [
            (key, entry.instance)
            for key, entry in self._objects.items()
            if key[0] == kind and (namespace is None or key[1] == namespace)
        ]

    def children(
        self, namespace: str, cluster: str, kind: str | None = None
    ) -> list[dict[str, Any]]:
        """The cluster's children (of ``kind`` only, if given: the others are not decoded)."""
        keys = self._children.get((namespace, cluster), ())
        return [self._objects[k].load() for k in keys if kind is None or k[0] == kind]

    def listed_age(self, namespace: str, cluster: str) -> float | None:
        """Seconds since the cluster's children were last listed in full (``None``: never)."""
        listed = self._listed.get((namespace, cluster))
        return None if listed is None else time.monotonic() - listed

    def replace_children(self, namespace: str, cluster: str, items: Iterable[Object]) -> None:
        """A full listing: what it has is kept (newest wins), what it lacks is gone."""
        items = list(items)
        fresh = {_key(o) for o in items}
        for stale in list(self._children.get((namespace, cluster), ())):
            if stale not in fresh:
                self.discard(*stale)
        for obj in items:
            self.put(obj)
        self._listed[(namespace, cluster)] = time.monotonic()

    def mark_listed(self, namespace: str, cluster: str) -> None:
        """The cluster's children are known without a listing (they were all watched)."""
        self._listed[(namespace, cluster)] = time.monotonic()

    def forget_cluster(self, namespace: str, cluster: str) -> None:
        self._listed.pop((namespace, cluster), None)
        self.discard(naming.KIND, namespace, cluster)
