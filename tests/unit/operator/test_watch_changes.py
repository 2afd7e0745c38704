"""Which watch events are news: the operator's own writes and controllers' bookkeeping are not;
drift, rollout progress, Job outcomes, spec and annotation changes and deletions are."""

from __future__ import annotations

import copy
from typing import Any

from heroic_operator.process.changes import ChangeFilter, cluster_fingerprint, fingerprint


def deployment(**status: Any) -> dict[str, Any]:
    return {
        "kind": "Deployment",
        "metadata": {
            "name": "c-heroic-api",
            "namespace": "ns",
            "generation": 1,
            "resourceVersion": "10",
            "labels": {"app": "heroic"},
            "annotations": {"heroic.dev/desired-hash": "h1"},
        },
        "spec": {"replicas": 2},
        "status": status,
    }


def test_bookkeeping_of_controllers_is_not_news() -> None:
    stored = deployment()
    touched = copy.deepcopy(stored)
    touched["metadata"]["resourceVersion"] = "11"
    touched["metadata"]["managedFields"] = [{"manager": "kube-controller-manager"}]
    touched["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = "1"
    touched["status"] = {"observedGeneration": 1, "replicas": 2, "unavailableReplicas": 2}
    assert fingerprint(touched) == fingerprint(stored)


def test_rollout_progress_drift_and_job_outcomes_are_news() -> None:
    stored = deployment()
    ready = deployment(
        observedGeneration=1,
        replicas=2,
        updatedReplicas=2,
        availableReplicas=2,
        readyReplicas=2,
        conditions=[{"type": "Available", "status": "True"}],
    )
    assert fingerprint(ready) != fingerprint(stored)
    relabelled = copy.deepcopy(stored)
    relabelled["metadata"]["labels"]["app"] = "edited"
    assert fingerprint(relabelled) != fingerprint(stored)
    config = {"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"api.yml": "a"}}
    edited = {**config, "data": {"api.yml": "b"}}
    assert fingerprint(config) != fingerprint(edited)
    job = {"kind": "Job", "metadata": {"name": "j"}, "status": {"active": 1}}
    failed = {"kind": "Job", "metadata": {"name": "j"}, "status": {"failed": 1}}
    assert fingerprint({**job, "status": {"active": 0}}) == fingerprint(job)
    assert fingerprint(failed) != fingerprint(job)


def test_the_operators_own_write_is_not_news_but_a_later_edit_is() -> None:
    changes = ChangeFilter()
    stored = deployment()
    changes.written(stored)
    assert not changes.child_changed(copy.deepcopy(stored))
    scaled = copy.deepcopy(stored)
    scaled["spec"]["replicas"] = 5
    scaled["metadata"]["generation"] = 2
    assert changes.child_changed(scaled)
    assert not changes.child_changed(scaled), "the same state twice is news once"
    changes.forget(scaled)
    assert changes.child_changed(scaled), "after a deletion the object is new again"


def test_a_status_write_on_the_cluster_is_not_news() -> None:
    changes = ChangeFilter()
    cluster = {
        "kind": "HeroicCluster",
        "metadata": {"name": "c", "namespace": "ns", "generation": 1, "annotations": {}},
        "spec": {"image": "heroic:1"},
    }
    assert changes.cluster_changed(cluster), "first sight of a cluster"
    with_status = {**cluster, "status": {"conditions": [{"type": "Ready", "status": "True"}]}}
    assert not changes.cluster_changed(with_status)
    annotated = copy.deepcopy(cluster)
    annotated["metadata"]["annotations"]["heroic.dev/retry-configure"] = "1"
    assert changes.cluster_changed(annotated)
    assert cluster_fingerprint(annotated) != cluster_fingerprint(cluster)
