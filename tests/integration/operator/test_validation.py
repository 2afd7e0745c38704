"""Invalid HeroicClusters are rejected by the API server with the field path and the CRD's own
message (schema and CEL rules), including transitions a backend cannot make in place."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from kubernetes.client.exceptions import ApiException
from kubernetes.dynamic import DynamicClient

from tests.integration.operator.support import (
    DATA,
    api_message,
    apply_cluster,
    manifest,
    patch_spec,
)

pytestmark = pytest.mark.kubernetes

INVALID = sorted((DATA / "invalid").glob("*.yaml"))


def _expected(path: Path) -> str:
    first = path.read_text().splitlines()[0]
    assert first.startswith("# expect: ")
    return first.removeprefix("# expect: ")


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_manifest_is_rejected_with_its_message(path: Path, namespace: str) -> None:
    result = subprocess.run(
        [
            os.environ["KUBECTL"],
            "apply",
            "--server-side",
            "--dry-run=server",
            "-n",
            namespace,
            "-f",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert _expected(path) in result.stderr


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {
                "backends": {
                    "metrics": {
                        "type": "bigtable",
                        "bigtable": {"project": "p", "instance": "other"},
                    }
                }
            },
            "backends.metrics.bigtable.instance cannot change in place",
        ),
        (
            {
                "consumers": [
                    {
                        "name": "ps",
                        "source": {
                            "pubsub": {"project": "p", "topic": "other", "subscription": "s"}
                        },
                    }
                ]
            },
            "source.pubsub.topic cannot change for an existing subscription",
        ),
    ],
    ids=["bigtable-instance", "pubsub-topic"],
)
def test_changes_a_backend_cannot_make_are_refused(
    client: DynamicClient, namespace: str, change: dict[str, object], message: str
) -> None:
    name = f"immutable-{next(iter(change))}"
    body = manifest(
        "memory",
        name,
        configure={"enabled": False},
        backends={"metrics": {"type": "bigtable", "bigtable": {"project": "p", "instance": "i"}}},
        consumers=[
            {
                "name": "ps",
                "source": {"pubsub": {"project": "p", "topic": "t", "subscription": "s"}},
            }
        ],
    )
    apply_cluster(client, namespace, body)
    with pytest.raises(ApiException) as refused:
        patch_spec(client, namespace, name, change)
    assert refused.value.status == 422
    assert message in api_message(refused.value)
    renamed = {
        "consumers": [
            {
                "name": "ps",
                "source": {"pubsub": {"project": "p", "topic": "other", "subscription": "s2"}},
            }
        ]
    }
    patch_spec(client, namespace, name, renamed)  # a new subscription may use another topic
