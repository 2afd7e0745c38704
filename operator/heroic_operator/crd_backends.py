"""CRD sub-schemas for ``spec.backends``, ``spec.elasticsearchClusters`` and consumer sources,
with the CEL rules for matching blocks and fields that backends cannot change in place. Pure."""

from __future__ import annotations

from typing import Any

from heroic_operator.crd_types import (
    boolean,
    integer,
    map_list,
    obj,
    rule,
    string,
    string_list,
    string_map,
)

SHORT_NAME = r"^[a-z]([-a-z0-9]{0,13}[a-z0-9])?$"
SCHEMAS = ("Spotify100", "Spotify100Proto")


def secret_key_ref(description: str) -> dict[str, Any]:
    return obj(
        description,
        {
            "name": string("Secret name (same namespace)", min_length=1, max_length=253),
            "key": string("Key within the Secret", min_length=1, max_length=253),
        },
        required=["name", "key"],
    )


def immutable(description: str, what: str, why: str, **kw: Any) -> dict[str, Any]:
    message = f"{what} cannot change in place: {why}"
    return string(
        description, min_length=1, max_length=256, rules=[rule("self == oldSelf", message)], **kw
    )


def bigtable() -> dict[str, Any]:
    why = (
        "Heroic's table does not move with it and existing data would be orphaned; "
        "create a new HeroicCluster for the new location"
    )
    return obj(
        "Google Cloud Bigtable metric backend",
        {
            "project": immutable("GCP project", "backends.metrics.bigtable.project", why),
            "instance": immutable(
                "Bigtable instance", "backends.metrics.bigtable.instance", why, default="heroic"
            ),
            "table": string("Table name", default="metrics", min_length=1, max_length=50),
            "profile": string("App profile id", max_length=50),
            "emulatorEndpoint": string("host:port of a Bigtable emulator (tests)", max_length=256),
            "credentialsSecretRef": secret_key_ref(
                "Service account JSON key; without it, application-default credentials "
                "(workload identity) are used"
            ),
        },
        required=["project"],
    )


def cassandra() -> dict[str, Any]:
    return obj(
        "Cassandra (datastax) metric backend",
        {
            "seeds": string_list("Contact points, host[:port] (port 9042)", min_items=1),
            "keyspace": string(
                "Keyspace", default="heroic", pattern=r"^[A-Za-z][A-Za-z0-9_]{0,47}$"
            ),
            "replication": {
                "type": "object",
                "description": "CQL replication map, e.g. {class: NetworkTopologyStrategy, dc1: 3}",
                "additionalProperties": {
                    "x-kubernetes-int-or-string": True,
                    "anyOf": [{"type": "integer"}, {"type": "string"}],
                },
            },
            "consistencyLevel": string(
                "Consistency level",
                default="ONE",
                enum=[
                    "ANY",
                    "ONE",
                    "TWO",
                    "THREE",
                    "QUORUM",
                    "ALL",
                    "LOCAL_QUORUM",
                    "EACH_QUORUM",
                    "SERIAL",
                    "LOCAL_SERIAL",
                    "LOCAL_ONE",
                ],
            ),
            "authentication": obj(
                "Username/password authentication",
                {
                    "username": string("User name", default="cassandra", min_length=1),
                    "passwordSecretRef": secret_key_ref("The password"),
                },
                required=["passwordSecretRef"],
            ),
        },
        required=["seeds"],
    )


def _type_rule(block: str, section: str) -> dict[str, Any]:
    return rule(
        f"(self.type == '{block}') == has(self.{block})",
        f"set backends.{section}.{block} exactly when backends.{section}.type is {block}",
    )


def metrics_backend() -> dict[str, Any]:
    return obj(
        "Where data points are stored",
        {
            "type": string(
                "Metric backend", enum=["bigtable", "cassandra", "memory"], default="memory"
            ),
            "bigtable": bigtable(),
            "cassandra": cassandra(),
        },
        rules=[_type_rule("bigtable", "metrics"), _type_rule("cassandra", "metrics")],
        default={"type": "memory"},
    )


def elasticsearch() -> dict[str, Any]:
    index = obj(
        "Index layout",
        {
            "type": string("Index mapping", enum=["rotating", "single"], default="rotating"),
            "pattern": string("Rotating index pattern, e.g. heroic-%s", max_length=200),
            "interval": string("Rotation interval, e.g. 7d", pattern=r"^\d+(ms|s|m|h|H|d|w)?$"),
            "maxReadIndices": integer("Indices read per query", minimum=1),
            "maxWriteIndices": integer("Indices written", minimum=1),
            "name": string("Index name prefix for type single", max_length=200),
        },
    )
    return obj(
        "An Elasticsearch cluster",
        {
            "clusterRef": string(
                "Name of an entry in spec.elasticsearchClusters (sniffing on)", pattern=SHORT_NAME
            ),
            "seeds": string_list("External hosts, host[:port] (port 9200)", min_items=1),
            "sniff": boolean(
                "Discover the other nodes from the seeds (default: true with "
                "clusterRef, false with seeds)"
            ),
            "index": index,
            "templateName": string("Index template name", max_length=200),
            "scheme": string("http, or https for a cluster with TLS", enum=["http", "https"]),
            "authentication": obj(
                "HTTP basic authentication",
                {
                    "username": string("User name", default="elastic", min_length=1),
                    "passwordSecretRef": secret_key_ref("The password"),
                },
                required=["passwordSecretRef"],
            ),
            "caSecretRef": secret_key_ref(
                "PEM CA bundle that signed the cluster's certificate (https); default: the "
                "image's trust store"
            ),
        },
        rules=[
            rule(
                "has(self.clusterRef) != has(self.seeds)",
                "set exactly one of clusterRef (an entry of spec.elasticsearchClusters) "
                "and seeds (external hosts)",
            )
        ],
    )


