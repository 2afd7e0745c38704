"""The watch cache: newer versions win over late events, deletions and full listings remove,
children are found by their cluster, and managed fields are not kept."""

from __future__ import annotations

import tracemalloc
from typing import Any

import orjson

from heroic_operator import naming
from heroic_operator.kube import Store


def child(name: str, version: str, cluster: str = "c1", **extra: Any) -> dict[str, Any]:
    return {
        "kind": "ConfigMap",
        "metadata": {
            "name": name,
            "namespace": "ns",
            "resourceVersion": version,
            "labels": {naming.LABEL_INSTANCE: cluster},
            "managedFields": [{"manager": "heroic-operator"}],
        },
        **extra,
    }


def test_an_older_event_never_replaces_what_the_operator_just_wrote() -> None:
    store = Store()
    store.put(child("a", "20", data={"k": "new"}))
    store.put(child("a", "19", data={"k": "old"}))
    assert (store.get("ConfigMap", "ns", "a") or {})["data"] == {"k": "new"}
    store.put(child("a", "21", data={"k": "newer"}))
    assert (store.get("ConfigMap", "ns", "a") or {})["data"] == {"k": "newer"}


def test_children_are_found_by_cluster_and_leave_on_deletion() -> None:
    store = Store()
    store.put(child("a", "1"))
    store.put(child("b", "2"))
    store.put(child("x", "3", cluster="c2"))
    assert sorted(o["metadata"]["name"] for o in store.children("ns", "c1")) == ["a", "b"]
    store.delete(child("a", "4"))
    assert [o["metadata"]["name"] for o in store.children("ns", "c1")] == ["b"]
    assert store.get("ConfigMap", "ns", "a") is None


def test_children_of_one_kind_are_only_that_kind() -> None:
    store = Store()
    store.put(child("a", "1"))
    store.put({**child("d", "2"), "kind": "Deployment"})
    assert [o["metadata"]["name"] for o in store.children("ns", "c1", kind="Deployment")] == ["d"]
    assert [o["metadata"]["name"] for o in store.children("ns", "c1", kind="ConfigMap")] == ["a"]
    assert store.children("ns", "c1", kind="Service") == []


def test_a_relabelled_child_moves_to_its_new_cluster() -> None:
    store = Store()
    store.put(child("a", "1"))
    store.put(child("a", "2", cluster="c2"))
    assert store.children("ns", "c1") == []
    assert [o["metadata"]["name"] for o in store.children("ns", "c2")] == ["a"]


def test_a_full_listing_forgets_what_it_does_not_have() -> None:
    store = Store()
    store.put(child("a", "1"))
    store.put(child("gone", "2"))
    assert store.listed_age("ns", "c1") is None
    store.replace_children("ns", "c1", [child("a", "3")])
    assert [o["metadata"]["name"] for o in store.children("ns", "c1")] == ["a"]
    age = store.listed_age("ns", "c1")
    assert age is not None
    assert age >= 0


def test_managed_fields_are_not_kept() -> None:
    store = Store()
    store.put(child("a", "1"))
    kept = store.get("ConfigMap", "ns", "a") or {}
    assert "managedFields" not in kept["metadata"]
    assert kept["metadata"]["resourceVersion"] == "1"


def test_what_a_reader_changes_is_not_the_cache() -> None:
    store = Store()
    store.put(child("a", "1", data={"k": "v"}))
    read = store.get("ConfigMap", "ns", "a") or {}
    read["data"]["k"] = "changed by a reader"
    assert (store.get("ConfigMap", "ns", "a") or {})["data"] == {"k": "v"}


def test_the_cache_holds_about_the_size_of_its_objects_json() -> None:
    objects = [child(f"cm-{i}", str(i), data={"heroic.yml": "x: 1\n" * 300}) for i in range(500)]
    json_size = sum(len(orjson.dumps(store_form(o))) for o in objects)
    store = Store()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for obj in objects:
            store.put(obj)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held < 1.5 * json_size


def store_form(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` as the cache keeps it (without managed fields)."""
    meta = {k: v for k, v in obj["metadata"].items() if k != "managedFields"}
    return {**obj, "metadata": meta}
