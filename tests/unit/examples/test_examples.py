"""Every manifest in examples/ is a HeroicCluster the CRD and the operator both accept.

Checks each example against the CRD's openAPIV3Schema (jsonschema, objects closed as the API
server's strict field validation closes them), against the operator's spec model, and through
the operator's renderer (every component gets a valid heroic.yml). No cluster: the server-side
dry run is in helm-tests/test_examples_dry_run.py.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from heroic_operator import naming
from heroic_operator.desired.components import components, configure_targets
from heroic_operator.spec import parse_cluster

REPO_ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = sorted((REPO_ROOT / "examples").glob("*.yaml"))
CRD_PATH = REPO_ROOT / "crds" / f"{naming.PLURAL}.{naming.GROUP}.yaml"


def _clusters(path: Path) -> list[dict[str, Any]]:
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
    return [d for d in docs if d.get("kind") == naming.KIND]


def _example(name: str) -> dict[str, Any]:
    (cluster,) = _clusters(REPO_ROOT / "examples" / name)
    return cluster


def _closed(node: dict[str, Any]) -> dict[str, Any]:
    """A CRD schema node with every object closed, unless it preserves unknown fields."""
    out = copy.deepcopy(node)
    stack = [out]
    while stack:
        current = stack.pop()
        if current.get("x-kubernetes-int-or-string"):
            current["type"] = ["integer", "string"]
        if current.get("nullable") and isinstance(current.get("type"), str):
            current["type"] = [current["type"], "null"]
        if "properties" in current and not current.get("x-kubernetes-preserve-unknown-fields"):
            current.setdefault("additionalProperties", False)
            stack.extend(current["properties"].values())
        for key in ("items", "additionalProperties"):
            if isinstance(current.get(key), dict):
                stack.append(current[key])
        for key in ("oneOf", "anyOf", "allOf"):
            stack.extend(current.get(key, []))
    return out


@pytest.fixture(scope="module")
def crd_schema() -> dict[str, Any]:
    crd = yaml.safe_load(CRD_PATH.read_text())
    version = next(v for v in crd["spec"]["versions"] if v.get("storage"))
    return _closed(version["schema"]["openAPIV3Schema"])


def test_examples_cover_every_documented_backend_combination() -> None:
    assert [p.name for p in EXAMPLES] == [
        "bigtable-elasticsearch-pubsub.yaml",
        "cassandra-elasticsearch-kafka.yaml",
        "cassandra-opensearch-kafka.yaml",
        "federated-sites.yaml",
        "memory.yaml",
        "split-consumers.yaml",
    ]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_holds_heroicclusters_of_the_served_version(path: Path) -> None:
    clusters = _clusters(path)
    assert len(clusters) == (2 if path.name == "federated-sites.yaml" else 1)
    for cluster in clusters:
        assert cluster["apiVersion"] == naming.API_VERSION
        assert "namespace" not in cluster["metadata"], "examples apply to the current namespace"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_validates_against_the_crd_schema(path: Path, crd_schema: dict[str, Any]) -> None:
    for cluster in _clusters(path):
        jsonschema.validate(cluster, crd_schema)


def test_crd_schema_check_refuses_an_unknown_field(crd_schema: dict[str, Any]) -> None:
    cluster = _example("memory.yaml")
    cluster["spec"]["api"]["replicaz"] = 2
    with pytest.raises(jsonschema.ValidationError, match="replicaz"):
        jsonschema.validate(cluster, crd_schema)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_validates_against_the_operator_spec_model(path: Path) -> None:
    for body in _clusters(path):
        assert parse_cluster(body).name == body["metadata"]["name"]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_renders_a_valid_config_for_every_component(path: Path) -> None:
    for body in _clusters(path):
        cluster = parse_cluster({**body, "metadata": {**body["metadata"], "namespace": "ns"}})
        rendered = components(cluster)
        expected = ["api", *(f"consumer-{g.name}" for g in cluster.spec.consumers)]
        assert [c.name for c in rendered] == expected
        assert all(c.rendered.text for c in rendered)


@pytest.mark.parametrize(
    ("name", "metrics", "search", "targets"),
    [
        ("memory.yaml", "memory", "memory", []),
        (
            "bigtable-elasticsearch-pubsub.yaml",
            "bigtable",
            "elasticsearch",
            ["bigtable", "elasticsearch", "pubsub-pubsub"],
        ),
        (
            "cassandra-elasticsearch-kafka.yaml",
            "cassandra",
            "elasticsearch",
            ["cassandra", "elasticsearch", "kafka-kafka"],
        ),
        ("split-consumers.yaml", "cassandra", "elasticsearch", ["cassandra", "elasticsearch"]),
    ],
)
def test_example_uses_the_backends_its_name_promises(
    name: str, metrics: str, search: str, targets: list[str]
) -> None:
    cluster = parse_cluster(_example(name))
    backends = cluster.spec.backends
    assert (backends.metrics.type, backends.metadata.type, backends.suggest.type) == (
        metrics,
        search,
        search,
    )
    assert [t.key for t in configure_targets(cluster)] == targets


def test_pubsub_and_kafka_examples_read_from_their_sources() -> None:
    gcp = parse_cluster(_example("bigtable-elasticsearch-pubsub.yaml")).spec.consumers
    onprem = parse_cluster(_example("cassandra-elasticsearch-kafka.yaml")).spec.consumers
    assert [g.source.pubsub is not None for g in gcp] == [True]
    assert [g.source.kafka is not None for g in onprem] == [True]


def test_split_consumers_divide_the_three_writes_between_two_groups() -> None:
    groups = parse_cluster(_example("split-consumers.yaml")).spec.consumers
    writes = {g.name: set(g.writes) for g in groups}
    assert writes == {"metrics": {"metrics"}, "metadata": {"metadata", "suggest"}}
    group_ids = {g.source.kafka.group_id for g in groups if g.source.kafka}
    assert len(group_ids) == 2, "each group needs its own Kafka consumer group id"


def test_federated_sites_name_each_other_and_share_the_token() -> None:
    clusters = [
        parse_cluster(b) for b in _clusters(REPO_ROOT / "examples" / "federated-sites.yaml")
    ]
    names = {c.name for c in clusters}
    tokens = set()
    for cluster in clusters:
        federation = cluster.spec.federation
        assert federation is not None
        assert federation.tags == {"site": cluster.name}
        peers = {p.heroic_cluster.name for p in federation.peers if p.heroic_cluster}
        assert peers == names - {cluster.name}
        assert {tuple(t.items()) for t in federation.topology or []} == {
            (("site", n),) for n in names
        }
        tokens.add(federation.token_secret_ref)
    assert len(tokens) == 1


def test_in_cluster_elasticsearch_example_references_a_declared_cluster() -> None:
    spec = parse_cluster(_example("cassandra-elasticsearch-kafka.yaml")).spec
    declared = {c.name for c in spec.elasticsearch_clusters}
    es = spec.backends.metadata.elasticsearch
    assert es is not None
    assert es.cluster_ref in declared


def _secret_names(node: object) -> set[str]:
    if isinstance(node, dict):
        found = {
            str(value["name"])
            for key, value in node.items()
            if key.endswith(("SecretRef", "secretKeyRef")) and isinstance(value, dict)
        }
        return found.union(*(_secret_names(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_secret_names(v) for v in node))
    return set()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_says_how_to_create_every_secret_it_references(path: Path) -> None:
    text = path.read_text()
    for cluster in _clusters(path):
        for name in _secret_names(cluster["spec"]):
            assert f"kubectl create secret generic {name} " in text, name


def test_secret_reference_finder_sees_nested_references() -> None:
    spec = _example("split-consumers.yaml")["spec"]
    assert _secret_names(spec) == {"heroic-cassandra", "heroic-kafka"}
