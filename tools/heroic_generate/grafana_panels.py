"""What Heroic's Grafana dashboard shows: Heroic's own Prometheus metrics, panel by panel. Pure.

The series come from three places: the consumer nodes (``heroic_consumer_*``) and the API nodes
(``heroic_http_*``), scraped by the HeroicCluster's PodMonitor, which labels them ``namespace``
and ``cluster``; and the operator (``heroic_operator_*``), whose per-cluster series carry the same
two labels themselves. Names here must be ones our code registers (a helm-test checks them).
"""

from __future__ import annotations

from heroic_generate.grafana import Dashboard, Panel, Row, Target, Variable

#: The dashboard's selection of HeroicClusters, for series labelled namespace and cluster.
CLUSTERS = 'namespace=~"$namespace", cluster=~"$cluster"'
RATE = "[$__rate_interval]"
#: Route templates of the query endpoints: HQL, the render resource and the Prometheus API.
QUERY_ENDPOINTS = "/query/.*|/render/.*|/api/v1/(query|query_range|series|labels|label/.+|metadata)"
#: Route templates of the write endpoints: Heroic's /write and Prometheus remote write.
WRITE_ENDPOINTS = "/write|/api/v1/write"
# Series every HeroicCluster has (its API nodes; the operator's readiness gauge), to list them.
_CLUSTER_SERIES = '__name__=~"heroic_http_requests_total|heroic_operator_cluster_ready"'


def _selector(metric: str, extra: str = "") -> str:
    return f"{metric}{{{CLUSTERS}{', ' + extra if extra else ''}}}"


def rate(metric: str, by: str = "", extra: str = "") -> str:
    """Per-second rate of a counter over the selected clusters, summed ``by`` some labels."""
    grouping = f" by ({by}) " if by else ""
    return f"sum{grouping}(rate({_selector(metric, extra)}{RATE}))"


def quantile(q: float, histogram: str, by: str = "", extra: str = "") -> str:
    """The ``q`` quantile of a histogram over the selected clusters."""
    labels = ", ".join(["le", *([by] if by else [])])
    buckets = f"rate({_selector(histogram + '_bucket', extra)}{RATE})"
    return f"histogram_quantile({q}, sum by ({labels}) ({buckets}))"


def _latency(title: str, description: str, endpoints: str) -> Panel:
    extra = f'endpoint=~"{endpoints}"'
    histogram = "heroic_http_request_duration_seconds"
    return Panel(
        title,
        description,
        "s",
        (
            Target(quantile(0.5, histogram, "endpoint", extra), "p50 {{endpoint}}"),
            Target(quantile(0.99, histogram, "endpoint", extra), "p99 {{endpoint}}"),
        ),
    )


OVERVIEW = Row(
    "Overview",
    (
        Panel(
            "HeroicClusters Ready",
            "Selected HeroicClusters whose Ready condition is True, of all selected.",
            "none",
            (
                Target(f"sum({_selector('heroic_operator_cluster_ready')})", "ready"),
                Target(f"count({_selector('heroic_operator_cluster_ready')})", "clusters"),
            ),
            kind="stat",
        ),
        Panel(
            "Points written /s",
            "Points the consumers wrote to the metric backends.",
            "cps",
            (Target(rate("heroic_consumer_points_written_total"), "points/s"),),
            kind="stat",
        ),
        Panel(
            "Consumer lag",
            "Messages not yet committed, over every partition.",
            "short",
            (
                Target(
                    "sum(max by (namespace, cluster, source, partition) "
                    f"({_selector('heroic_consumer_lag')}))",
                    "messages",
                ),
            ),
            kind="stat",
        ),
        Panel(
            "HTTP 5xx ratio",
            "Share of API requests answered with a 5xx status.",
            "percentunit",
            (
                Target(
                    rate("heroic_http_requests_total", extra='status=~"5.."')
                    + " / "
                    + rate("heroic_http_requests_total"),
                    "5xx",
                ),
            ),
            kind="stat",
        ),
    ),
    per_line=4,
    height=4,
)

