"""``spec.backends`` and ``spec.elasticsearchClusters``: where Heroic keeps metrics, metadata
and suggestions. Credentials are Secret references only; nothing here is rendered or applied."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from heroic_operator.spec.common import SecretKeyRef, SpecModel


class BigtableBackend(SpecModel):
    """Bigtable; ``project`` and ``instance`` cannot change once set (no in-place move)."""

    project: str = Field(min_length=1)
    instance: str = Field(default="heroic", min_length=1)
    table: str = Field(default="metrics", min_length=1)
    profile: str | None = None
    emulator_endpoint: str | None = None
    credentials_secret_ref: SecretKeyRef | None = None


class CassandraAuthentication(SpecModel):
    username: str = Field(default="cassandra", min_length=1)
    password_secret_ref: SecretKeyRef


class CassandraBackend(SpecModel):
    seeds: list[str] = Field(min_length=1)
    keyspace: str = Field(default="heroic", pattern=r"^[A-Za-z][A-Za-z0-9_]{0,47}$")
    replication: dict[str, str | int] | None = None
    consistency_level: str = "ONE"
    authentication: CassandraAuthentication | None = None


class MetricsBackend(SpecModel):
    type: Literal["bigtable", "cassandra", "memory"] = "memory"
    bigtable: BigtableBackend | None = None
    cassandra: CassandraBackend | None = None

    @model_validator(mode="after")
    def _matching_block(self) -> MetricsBackend:
        _check_blocks(self.type, {"bigtable": self.bigtable, "cassandra": self.cassandra})
        return self


class ElasticsearchIndex(SpecModel):
    type: Literal["rotating", "single"] = "rotating"
    pattern: str | None = None
    interval: str | None = None
    max_read_indices: int | None = Field(default=None, ge=1)
    max_write_indices: int | None = Field(default=None, ge=1)
    name: str | None = None


class ElasticsearchAuthentication(SpecModel):
    """HTTP basic authentication; the password only as a Secret reference."""

    username: str = Field(default="elastic", min_length=1)
    password_secret_ref: SecretKeyRef


class ElasticsearchBackend(SpecModel):
    """An Elasticsearch cluster: ``clusterRef`` (an entry of ``spec.elasticsearchClusters``,
    sniffing on) or external ``seeds``; optionally HTTPS (``scheme``, ``caSecretRef``) and
    basic ``authentication``."""

    cluster_ref: str | None = None
    seeds: list[str] | None = None
    sniff: bool | None = None
    index: ElasticsearchIndex = Field(default_factory=ElasticsearchIndex)
    template_name: str | None = None
    scheme: Literal["http", "https"] | None = None
    authentication: ElasticsearchAuthentication | None = None
    ca_secret_ref: SecretKeyRef | None = None

    @model_validator(mode="after")
    def _one_source(self) -> ElasticsearchBackend:
        if (self.cluster_ref is None) == (self.seeds is None):
            raise ValueError("set exactly one of clusterRef and seeds")
        return self


class SearchBackend(SpecModel):
    """Metadata or suggest backend."""

    type: Literal["elasticsearch", "memory"] = "memory"
    elasticsearch: ElasticsearchBackend | None = None

    @model_validator(mode="after")
    def _matching_block(self) -> SearchBackend:
        _check_blocks(self.type, {"elasticsearch": self.elasticsearch})
        return self


class Backends(SpecModel):
    metrics: MetricsBackend = Field(default_factory=MetricsBackend)
    metadata: SearchBackend = Field(default_factory=SearchBackend)
    suggest: SearchBackend = Field(default_factory=SearchBackend)


class ElasticsearchCluster(SpecModel):
    """Elasticsearch pods in this namespace; the operator gives them a headless Service."""

    name: str = Field(pattern=r"^[a-z]([-a-z0-9]{0,13}[a-z0-9])?$")
    selector: dict[str, str] = Field(min_length=1)
    http_port: int = Field(default=9200, ge=1, le=65535)
    transport_port: int = Field(default=9300, ge=1, le=65535)


def _check_blocks(chosen: str, blocks: dict[str, object]) -> None:
    for name, block in blocks.items():
        if name == chosen and block is None:
            raise ValueError(f"type is {chosen}: the {name} block is required")
        if name != chosen and block is not None:
            raise ValueError(f"the {name} block is only allowed with type: {name}")
