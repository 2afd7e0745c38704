"""The components, the names they answer to, and the variables each one exports."""

from __future__ import annotations

from heroic_testenv.components.base import Component
from heroic_testenv.components.cassandra import Cassandra
from heroic_testenv.components.elasticsearch import Elasticsearch, Elasticsearch8, Elasticsearch9
from heroic_testenv.components.gcp import Bigtable, PubSub
from heroic_testenv.components.kafka import Kafka
from heroic_testenv.components.kubernetes import Kubernetes
from heroic_testenv.components.node import Node
from heroic_testenv.components.opensearch import OpenSearch, OpenSearch3
from heroic_testenv.components.tools import Helm

# Start order: the slowest first, so that the JVMs overlap the control plane.
COMPONENTS: dict[str, Component] = {
    "cassandra": Cassandra(),
    "elasticsearch": Elasticsearch(),
    "opensearch": OpenSearch(),
    "opensearch3": OpenSearch3(),
    "elasticsearch8": Elasticsearch8(),
    "elasticsearch9": Elasticsearch9(),
    "kubernetes": Kubernetes(),
    "node": Node(),
    "kafka": Kafka(),
    "bigtable": Bigtable(),
    "pubsub": PubSub(),
    "helm": Helm(),
}
ALIASES = {
    "k8s": "kubernetes",
    "es": "elasticsearch",
    "kubectl": "helm",
    "gcp": "bigtable,pubsub",
    "search-engines": "elasticsearch,opensearch,opensearch3,elasticsearch8,elasticsearch9",
}
# The variable whose presence means "this component is already provided from outside".
PROVIDED_BY = {
    "kubernetes": "KUBECONFIG",
    "kafka": "KAFKA_BOOTSTRAP_SERVERS",
    "elasticsearch": "ELASTICSEARCH_URL",
    "opensearch": "OPENSEARCH_URL",
    "opensearch3": "OPENSEARCH3_URL",
    "elasticsearch8": "ELASTICSEARCH8_URL",
    "elasticsearch9": "ELASTICSEARCH9_URL",
    "cassandra": "CASSANDRA_CONTACT_POINTS",
    "bigtable": "BIGTABLE_EMULATOR_HOST",
    "pubsub": "PUBSUB_EMULATOR_HOST",
    "helm": "HELM",
    "node": "TESTENV_NODE",
}
# Components that start only once these are ready (and are brought along by them).
REQUIRES: dict[str, tuple[str, ...]] = {"node": ("kubernetes",)}


def resolve(spec: str | list[str], *, requirements: bool = True) -> list[str]:
    """Names from a "kubernetes kafka" / "all" spec, in start order; unknown names raise.
    With ``requirements``, what a component needs comes along (to start it, not to stop it)."""
    words = spec.replace(",", " ").split() if isinstance(spec, str) else list(spec)
    wanted: set[str] = set()
    for word in words:
        if word == "all":
            wanted.update(COMPONENTS)
            continue
        for name in ALIASES.get(word, word).split(","):
            if name not in COMPONENTS:
                known = ", ".join([*COMPONENTS, "all"])
                raise ValueError(f"unknown component {word!r} (known: {known})")
            wanted.add(name)
            if requirements:
                wanted.update(REQUIRES.get(name, ()))
    return [name for name in COMPONENTS if name in wanted]
