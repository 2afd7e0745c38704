"""The HeroicCluster reference lists fields, requirements and constraints (its committed copy
is checked by test_generated_files.py)."""

from __future__ import annotations

from heroic_generate.reference import render


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
