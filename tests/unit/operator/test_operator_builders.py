"""Pure builders: the desired children of a cluster, field by field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jmespath
import pytest

from heroic_operator import naming
from heroic_operator.desired.builders import BuildContext, build_all
from heroic_operator.desired.components import components
from heroic_operator.errors import InvalidSpec
from heroic_operator.spec import Cluster, SecretKeyRef

SECRETS = {
    SecretKeyRef(name="gcp-credentials", key="key.json"): "h1",
    SecretKeyRef(name="kafka-credentials", key="password"): "h2",
    SecretKeyRef(name="cassandra-credentials", key="password"): "h3",
}


def build(
    cluster: Cluster,
    deployable: set[str] | None = None,
    secrets: dict[SecretKeyRef, str] | None = None,
) -> dict[tuple[str, str], dict[str, Any]]:
    comps = components(cluster)
    data = {naming.config_key(c.name): c.rendered.text for c in comps}
    names = {c.name for c in comps} if deployable is None else deployable
    context = BuildContext(
        cluster, comps, data, frozenset(names), secrets or SECRETS, configure_service_account=True
    )
    return {(o["kind"], o["metadata"]["name"]): o for o in build_all(context)}


def test_memory_cluster_children(cluster: Callable[..., Cluster]) -> None:
    assert sorted(build(cluster("memory"))) == [
        ("ConfigMap", "mem-heroic-config"),
        ("Deployment", "mem-heroic-api"),
        ("Deployment", "mem-heroic-consumer-main"),
        ("PodDisruptionBudget", "mem-heroic-api"),
        ("PodDisruptionBudget", "mem-heroic-consumer-main"),
        ("Service", "mem-heroic-api"),
        ("ServiceAccount", "mem-heroic-api"),
        ("ServiceAccount", "mem-heroic-configure"),
        ("ServiceAccount", "mem-heroic-consumer-main"),
    ]


def test_every_child_is_owned_by_the_cluster_and_labelled(cluster: Callable[..., Cluster]) -> None:
    for obj in build(cluster("full")).values():
        meta = obj["metadata"]
        assert meta["ownerReferences"] == [
            {
                "apiVersion": "heroic.dev/v1alpha1",
                "kind": "HeroicCluster",
                "name": "full",
                "uid": "uid-1",
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
        assert meta["labels"]["app.kubernetes.io/instance"] == "full"
        assert meta["labels"]["app.kubernetes.io/managed-by"] == "heroic-operator"
        assert naming.ANNOTATION_DESIRED_HASH in meta["annotations"]
        assert meta["namespace"] == "ns"


@pytest.mark.parametrize(
    ("name", "query", "expected"),
    [
        (
            "full-heroic-api",
            "spec.template.spec.containers[0].command",
            ["heroic", "api", "--config", "/etc/heroic/heroic.yml"],
        ),
        (
            "full-heroic-consumer-kafka",
            "spec.template.spec.containers[0].command",
            ["heroic", "consumer", "--config", "/etc/heroic/heroic.yml"],
        ),
        (
            "full-heroic-api",
            "spec.template.spec.volumes[?name=='config'].configMap | [0]",
            {"name": "full-heroic-config", "items": [{"key": "api.yml", "path": "heroic.yml"}]},
        ),
        (
            "full-heroic-consumer-ps",
            "spec.template.spec.volumes[?name=='config'].configMap.items[0].key | [0]",
            "consumer-ps.yml",
        ),
        (
            "full-heroic-api",
            "spec.template.spec.containers[0].image",
            "ghcr.io/example/heroic:0.1.0",
        ),
        ("full-heroic-api", "spec.template.spec.nodeSelector", {"pool": "heroic"}),
        ("full-heroic-api", 'spec.template.metadata.annotations."prometheus.io/scrape"', "true"),
        ("full-heroic-api", "spec.template.spec.serviceAccountName", "full-heroic-api"),
        ("full-heroic-api", "spec.template.spec.automountServiceAccountToken", False),
        ("full-heroic-api", "spec.template.spec.securityContext.runAsNonRoot", True),
        (
            "full-heroic-api",
            "spec.template.spec.containers[0].securityContext.capabilities.drop",
            ["ALL"],
        ),
        ("full-heroic-api", "spec.template.spec.containers[0].resources.limits.memory", "2Gi"),
        (
            "full-heroic-api",
            "spec.selector.matchLabels",
            {
                "app.kubernetes.io/name": "heroic",
                "app.kubernetes.io/instance": "full",
                "app.kubernetes.io/component": "api",
            },
        ),
        ("full-heroic-consumer-kafka", "spec.replicas", 2),
        (
            "full-heroic-consumer-kafka",
            "spec.template.spec.containers[0].env[0]",
            {
                "name": "HEROIC_KAFKA_SASL_PASSWORD",
                "valueFrom": {"secretKeyRef": {"name": "kafka-credentials", "key": "password"}},
            },
        ),
        (
            "full-heroic-consumer-ps",
            "spec.template.spec.containers[0].env[?name=='GOOGLE_APPLICATION_CREDENTIALS']"
            ".value | [0]",
            "/var/run/secrets/heroic/gcp-credentials/key.json",
        ),
        (
            "full-heroic-consumer-ps",
            "spec.template.spec.volumes[?name=='secret-gcp-credentials'].secret | [0]",
            {"secretName": "gcp-credentials", "items": [{"key": "key.json", "path": "key.json"}]},
        ),
    ],
)
def test_deployment_fields(
    cluster: Callable[..., Cluster], name: str, query: str, expected: object
) -> None:
    assert jmespath.search(query, build(cluster("full"))[("Deployment", name)]) == expected


def test_replicas_are_left_to_the_hpa_when_autoscaling(cluster: Callable[..., Cluster]) -> None:
    objs = build(cluster("full"))
    assert "replicas" not in objs[("Deployment", "full-heroic-api")]["spec"]
    hpa = objs[("HorizontalPodAutoscaler", "full-heroic-api")]["spec"]
    assert hpa["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "full-heroic-api",
    }
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (3, 10)
    assert hpa["metrics"][0]["resource"]["target"]["averageUtilization"] == 70


def test_config_hash_follows_the_config_text(cluster: Callable[..., Cluster]) -> None:
    query = 'spec.template.metadata.annotations."heroic.dev/config-hash"'
    before = jmespath.search(query, build(cluster("memory"))[("Deployment", "mem-heroic-api")])
    changed = cluster("memory", config={"features": ["com.spotify.heroic.shift_range"]})
    after = jmespath.search(query, build(changed)[("Deployment", "mem-heroic-api")])
    replicas = jmespath.search(
        query, build(cluster("memory", api={"replicas": 5}))[("Deployment", "mem-heroic-api")]
    )
    assert before != after
    assert before == replicas


def test_secrets_hash_follows_secret_contents(cluster: Callable[..., Cluster]) -> None:
    query = 'spec.template.metadata.annotations."heroic.dev/secrets-hash"'
    name = ("Deployment", "full-heroic-consumer-kafka")
    before = jmespath.search(query, build(cluster("full"))[name])
    rotated = {**SECRETS, SecretKeyRef(name="kafka-credentials", key="password"): "new"}
    after = jmespath.search(query, build(cluster("full"), secrets=rotated)[name])
    other = {**SECRETS, SecretKeyRef(name="cassandra-credentials", key="password"): "new"}
    unrelated = jmespath.search(query, build(cluster("full"), secrets=other)[name])
    assert before != after
    assert before == unrelated


def test_headless_elasticsearch_service(cluster: Callable[..., Cluster]) -> None:
    spec = build(cluster("full"))[("Service", "full-heroic-es-main")]["spec"]
    assert spec["clusterIP"] == "None"
    assert spec["publishNotReadyAddresses"] is True
    assert spec["selector"] == {"elasticsearch.k8s.elastic.co/cluster-name": "main"}
    assert [(p["name"], p["port"]) for p in spec["ports"]] == [("http", 9200), ("transport", 9300)]


def test_api_service_targets_the_named_port(cluster: Callable[..., Cluster]) -> None:
    service = build(cluster("full"))[("Service", "full-heroic-api")]
    assert service["spec"]["ports"] == [
        {"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}
    ]
    assert service["metadata"]["annotations"]["example.com/team"] == "observability"


@pytest.mark.parametrize(
    ("budget", "expected"),
    [
        ({}, {"maxUnavailable": 1}),
        ({"maxUnavailable": "25%"}, {"maxUnavailable": "25%"}),
        ({"minAvailable": 2}, {"minAvailable": 2}),
    ],
)
def test_pod_disruption_budget(
    cluster: Callable[..., Cluster], budget: dict[str, Any], expected: dict[str, Any]
) -> None:
    pdb = build(cluster("memory", api={"disruptionBudget": budget}))[
        ("PodDisruptionBudget", "mem-heroic-api")
    ]["spec"]
    assert {k: v for k, v in pdb.items() if k != "selector"} == expected


def test_disabled_budget_and_own_service_account_are_not_built(
    cluster: Callable[..., Cluster],
) -> None:
    api = {"disruptionBudget": {"enabled": False}, "podTemplate": {"serviceAccountName": "mine"}}
    objs = build(cluster("memory", api=api))
    assert ("PodDisruptionBudget", "mem-heroic-api") not in objs
    assert ("ServiceAccount", "mem-heroic-api") not in objs
    pod = objs[("Deployment", "mem-heroic-api")]["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "mine"


def test_service_account_carries_workload_identity(cluster: Callable[..., Cluster]) -> None:
    sa = build(cluster("full"))[("ServiceAccount", "full-heroic-api")]
    assert sa["metadata"]["annotations"]["iam.gke.io/gcp-service-account"].startswith("heroic@")
    assert sa["automountServiceAccountToken"] is False


def test_pod_monitor_scrapes_the_api_and_every_consumer_group(
    cluster: Callable[..., Cluster],
) -> None:
    assert not any(kind == "PodMonitor" for kind, _ in build(cluster("full")))
    monitoring = {
        "podMonitor": {
            "enabled": True,
            "interval": "15s",
            "scrapeTimeout": "10s",
            "labels": {"release": "prometheus"},
        }
    }
    monitor = build(cluster("full", monitoring=monitoring))[
        ("PodMonitor", "full-heroic-monitoring")
    ]
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["metadata"]["labels"]["release"] == "prometheus"
    assert monitor["metadata"]["labels"][naming.LABEL_COMPONENT] == "monitoring"
    assert monitor["spec"] == {
        "selector": {
            "matchLabels": {
                "app.kubernetes.io/name": "heroic",
                "app.kubernetes.io/instance": "full",
            },
            "matchExpressions": [
                {
                    "key": "app.kubernetes.io/component",
                    "operator": "In",
                    "values": ["api", "consumer-kafka", "consumer-ps"],
                }
            ],
        },
        "podMetricsEndpoints": [
            {
                "port": "http",
                "path": "/metrics",
                "interval": "15s",
                "scrapeTimeout": "10s",
                "relabelings": [
                    {
                        "sourceLabels": ["__meta_kubernetes_pod_label_app_kubernetes_io_instance"],
                        "targetLabel": "cluster",
                    },
                    {
                        "sourceLabels": ["__meta_kubernetes_pod_label_app_kubernetes_io_component"],
                        "targetLabel": "component",
                    },
                    {"action": "labeldrop", "regex": "endpoint"},
                ],
            }
        ],
    }


def test_probes_use_the_paths_each_role_serves(cluster: Callable[..., Cluster]) -> None:
    objs = build(cluster("memory"))

    def container(name: str) -> dict[str, Any]:
        out: dict[str, Any] = objs[("Deployment", name)]["spec"]["template"]["spec"]["containers"][
            0
        ]
        return out

    api, consumer = container("mem-heroic-api"), container("mem-heroic-consumer-main")
    assert api["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert api["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert consumer["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert consumer["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}


def test_waiting_components_get_no_deployment(cluster: Callable[..., Cluster]) -> None:
    objs = build(cluster("memory"), deployable={"consumer-main"})
    assert ("Deployment", "mem-heroic-api") not in objs
    assert ("Deployment", "mem-heroic-consumer-main") in objs


def test_user_env_may_not_shadow_operator_env(cluster: Callable[..., Cluster]) -> None:
    full = cluster("full")
    groups = [g.model_dump(by_alias=True, exclude_none=True) for g in full.spec.consumers]
    groups[0]["podTemplate"] = {"env": [{"name": "HEROIC_KAFKA_SASL_PASSWORD", "value": "x"}]}
    with pytest.raises(InvalidSpec, match="HEROIC_KAFKA_SASL_PASSWORD"):
        build(cluster("full", consumers=groups))


def test_builders_emit_no_empty_strings(cluster: Callable[..., Cluster]) -> None:
    def walk(value: object) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        else:
            assert value != ""

    for obj in build(cluster("full")).values():
        walk(obj)
