"""The HeroicCluster reference in docs/ is what the CRD says."""

from __future__ import annotations

import yaml

from heroic_docs.crd_reference import CRD, OUTPUT, render


def test_committed_reference_matches_the_crd() -> None:
    expected = render(yaml.safe_load(CRD.read_text()))
    assert OUTPUT.read_text() == expected, (
        "docs/heroiccluster-reference.md is stale: run python -m heroic_docs.crd_reference"
    )


def test_reference_lists_required_fields_and_defaults() -> None:
    crd = {
        "spec": {
            "group": "example.dev",
            "names": {"kind": "Thing", "plural": "things"},
            "versions": [
                {
                    "name": "v1",
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "spec": {
                                    "type": "object",
                                    "required": ["size"],
                                    "properties": {
                                        "size": {
                                            "type": "integer",
                                            "minimum": 1,
                                            "description": "How many",
                                        },
                                        "mode": {
                                            "type": "string",
                                            "enum": ["a", "b"],
                                            "default": "a",
                                        },
                                        "tags": {"type": "array", "items": {"type": "string"}},
                                    },
                                }
                            },
                        }
                    },
                }
            ],
        }
    }
    text = render(crd)
    assert "| `spec.size` | `integer` | yes | ≥ `1` | How many |" in text
    assert '| `spec.mode` | `string` |  | default `"a"`; one of `a`, `b` |  |' in text
    assert "| `spec.tags` | `[]string` |  |  |  |" in text
