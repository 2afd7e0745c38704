"""Prometheus metrics of the operator (the default registry, served on ``/metrics``).

Per-cluster series use ``namespace`` and ``cluster`` labels. Defines metrics only.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

RECONCILES = Counter(
    "heroic_operator_reconciles_total",
    "Reconciles of a HeroicCluster by outcome (ok, error, invalid, paused)",
    ["namespace", "cluster", "result"],
)
RECONCILE_ERRORS = Counter(
    "heroic_operator_reconcile_errors_total",
    "Failed reconciles by reason",
    ["namespace", "cluster", "reason"],
)
RECONCILE_SECONDS = Histogram(
    "heroic_operator_reconcile_duration_seconds",
    "Duration of one reconcile",
    ["namespace", "cluster"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
JOB_OUTCOMES = Counter(
    "heroic_operator_configure_jobs_total",
    "Configure Job outcomes (created, succeeded, failed_retryable, failed_permanent)",
    ["namespace", "cluster", "target", "outcome"],
)
API_WRITES = Counter(
    "heroic_operator_api_writes_total",
    "Writes to the Kubernetes API by verb and kind",
    ["verb", "kind"],
)
BUILD_INFO = Gauge("heroic_operator_build_info", "Always 1; the operator's version", ["version"])
QUEUE_DEPTH = Gauge("heroic_operator_queue_depth", "HeroicClusters waiting for a reconcile")
LEADER = Gauge("heroic_operator_leader", "1 while this replica holds the leader Lease")
CLUSTERS_READY = Gauge(
    "heroic_operator_cluster_ready", "1 if the HeroicCluster is Ready", ["namespace", "cluster"]
)
CHILDREN_HELD = Gauge(
    "heroic_operator_children_held",
    "Children held back after an operator upgrade (RequiresUpdate)",
    ["namespace", "cluster"],
)
