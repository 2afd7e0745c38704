"""prune: the status is cut to what the installed CRD's schema keeps, as the API server would."""

from __future__ import annotations

import copy
from typing import Any

from heroic_operator.reconcile.pruning import prune
from heroic_operator.reconcile.status import StatusInputs, compute_status
from heroic_operator.spec.schema import status_schema

STATUS: dict[str, Any] = {
    **compute_status(StatusInputs(generation=2), {}, "2026-01-01T00:00:00Z"),
    "operator": {"version": "0.2.0", "generation": 2},
    "configure": {"bigtable": {"hash": "h", "phase": "Succeeded", "attempts": 1}},
}


def test_the_current_schema_keeps_everything_the_operator_writes() -> None:
    assert prune(STATUS, status_schema()) == (STATUS, [])


def test_an_older_schema_drops_what_it_does_not_declare() -> None:
    older = copy.deepcopy(status_schema())
    del older["properties"]["operator"]
    del older["properties"]["configure"]["additionalProperties"]["properties"]["attempts"]
    pruned, removed = prune(STATUS, older)
    assert removed == ["operator", "configure.bigtable.attempts"]
    assert "operator" not in pruned
    assert pruned["configure"] == {"bigtable": {"hash": "h", "phase": "Succeeded"}}
    assert pruned["conditions"] == STATUS["conditions"]


def test_list_items_objects_without_properties_and_preserved_fields() -> None:
    schema = {
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "items": {"type": "object", "properties": {"a": {"type": "string"}}},
            },
            "opaque": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            "empty": {"type": "object"},
        },
    }
    value = {"items": [{"a": "1", "b": 2}], "opaque": {"x": {"y": 1}}, "empty": {"z": 1}}
    pruned, removed = prune(value, schema)
    assert pruned == {"items": [{"a": "1"}], "opaque": {"x": {"y": 1}}, "empty": {}}
    assert removed == ["items[0].b", "empty.z"]
