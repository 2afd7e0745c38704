"""needs_apply: zero writes when nothing we own changed; a write for any drift of ours."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from heroic_operator.desired.diff import (
    drifted_fields,
    is_subset,
    needs_apply,
    parse_quantity,
    with_desired_hash,
)

DESIRED: dict[str, Any] = with_desired_hash(
    {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d", "labels": {"a": "1"}},
        "spec": {
            "replicas": 2,
            "template": {
                "metadata": {"annotations": {"heroic.dev/config-hash": "abc"}},
                "spec": {
                    "containers": [
                        {
                            "name": "heroic",
                            "env": [{"name": "X", "value": "1"}],
                            "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}},
                        }
                    ],
                    "tolerations": [{"key": "k", "operator": "Exists"}],
                },
            },
        },
    }
)


def observed(**changes: Any) -> dict[str, Any]:
    """The desired object as the server returns it: defaults and foreign fields added."""
    obj = copy.deepcopy(DESIRED)
    obj["metadata"] |= {"resourceVersion": "7", "uid": "u", "managedFields": []}
    obj["metadata"]["labels"]["team"] = "someone-else"
    obj["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = "3"
    obj["spec"]["strategy"] = {"type": "RollingUpdate"}
    template = obj["spec"]["template"]
    template["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"] = "2024-01-01"
    container = template["spec"]["containers"][0]
    container["terminationMessagePath"] = "/dev/termination-log"
    container["env"].append({"name": "INJECTED", "value": "by-a-webhook"})
    template["spec"]["containers"].append({"name": "sidecar"})
    container["resources"]["requests"] = {"cpu": "0.5", "memory": "1024Mi"}
    for path, value in changes.items():
        target = obj
        keys = path.split(".")
        for key in keys[:-1]:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if value is None:
            del target[keys[-1]]
        else:
            target[keys[-1]] = value
    return obj


def test_missing_object_needs_apply() -> None:
    assert needs_apply(DESIRED, None)


def test_server_defaults_and_foreign_fields_need_no_write() -> None:
    assert not needs_apply(DESIRED, observed())


@pytest.mark.parametrize(
    "change",
    [
        {"spec.replicas": 5},
        {"metadata.labels.a": "2"},
        {"metadata.labels.a": None},
        {"spec.template.metadata.annotations.heroic.dev/config-hash": "old"},
        {"spec.template.spec.tolerations": []},
    ],
    ids=["scaled", "label-edited", "label-removed", "config-hash", "tolerations"],
)
def test_drift_of_our_fields_needs_apply(change: dict[str, Any]) -> None:
    # keys with dots inside ("heroic.dev/config-hash") are addressed by splitting carefully
    if "spec.template.metadata.annotations.heroic.dev/config-hash" in change:
        obj = observed()
        obj["spec"]["template"]["metadata"]["annotations"]["heroic.dev/config-hash"] = "old"
    else:
        obj = observed(**change)
    assert needs_apply(DESIRED, obj)


def test_a_removed_field_in_the_desired_object_changes_the_hash() -> None:
    smaller = copy.deepcopy(DESIRED)
    del smaller["metadata"]["annotations"]["heroic.dev/desired-hash"]
    del smaller["spec"]["template"]["spec"]["tolerations"]
    assert needs_apply(with_desired_hash(smaller), observed())


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("500m", Decimal("0.5")),
        ("1Gi", Decimal(2**30)),
        ("1024Mi", Decimal(2**30)),
        ("2", Decimal(2)),
        ("1e3", Decimal(1000)),
        ("1.5k", Decimal(1500)),
        (3, Decimal(3)),
    ],
)
def test_parse_quantity(text: str | int, value: Decimal) -> None:
    assert parse_quantity(text) == value


def test_not_a_quantity() -> None:
    assert parse_quantity("lots") is None


def test_quantities_compare_by_value_only_under_requests_and_limits() -> None:
    assert is_subset({"requests": {"cpu": "500m"}}, {"requests": {"cpu": "0.5"}})
    assert not is_subset({"name": "500m"}, {"name": "0.5"})


def test_lists_without_names_compare_in_order_and_length() -> None:
    assert is_subset({"a": [1, 2]}, {"a": [1, 2]})
    assert not is_subset({"a": [1, 2]}, {"a": [1, 2, 3]})
    assert not is_subset({"a": [2, 1]}, {"a": [1, 2]})


def test_drifted_fields_names_paths() -> None:
    assert drifted_fields(DESIRED, observed(**{"spec.replicas": 5})) == ["spec.replicas"]
