"""NOTES.txt tells the user what to run next, with the names this install really has."""

from __future__ import annotations

import pytest
from helm_utils import NAMESPACE, RELEASE, render_notes

pytestmark = pytest.mark.helm


def test_notes_show_how_to_check_the_operator() -> None:
    notes = render_notes()
    assert f"kubectl -n {NAMESPACE} rollout status deployment/{RELEASE}-heroic-operator" in notes
    assert f"watches HeroicClusters in: {NAMESPACE}." in notes


def test_notes_point_at_the_examples_when_no_cluster_is_created() -> None:
    assert "apply -f examples/memory.yaml" in render_notes()


def test_notes_show_how_to_wait_for_the_cluster_created_from_values() -> None:
    notes = render_notes({"heroicCluster": {"enabled": True, "name": "demo"}})
    assert "wait --for=condition=Ready heroiccluster/demo" in notes


def test_notes_say_when_the_crd_was_not_installed() -> None:
    notes = render_notes({"crds": {"install": False}})
    assert "kubectl apply --server-side -f crds/heroicclusters.heroic.dev.yaml" in notes


def test_notes_name_every_watched_namespace() -> None:
    notes = render_notes({"operator": {"watchNamespaces": ["a", "b"]}})
    assert "watches HeroicClusters in: a, b." in notes
