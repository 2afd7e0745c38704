"""The ``metrics:`` section: query limits and the metric backends (bigtable, datastax, memory).

Field names, defaults and ``type`` discriminators are upstream's (reference 8 and 10). Secrets
never need to be written in the file: Bigtable reads credentials from a key file path or the
application-default chain (``GOOGLE_APPLICATION_CREDENTIALS``), Cassandra passwords may come from
``passwordEnv``/``passwordFile`` (our extension). This module only describes configuration.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, ClassVar, Literal

from pydantic import Field, model_validator

from heroic_core.config.common import (
    BackendConfig,
    ConfigModel,
    Duration,
    OptionalLimit,
    duration_default,
)

# --- bigtable -------------------------------------------------------------------------------


class DefaultCredentials(ConfigModel):
    """Application-default credentials (``GOOGLE_APPLICATION_CREDENTIALS``, metadata server)."""

    type: Literal["default"] = "default"


class ComputeEngineCredentials(ConfigModel):
    type: Literal["compute-engine"]


class JsonCredentials(ConfigModel):
    """A service account JSON key file; only its path is in the config."""

    type: Literal["json"]
    path: str


class ServiceAccountCredentials(ConfigModel):
    """A P12 key file for a service account (legacy)."""

    type: Literal["service-account"]
    service_account: str
    key_file: str


BigtableCredentials = Annotated[
    DefaultCredentials | ComputeEngineCredentials | JsonCredentials | ServiceAccountCredentials,
    Field(discriminator="type"),
]

MIN_MUTATION_BATCH_SIZE = 10
MAX_MUTATION_BATCH_SIZE = 100_000


class BigtableMetricConfig(BackendConfig):
    """``type: bigtable`` (reference 8.1)."""

    DEFAULT_GROUP: ClassVar[str] = "bigtable"

    type: Literal["bigtable"]
    project: str
    instance: str = "heroic"
    profile: str | None = None
    table: str = "metrics"
    credentials: BigtableCredentials = Field(default_factory=DefaultCredentials)
    configure: bool = False
    disable_bulk_mutations: bool = False
    flush_interval_seconds: int = Field(default=2, ge=0)
    batch_size: int | None = Field(default=None, ge=1)
    max_write_batch_size: int = 1000
    mutate_rpc_timeout_ms: int | None = Field(default=None, ge=0)
    read_rows_rpc_timeout_ms: int | None = Field(default=None, ge=0)
    short_rpc_timeout_ms: int | None = Field(default=None, ge=0)
    max_scan_timeout_retries: int | None = Field(default=None, ge=0)
    max_elapsed_backoff_ms: int | None = Field(default=None, ge=0)
    emulator_endpoint: str | None = None

    def effective_max_write_batch_size(self) -> int:
        """``maxWriteBatchSize`` clamped to [10, 100000] as upstream does."""
        return min(MAX_MUTATION_BATCH_SIZE, max(MIN_MUTATION_BATCH_SIZE, self.max_write_batch_size))

    def effective_emulator_endpoint(self) -> str | None:
        """``emulatorEndpoint``, else ``BIGTABLE_EMULATOR_HOST`` from the environment."""
        return self.emulator_endpoint or os.environ.get("BIGTABLE_EMULATOR_HOST") or None


# --- datastax -------------------------------------------------------------------------------


class NgSchema(ConfigModel):
    """``schema: {type: ng, keyspace}``; ``replication`` is our optional extension (the CQL
    replication map, default ``{'class': 'SimpleStrategy', 'replication_factor': 3}``)."""

    type: Literal["ng"] = "ng"
    keyspace: str = "heroic"
    replication: dict[str, str | int] | None = None

    def effective_replication(self) -> dict[str, str | int]:
        return self.replication or {"class": "SimpleStrategy", "replication_factor": 3}


class NoAuthentication(ConfigModel):
    type: Literal["none"]


class PlainAuthentication(ConfigModel):
    """Username/password. Give exactly one of ``password``, ``passwordEnv`` (name of an
    environment variable) or ``passwordFile`` (path of a file holding it) — the last two are
    our extension so that the config file holds no secret."""

    type: Literal["plain"]
    username: str = "cassandra"
    password: str | None = Field(default=None, repr=False)
    password_env: str | None = None
    password_file: str | None = None

    @model_validator(mode="after")
    def _one_password_source(self) -> PlainAuthentication:
        given = [x for x in (self.password, self.password_env, self.password_file) if x is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of password, passwordEnv or passwordFile")
        return self

    def resolve_password(self) -> str:
        """The password from whichever source is configured."""
        if self.password is not None:
            return self.password
        if self.password_env is not None:
            value = os.environ.get(self.password_env)
            if value is None:
                raise ValueError(f"environment variable {self.password_env} is not set")
            return value
        assert self.password_file is not None  # noqa: S101 - guaranteed by the validator
        return Path(self.password_file).read_text(encoding="utf-8").rstrip("\r\n")


DatastaxAuthentication = Annotated[
    NoAuthentication | PlainAuthentication, Field(discriminator="type")
]

HostDistance = Literal["LOCAL", "REMOTE", "IGNORED"]
ConsistencyLevel = Literal[
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
]


class DatastaxPoolingOptions(ConfigModel):
    max_requests_per_connection: dict[HostDistance, int] | None = None
    core_connections_per_host: dict[HostDistance, int] | None = None
    max_connections_per_host: dict[HostDistance, int] | None = None
    new_connection_threshold: dict[HostDistance, int] | None = None
    max_queue_size: int | None = None
    pool_timeout_millis: int | None = None
    idle_timeout_seconds: int | None = None
    heartbeat_interval_seconds: int | None = None


class DatastaxMetricConfig(BackendConfig):
    """``type: datastax`` — Cassandra (reference 8.2). ``seeds`` are ``host[:port]`` (9042)."""

    DEFAULT_GROUP: ClassVar[str] = "heroic"

    type: Literal["datastax"]
    seeds: list[str] = Field(default_factory=lambda: ["localhost"], min_length=1)
    schema_: NgSchema = Field(default_factory=NgSchema, alias="schema")
    configure: bool = False
    fetch_size: int = Field(default=5000, ge=1)
    read_timeout: Duration = duration_default("30s")
    consistency_level: ConsistencyLevel = "ONE"
    retry_policy: str | None = None
    authentication: DatastaxAuthentication = Field(
        default_factory=lambda: NoAuthentication(type="none")
    )
    pooling_options: DatastaxPoolingOptions = Field(default_factory=DatastaxPoolingOptions)


# --- memory ---------------------------------------------------------------------------------


class MemoryMetricConfig(BackendConfig):
    """``type: memory`` (reference 8.3)."""

    DEFAULT_GROUP: ClassVar[str] = "memory"

    type: Literal["memory"]
    synchronized_storage: bool = False


MetricBackendConfig = Annotated[
    BigtableMetricConfig | DatastaxMetricConfig | MemoryMetricConfig,
    Field(discriminator="type"),
]


class MetricsConfig(ConfigModel):
    """The ``metrics:`` section. Limits default to unlimited (``None``)."""

    backends: list[MetricBackendConfig] = Field(default_factory=list)
    default_backends: list[str] | None = None
    group_limit: OptionalLimit = None
    series_limit: OptionalLimit = None
    aggregation_limit: OptionalLimit = None
    data_limit: OptionalLimit = None
    concurrent_queries_backoff: OptionalLimit = None
    fetch_parallelism: int = Field(default=100, ge=1)
    fail_on_limits: bool = False
    small_query_threshold: int = Field(default=200_000, ge=0)
    #: Ours: how long a large query waits for a ``concurrentQueriesBackoff`` slot (then 503).
    concurrent_queries_wait: Duration = duration_default("5s")
    mutate_rpc_timeout_ms: int | None = Field(default=None, ge=0)
    read_rows_rpc_timeout_ms: int | None = Field(default=None, ge=0)
    short_rpc_timeout_ms: int | None = Field(default=None, ge=0)
    max_scan_timeout_retries: int | None = Field(default=None, ge=0)
    max_elapsed_backoff_ms: int | None = Field(default=None, ge=0)
