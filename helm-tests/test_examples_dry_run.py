"""Every example in examples/ is accepted by a real API server with the canonical CRD.

A server-side dry run: the CRD's structural schema, CEL rules and strict field validation all
run, nothing is stored. Uses a throwaway namespace.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helm_utils import REPO_ROOT
from kube_utils import dry_run_apply

from heroic_operator import naming

pytestmark = [pytest.mark.kubernetes]

EXAMPLES = sorted((REPO_ROOT / "examples").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_is_accepted_by_the_api_server(path: Path, heroic_crd: str, namespace: str) -> None:
    proc = dry_run_apply(path.read_text(), namespace)
    assert proc.returncode == 0, proc.stderr
    assert f"heroiccluster.{naming.GROUP}/" in proc.stdout


def test_api_server_refuses_an_unknown_field_in_an_example(heroic_crd: str, namespace: str) -> None:
    text = (REPO_ROOT / "examples" / "memory.yaml").read_text()
    text = text.replace("    replicas: 1\n", "    replicas: 1\n    replicaz: 2\n")
    proc = dry_run_apply(text, namespace)
    assert proc.returncode != 0
    assert "replicaz" in proc.stderr
