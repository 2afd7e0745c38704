"""Elasticsearch ``connection:`` settings and the ``type: elasticsearch`` metadata and suggest
backends (reference 9, 9.1, 9.2). Describes configuration only; index names are computed by the
Elasticsearch backend module, not here."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, model_validator

from heroic_core.config.common import BackendConfig, ConfigModel, Duration, duration_default
from heroic_core.config.metrics import NoAuthentication, PlainAuthentication
from heroic_core.limits import DEFAULT_NUM_SUGGESTIONS_LIMIT, SUGGESTIONS_LIMIT_CEILING

# --- connection -----------------------------------------------------------------------------


class RotatingIndexConfig(ConfigModel):
    """``index: {type: rotating}``: time-bucketed indices ``pattern % "<type>-<bucket>"``."""

    type: Literal["rotating"] = "rotating"
    interval: Duration = duration_default("7d")
    max_read_indices: int = Field(default=2, ge=1)
    max_write_indices: int = Field(default=1, ge=1)
    support_dynamic_max_read_indices: bool = False
    pattern: str = "heroic-%s"
    settings: dict[str, Any] = Field(default_factory=dict)


class SingleIndexConfig(ConfigModel):
    """``index: {type: single}``: one index ``<index>-<type>`` per document type."""

    type: Literal["single"]
    index: str = "heroic"
    settings: dict[str, Any] = Field(default_factory=dict)


IndexConfig = Annotated[RotatingIndexConfig | SingleIndexConfig, Field(discriminator="type")]


class ElasticsearchPlainAuthentication(PlainAuthentication):
    """HTTP basic authentication; the password from ``password``, ``passwordEnv`` or
    ``passwordFile`` (exactly one)."""

    username: str = Field(default="elastic", min_length=1)


class ElasticsearchApiKeyAuthentication(ConfigModel):
    """An Elasticsearch API key (``Authorization: ApiKey``), the ``encoded`` value that
    ``POST /_security/api_key`` returns; from ``apiKey``, ``apiKeyEnv`` or ``apiKeyFile``
    (exactly one). OpenSearch has no API keys."""

    type: Literal["apiKey"]
    api_key: str | None = Field(default=None, repr=False)
    api_key_env: str | None = None
    api_key_file: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> ElasticsearchApiKeyAuthentication:
        given = [x for x in (self.api_key, self.api_key_env, self.api_key_file) if x is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of apiKey, apiKeyEnv or apiKeyFile")
        return self

    def resolve_api_key(self) -> str:
        """The key from whichever source is configured."""
        if self.api_key is not None:
            return self.api_key
        if self.api_key_env is not None:
            value = os.environ.get(self.api_key_env)
            if value is None:
                raise ValueError(f"environment variable {self.api_key_env} is not set")
            return value
        assert self.api_key_file is not None  # noqa: S101 - guaranteed by the validator
        return Path(self.api_key_file).read_text(encoding="utf-8").strip()


ElasticsearchAuthentication = Annotated[
    NoAuthentication | ElasticsearchPlainAuthentication | ElasticsearchApiKeyAuthentication,
    Field(discriminator="type"),
]

#: The search engine a connection expects; ``auto`` takes whichever answers (both are detected
#: and checked against the supported versions at start either way).
Engine = Literal["auto", "elasticsearch", "opensearch"]
#: Which index templates ``configure`` puts: ``auto`` = composable where the server has them.
TemplateApi = Literal["auto", "composable", "legacy"]


class RestClientConfig(ConfigModel):
    """``client: {type: rest}``: seeds are ``host[:port]`` (port 9200).

    ``engine``, ``scheme``, ``authentication``, ``caCertsFile`` and ``verifyCerts`` are our
    extension (upstream's REST client spoke plain HTTP without credentials to Elasticsearch): a
    secured cluster is reached over HTTPS with basic authentication or an API key, its
    certificate checked against ``caCertsFile`` (a PEM bundle; default: the system's trust
    store)."""

    type: Literal["rest"] = "rest"
    engine: Engine = "auto"
    seeds: list[str] = Field(default_factory=lambda: ["localhost"], min_length=1)
    sniff: bool = False
    sniff_interval: Duration = duration_default("30s")
    scheme: Literal["http", "https"] = "http"
    authentication: ElasticsearchAuthentication = Field(
        default_factory=lambda: NoAuthentication(type="none")
    )
    ca_certs_file: str | None = None
    verify_certs: bool = True


class TransportClientConfig(ConfigModel):
    """``client: {type: transport}`` (deprecated upstream; port 9300)."""

    type: Literal["transport"]
    cluster_name: str = "heroic"
    seeds: list[str] = Field(default_factory=lambda: ["localhost"], min_length=1)
    sniff: bool = False
    node_sampler_interval: str = "30s"


ClientConfig = Annotated[RestClientConfig | TransportClientConfig, Field(discriminator="type")]


class ConnectionConfig(ConfigModel):
    """``connection:``; ``templateName`` overrides the backend's template name; ``templates``
    (our extension) picks composable or legacy index templates (``auto``: composable)."""

    index: IndexConfig = Field(default_factory=RotatingIndexConfig)
    template_name: str | None = None
    templates: TemplateApi = "auto"
    client: ClientConfig = Field(default_factory=RestClientConfig)


# --- backends -------------------------------------------------------------------------------


class _ElasticsearchBackendConfig(BackendConfig):
    DEFAULT_GROUP: ClassVar[str] = "elasticsearch"

    type: Literal["elasticsearch"]
    connection: ConnectionConfig = Field(default_factory=ConnectionConfig)
    writes_per_second: float = Field(default=3000.0, gt=0)
    rate_limit_slow_start_seconds: int = Field(default=0, ge=0)
    write_cache_duration_minutes: int = Field(default=240, ge=0)
    write_cache_concurrency: int = Field(default=4, ge=1)
    write_cache_max_size: int = Field(default=30_000_000, ge=0)
    distributed_cache_srv_record: str = ""
    backend_type: Literal["kv"] = "kv"
    configure: bool = False


class ElasticsearchMetadataConfig(_ElasticsearchBackendConfig):
    """``metadata.backends[]: {type: elasticsearch}`` (reference 9.1)."""

    delete_parallelism: int = Field(default=20, ge=1)
    template_name: str = "heroic-metadata"
    scroll_size: int = Field(default=1000, ge=1)
    index_resource_identifiers: bool = False

    def effective_template_name(self) -> str:
        return self.connection.template_name or self.template_name


class ElasticsearchSuggestConfig(_ElasticsearchBackendConfig):
    """``suggest.backends[]: {type: elasticsearch}`` (reference 9.2)."""

    template_name: str = "heroic-suggest"
    num_suggestions_limit: int = Field(default=DEFAULT_NUM_SUGGESTIONS_LIMIT, ge=0)

    def effective_template_name(self) -> str:
        return self.connection.template_name or self.template_name

    def effective_num_suggestions_limit(self) -> int:
        """``numSuggestionsLimit`` capped at 250 as upstream does."""
        return min(SUGGESTIONS_LIMIT_CEILING, self.num_suggestions_limit)