def search_backend(section: str) -> dict[str, Any]:
    return obj(
        f"The {section} backend",
        {
            "type": string("Backend", enum=["elasticsearch", "memory"], default="memory"),
            "elasticsearch": elasticsearch(),
        },
        rules=[_type_rule("elasticsearch", section)],
        default={"type": "memory"},
    )


def backends() -> dict[str, Any]:
    return obj(
        "Storage backends",
        {
            "metrics": metrics_backend(),
            "metadata": search_backend("metadata"),
            "suggest": search_backend("suggest"),
        },
        default={},
    )


def elasticsearch_clusters() -> dict[str, Any]:
    item = obj(
        "Elasticsearch pods in this namespace; the operator creates a headless Service "
        "<cluster>-heroic-es-<name> selecting them",
        {
            "name": string(
                "Short name, referenced by clusterRef", pattern=SHORT_NAME, max_length=15
            ),
            "selector": string_map("Labels of the Elasticsearch pods", min_properties=1),
            "httpPort": integer("HTTP port", minimum=1, maximum=65535, default=9200),
            "transportPort": integer("Transport port", minimum=1, maximum=65535, default=9300),
        },
        required=["name", "selector"],
    )
    return map_list("Elasticsearch clusters running in Kubernetes", item, max_items=10)


def kafka_source() -> dict[str, Any]:
    secret_setting = obj(
        "A client setting read from a Secret",
        {
            "key": string("Client setting, e.g. sasl.password", min_length=1, max_length=200),
            "secretKeyRef": secret_key_ref("Where the value is"),
        },
        required=["key", "secretKeyRef"],
    )
    return obj(
        "Consume from Kafka",
        {
            "bootstrapServers": string_list("Brokers, host:port", min_items=1),
            "topics": string_list("Topics", min_items=1),
            "groupId": string("Consumer group id (default <cluster>-<group>)", max_length=200),
            "schema": string("Message schema", enum=list(SCHEMAS), default="Spotify100"),
            "threadsPerTopic": integer("Consumer threads per topic", minimum=1, default=2),
            "config": string_map("Further client settings (not secrets)"),
            "configFromSecrets": {
                "type": "array",
                "maxItems": 20,
                "items": secret_setting,
                "description": "Client settings whose values are Secrets",
            },
            "createTopics": obj(
                "Create missing topics in a configure Job (existing topics are never altered); "
                "unset numbers mean the broker's defaults",
                {
                    "partitions": integer("Partitions of a new topic", minimum=1),
                    "replicationFactor": integer("Replication factor of a new topic", minimum=1),
                },
            ),
        },
        required=["bootstrapServers", "topics"],
    )


def pubsub_source() -> dict[str, Any]:
    return obj(
        "Consume from a Pub/Sub subscription (created by the configure Job)",
        {
            "project": string("GCP project", min_length=1, max_length=100),
            "topic": string("Topic", min_length=1, max_length=255),
            "subscription": string("Subscription", min_length=1, max_length=255),
            "schema": string("Message schema", enum=list(SCHEMAS), default="Spotify100"),
            "endpoint": string("host:port of a Pub/Sub emulator (tests)", max_length=256),
            "threadsPerSubscription": integer("Parallel pulls", minimum=1, default=8),
            "credentialsSecretRef": secret_key_ref(
                "Service account JSON key (else workload "
                "identity / application-default credentials)"
            ),
        },
        required=["project", "topic", "subscription"],
        rules=[
            rule(
                "self.subscription != oldSelf.subscription || self.topic == oldSelf.topic",
                "source.pubsub.topic cannot change for an existing subscription (Pub/Sub binds a "
                "subscription to its topic); also change source.pubsub.subscription to consume "
                "another topic (the old subscription is left untouched)",
            )
        ],
    )


def consumer_source() -> dict[str, Any]:
    return obj(
        "Where the group reads from: exactly one of kafka and pubsub",
        {
            "kafka": kafka_source(),
            "pubsub": pubsub_source(),
        },
        rules=[
            rule(
                "has(self.kafka) != has(self.pubsub)",
                "set exactly one of source.kafka and source.pubsub",
            )
        ],
    )
