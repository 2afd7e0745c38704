"""Render the heroic chart with the real helm binary and hand the objects to the tests.

``render_chart(values, show_only)`` runs ``helm template`` and returns the rendered documents as
a list of dicts, in helm's order. It must not talk to a cluster: tests that need the API server
say so with the ``kubernetes`` marker and use ``kubectl`` themselves.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
CHART_DIR = REPO_ROOT / "charts" / "heroic"
RELEASE = "release"
NAMESPACE = "heroic-system"

Manifest = dict[str, Any]


class RenderError(Exception):
    """``helm template`` failed; ``stderr`` holds helm's message (schema or template error)."""

    def __init__(self, stderr: str) -> None:
        super().__init__(stderr)
        self.stderr = stderr


def helm_binary() -> str:
    """The helm binary of the test environment (``$HELM``)."""
    return os.environ["HELM"]


def _helm(args: Sequence[str], stdin: str | None = None) -> str:
    proc = subprocess.run(
        [helm_binary(), *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if proc.returncode != 0:
        raise RenderError(proc.stderr)
    return proc.stdout


def template_output(
    values: dict[str, Any] | None = None,
    show_only: Sequence[str] = (),
    *,
    name: str = RELEASE,
    namespace: str = NAMESPACE,
    extra_args: Sequence[str] = (),
    chart: Path = CHART_DIR,
) -> str:
    """The raw text ``helm template`` prints for these values."""
    args = ["template", name, str(chart), "--namespace", namespace, "--values", "-"]
    for template in show_only:
        args += ["--show-only", template]
    return _helm([*args, *extra_args], stdin=json.dumps(values or {}))


def render_chart(
    values: dict[str, Any] | None = None,
    show_only: Sequence[str] = (),
    *,
    name: str = RELEASE,
    namespace: str = NAMESPACE,
    extra_args: Sequence[str] = (),
    chart: Path = CHART_DIR,
) -> list[Manifest]:
    """The objects ``helm template`` renders for these values (empty documents dropped)."""
    text = template_output(
        values, show_only, name=name, namespace=namespace, extra_args=extra_args, chart=chart
    )
    return [doc for doc in yaml.safe_load_all(text) if doc]


def render_notes(values: dict[str, Any] | None = None, name: str = RELEASE) -> str:
    """NOTES.txt as ``helm install`` would print it (a client-side dry run, no cluster)."""
    args = ["install", name, str(CHART_DIR), "--namespace", NAMESPACE, "--values", "-"]
    out = _helm([*args, "--dry-run=client", "--output", "json"], stdin=json.dumps(values or {}))
    notes: str = json.loads(out)["info"].get("notes", "")
    return notes


def kinds_and_names(docs: Sequence[Manifest]) -> set[tuple[str, str]]:
    """``(kind, name)`` of every rendered object."""
    return {(doc["kind"], doc["metadata"]["name"]) for doc in docs}


def one(docs: Sequence[Manifest], kind: str, name: str | None = None) -> Manifest:
    """The single rendered object of ``kind`` (and ``name``); fails the test otherwise."""
    found = [d for d in docs if d["kind"] == kind and name in (None, d["metadata"]["name"])]
    assert len(found) == 1, f"expected one {kind} {name or ''}, got {kinds_and_names(found)}"
    return found[0]