INGEST = Row(
    "Ingestion (consumers)",
    (
        Panel(
            "Messages /s",
            "Messages fetched from Kafka or Pub/Sub, and committed after their writes succeeded.",
            "cps",
            (
                Target(
                    rate("heroic_consumer_messages_consumed_total", "source"), "consumed {{source}}"
                ),
                Target(
                    rate("heroic_consumer_messages_committed_total", "source"),
                    "committed {{source}}",
                ),
            ),
        ),
        Panel(
            "Points /s",
            "Points decoded from messages, written per metric backend, and dropped by the "
            "ingestion filter.",
            "cps",
            (
                Target(
                    rate("heroic_consumer_samples_decoded_total", "source"), "decoded {{source}}"
                ),
                Target(
                    rate("heroic_consumer_points_written_total", "backend"), "written {{backend}}"
                ),
                Target(rate("heroic_consumer_samples_filtered_total"), "filtered"),
            ),
        ),
        Panel(
            "Consumer lag",
            "Messages not yet committed per partition (lag), and consumed but uncommitted per pod.",
            "short",
            (
                Target(
                    f"max by (cluster, source, partition) ({_selector('heroic_consumer_lag')})",
                    "{{cluster}} {{source}}/{{partition}}",
                ),
                Target(
                    f"sum by (pod) ({_selector('heroic_consumer_uncommitted_messages')})",
                    "uncommitted {{pod}}",
                ),
            ),
        ),
        Panel(
            "Rejected messages /s",
            "Messages the schema rejected (by category) and those sent to the dead-letter topic.",
            "cps",
            (
                Target(
                    rate("heroic_consumer_messages_malformed_total", "category"),
                    "rejected {{category}}",
                ),
                Target(rate("heroic_consumer_messages_dead_lettered_total"), "dead-lettered"),
            ),
        ),
        Panel(
            "Backend writes /s",
            "Successful backend writes (one per series and batch), by backend and function.",
            "wps",
            (
                Target(
                    rate("heroic_consumer_writes_total", "backend, function"),
                    "{{backend}} {{function}}",
                ),
            ),
        ),
        Panel(
            "Backend errors /s",
            "Failed backend operations; each is retried with backoff, so errors mean delay, "
            "not loss.",
            "ops",
            (
                Target(
                    rate("heroic_consumer_errors_total", "backend, function"),
                    "{{backend}} {{function}}",
                ),
            ),
        ),
        Panel(
            "Backpressure",
            "Consumers paused (backpressure or a backend outage), batches being written, and "
            "backends whose writes are being retried.",
            "short",
            (
                Target(f"sum({_selector('heroic_consumer_paused')})", "paused consumers"),
                Target(
                    f"sum({_selector('heroic_consumer_in_flight_batches')})", "in-flight batches"
                ),
                Target(
                    f"sum by (backend) ({_selector('heroic_consumer_backend_failing')})",
                    "failing {{backend}}",
                ),
            ),
        ),
    ),
)

API = Row(
    "API (queries and writes)",
    (
        Panel(
            "Query requests /s",
            "Requests to the query endpoints (HQL, render, Prometheus API), by route.",
            "reqps",
            (
                Target(
                    rate(
                        "heroic_http_requests_total", "endpoint", f'endpoint=~"{QUERY_ENDPOINTS}"'
                    ),
                    "{{endpoint}}",
                ),
            ),
        ),
        _latency(
            "Query latency",
            "Time from request to the end of the response on the query endpoints.",
            QUERY_ENDPOINTS,
        ),
        _latency(
            "Write latency (HTTP)",
            "Time to write points through POST /write and Prometheus remote write, until the "
            "backends accepted them. The consumers record no write latency of their own.",
            WRITE_ENDPOINTS,
        ),
        Panel(
            "HTTP errors /s by status",
            "Requests answered with a 4xx (bad request) or 5xx (backend unavailable) status.",
            "reqps",
            (
                Target(
                    rate("heroic_http_requests_total", "status, endpoint", 'status=~"4..|5.."'),
                    "{{status}} {{endpoint}}",
                ),
            ),
        ),
        Panel(
            "Requests /s by endpoint",
            "Every API request, by route template.",
            "reqps",
            (Target(rate("heroic_http_requests_total", "endpoint"), "{{endpoint}}"),),
        ),
    ),
)

