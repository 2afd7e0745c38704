"""``spec.backends`` and ``spec.elasticsearchClusters``: where Heroic keeps metrics, metadata
and suggestions. Credentials are Secret references only; nothing here is rendered or applied."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from heroic_core.config.metrics import ConsistencyLevel  # one list: the node validates it too
from heroic_operator.spec.common import Entry, SecretKeyRef, SpecModel
from heroic_operator.spec.markers import (
    IntOrString,
    Keywords,
    crd_default,
    immutable,
    rule,
    validations,
)

#: A short DNS label: part of child object names.
SHORT_NAME = r"^[a-z]([-a-z0-9]{0,13}[a-z0-9])?$"

_MOVE = (
    "Heroic's table does not move with it and existing data would be orphaned; "
    "create a new HeroicCluster for the new location"
)


class BigtableBackend(SpecModel):
    """Google Cloud Bigtable metric backend"""

    project: str = Field(
        min_length=1,
        max_length=256,
        json_schema_extra=validations(immutable("backends.metrics.bigtable.project", _MOVE)),
    )
    """GCP project"""
    instance: str = Field(
        default="heroic",
        min_length=1,
        max_length=256,
        json_schema_extra=validations(immutable("backends.metrics.bigtable.instance", _MOVE)),
    )
    """Bigtable instance"""
    table: str = Field(default="metrics", min_length=1, max_length=50)
    """Table name"""
    profile: str | None = Field(default=None, max_length=50)
    """App profile id"""
    emulator_endpoint: str | None = Field(default=None, max_length=256)
    """host:port of a Bigtable emulator (tests)"""
    credentials_secret_ref: SecretKeyRef | None = None
    """Service account JSON key; without it, application-default credentials (workload
    identity) are used"""


class CassandraAuthentication(SpecModel):
    """Username/password authentication"""

    username: str = Field(default="cassandra", min_length=1)
    """User name"""
    password_secret_ref: SecretKeyRef
    """The password"""


class CassandraBackend(SpecModel):
    """Cassandra (datastax) metric backend"""

    seeds: list[Entry] = Field(min_length=1, max_length=64)
    """Contact points, host[:port] (port 9042)"""
    keyspace: str = Field(default="heroic", pattern=r"^[A-Za-z][A-Za-z0-9_]{0,47}$")
    """Keyspace"""
    replication: dict[str, IntOrString] | None = None
    """CQL replication map, e.g. {class: NetworkTopologyStrategy, dc1: 3}"""
    consistency_level: ConsistencyLevel = "ONE"
    """Consistency level"""
    authentication: CassandraAuthentication | None = None


def _type_rule(block: str, section: str) -> Keywords:
    return rule(
        f"(self.type == '{block}') == has(self.{block})",
        f"set backends.{section}.{block} exactly when backends.{section}.type is {block}",
    )


class MetricsBackend(SpecModel):
    """Where data points are stored"""

    model_config = ConfigDict(
        json_schema_extra=validations(
            _type_rule("bigtable", "metrics"), _type_rule("cassandra", "metrics")
        )
    )

    type: Literal["bigtable", "cassandra", "memory"] = "memory"
    """Metric backend"""
    bigtable: BigtableBackend | None = None
    cassandra: CassandraBackend | None = None

    @model_validator(mode="after")
    def _matching_block(self) -> MetricsBackend:
        _check_blocks(self.type, {"bigtable": self.bigtable, "cassandra": self.cassandra})
        return self


class ElasticsearchIndex(SpecModel):
    """Index layout"""

    type: Literal["rotating", "single"] = "rotating"
    """Index mapping"""
    pattern: str | None = Field(default=None, max_length=200)
    """Rotating index pattern, e.g. heroic-%s"""
    interval: str | None = Field(default=None, pattern=r"^\d+(ms|s|m|h|H|d|w)?$")
    """Rotation interval, e.g. 7d"""
    max_read_indices: int | None = Field(default=None, ge=1)
    """Indices read per query"""
    max_write_indices: int | None = Field(default=None, ge=1)
    """Indices written"""
    name: str | None = Field(default=None, max_length=200)
    """Index name prefix for type single"""


class ElasticsearchAuthentication(SpecModel):
    """HTTP basic authentication"""

    username: str = Field(default="elastic", min_length=1)
    """User name"""
    password_secret_ref: SecretKeyRef
    """The password"""


class ElasticsearchBackend(SpecModel):
    """An Elasticsearch or OpenSearch cluster"""

    model_config = ConfigDict(
        json_schema_extra=validations(
            rule(
                "has(self.clusterRef) != has(self.seeds)",
                "set exactly one of clusterRef (an entry of spec.elasticsearchClusters) "
                "and seeds (external hosts)",
            ),
            rule(
                "!(has(self.authentication) && has(self.apiKeySecretRef))",
                "set at most one of authentication and apiKeySecretRef",
            ),
            rule(
                "!(has(self.apiKeySecretRef) && has(self.engine) && self.engine == 'opensearch')",
                "OpenSearch has no API keys: use authentication",
            ),
        )
    )

    engine: Literal["auto", "elasticsearch", "opensearch"] | None = None
    """The search engine the cluster must be: elasticsearch or opensearch (default auto: detected
    at start; either way an unsupported version is refused)"""

    cluster_ref: str | None = Field(default=None, pattern=SHORT_NAME)
    """Name of an entry in spec.elasticsearchClusters (sniffing on)"""
    seeds: list[Entry] | None = Field(default=None, min_length=1, max_length=64)
    """External hosts, host[:port] (port 9200)"""
    sniff: bool | None = None
    """Discover the other nodes from the seeds (default: true with clusterRef, false with
    seeds)"""
    index: ElasticsearchIndex = Field(default_factory=ElasticsearchIndex)
    template_name: str | None = Field(default=None, max_length=200)
    """Index template name"""
    scheme: Literal["http", "https"] | None = None
    """http, or https for a cluster with TLS"""
    authentication: ElasticsearchAuthentication | None = None
    api_key_secret_ref: SecretKeyRef | None = None
    """An Elasticsearch API key (the encoded value that POST /_security/api_key returns), in
    place of authentication"""
    ca_secret_ref: SecretKeyRef | None = None
    """PEM CA bundle that signed the cluster's certificate (https); default: the image's trust
    store"""

    @model_validator(mode="after")
    def _one_source(self) -> ElasticsearchBackend:
        if (self.cluster_ref is None) == (self.seeds is None):
            raise ValueError("set exactly one of clusterRef and seeds")
        if self.authentication is not None and self.api_key_secret_ref is not None:
            raise ValueError("set at most one of authentication and apiKeySecretRef")
        if self.api_key_secret_ref is not None and self.engine == "opensearch":
            raise ValueError("OpenSearch has no API keys: use authentication")
        return self


class SearchBackend(SpecModel):
    # The metadata or suggest backend (the fields of Backends describe which).

    type: Literal["elasticsearch", "memory"] = "memory"
    """Backend"""
    elasticsearch: ElasticsearchBackend | None = None

    @model_validator(mode="after")
    def _matching_block(self) -> SearchBackend:
        _check_blocks(self.type, {"elasticsearch": self.elasticsearch})
        return self


def _search_extra(section: str) -> Keywords:
    return crd_default({"type": "memory"}) | validations(_type_rule("elasticsearch", section))


class Backends(SpecModel):
    """Storage backends"""

    metrics: MetricsBackend = Field(
        default_factory=MetricsBackend, json_schema_extra=crd_default({"type": "memory"})
    )
    metadata: SearchBackend = Field(
        default_factory=SearchBackend, json_schema_extra=_search_extra("metadata")
    )
    """The metadata backend"""
    suggest: SearchBackend = Field(
        default_factory=SearchBackend, json_schema_extra=_search_extra("suggest")
    )
    """The suggest backend"""


class ElasticsearchCluster(SpecModel):
    """Elasticsearch pods in this namespace; the operator creates a headless Service
    <cluster>-heroic-es-<name> selecting them"""

    name: str = Field(pattern=SHORT_NAME, max_length=15)
    """Short name, referenced by clusterRef"""
    selector: dict[str, str] = Field(min_length=1)
    """Labels of the Elasticsearch pods"""
    http_port: int = Field(default=9200, ge=1, le=65535)
    """HTTP port"""
    transport_port: int = Field(default=9300, ge=1, le=65535)
    """Transport port"""


def _check_blocks(chosen: str, blocks: dict[str, object]) -> None:
    for name, block in blocks.items():
        if name == chosen and block is None:
            raise ValueError(f"type is {chosen}: the {name} block is required")
        if name != chosen and block is not None:
            raise ValueError(f"the {name} block is only allowed with type: {name}")