OPERATOR = Row(
    "Operator",
    (
        Panel(
            "Reconciles /s by result",
            "Reconciles of the selected HeroicClusters by outcome (ok, error, invalid, paused).",
            "ops",
            (Target(rate("heroic_operator_reconciles_total", "result"), "{{result}}"),),
        ),
        Panel(
            "Reconcile errors /s by reason",
            "Failed reconciles by reason; kopf retries them with backoff.",
            "ops",
            (Target(rate("heroic_operator_reconcile_errors_total", "reason"), "{{reason}}"),),
        ),
        Panel(
            "Reconcile duration",
            "Time one reconcile of a HeroicCluster takes.",
            "s",
            (
                Target(quantile(0.5, "heroic_operator_reconcile_duration_seconds"), "p50"),
                Target(quantile(0.99, "heroic_operator_reconcile_duration_seconds"), "p99"),
            ),
        ),
        Panel(
            "Cluster readiness",
            "1 while a HeroicCluster is Ready; children held back after an operator upgrade "
            "(RequiresUpdate) until the next spec change or the accept annotation.",
            "short",
            (
                Target(
                    _selector("heroic_operator_cluster_ready"), "ready {{namespace}}/{{cluster}}"
                ),
                Target(
                    _selector("heroic_operator_children_held"), "held {{namespace}}/{{cluster}}"
                ),
            ),
        ),
        Panel(
            "Configure Jobs (last hour)",
            "Configure Job outcomes (created, succeeded, failed_retryable, failed_permanent).",
            "short",
            (
                Target(
                    "sum by (target, outcome) "
                    f"(increase({_selector('heroic_operator_configure_jobs_total')}[1h]))",
                    "{{target}} {{outcome}}",
                ),
            ),
        ),
        Panel(
            "Operator work queue and leader",
            "HeroicClusters waiting for a reconcile and replicas holding the leader Lease (1 per "
            "operator release), by the operator's namespace; not filtered by cluster.",
            "short",
            (
                Target("sum by (namespace) (heroic_operator_queue_depth)", "queued {{namespace}}"),
                Target("sum by (namespace) (heroic_operator_leader)", "leaders {{namespace}}"),
            ),
        ),
        Panel(
            "Kubernetes API writes /s",
            "Writes the operator makes to the Kubernetes API, for every cluster it manages (not "
            "filtered by cluster); zero in a steady state.",
            "ops",
            (
                Target(
                    f"sum by (verb, kind) (rate(heroic_operator_api_writes_total{RATE}))",
                    "{{verb}} {{kind}}",
                ),
            ),
        ),
    ),
)

DASHBOARD = Dashboard(
    title="Heroic",
    description=(
        "Heroic's own metrics: ingestion by the consumers, queries and writes on the API nodes, "
        "and the operator's reconciles. Needs the HeroicCluster's PodMonitor "
        "(spec.monitoring.podMonitor) and the chart's ServiceMonitor (serviceMonitor.enabled)."
    ),
    variables=(
        Variable("namespace", "Namespace", f"label_values({{{_CLUSTER_SERIES}}}, namespace)"),
        Variable(
            "cluster",
            "HeroicCluster",
            f'label_values({{{_CLUSTER_SERIES}, namespace=~"$namespace"}}, cluster)',
        ),
    ),
    rows=(OVERVIEW, INGEST, API, OPERATOR),
)
