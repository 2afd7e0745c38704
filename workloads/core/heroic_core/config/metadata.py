"""The ``metadata:`` and ``suggest:`` sections with their memory backends (reference 9.3, 10).

Describes configuration only. The Elasticsearch backend models live in ``elasticsearch.py``.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from heroic_core.config.common import BackendConfig, ConfigModel
from heroic_core.config.elasticsearch import ElasticsearchMetadataConfig, ElasticsearchSuggestConfig
from heroic_core.limits import DEFAULT_NUM_SUGGESTIONS_LIMIT, SUGGESTIONS_LIMIT_CEILING


class MemoryMetadataConfig(BackendConfig):
    """``metadata.backends[]: {type: memory}``."""

    DEFAULT_GROUP: ClassVar[str] = "memory"

    type: Literal["memory"]
    synchronized_storage: bool = False


class MemorySuggestConfig(BackendConfig):
    """``suggest.backends[]: {type: memory}``; upstream spells the limit
    ``numSuggestionsIntLimit`` here (default 50, capped at 250)."""

    DEFAULT_GROUP: ClassVar[str] = "memory"

    type: Literal["memory"]
    num_suggestions_int_limit: int | None = Field(default=None, ge=0)

    def effective_num_suggestions_limit(self) -> int:
        limit = self.num_suggestions_int_limit
        if limit is None:
            limit = DEFAULT_NUM_SUGGESTIONS_LIMIT
        return min(SUGGESTIONS_LIMIT_CEILING, limit)


MetadataBackendConfig = Annotated[
    ElasticsearchMetadataConfig | MemoryMetadataConfig, Field(discriminator="type")
]
SuggestBackendConfig = Annotated[
    ElasticsearchSuggestConfig | MemorySuggestConfig, Field(discriminator="type")
]


class MetadataConfig(ConfigModel):
    """``metadata: {backends, defaultBackends}``."""

    backends: list[MetadataBackendConfig] = Field(default_factory=list)
    default_backends: list[str] | None = None


class SuggestConfig(ConfigModel):
    """``suggest: {backends, defaultBackends}``."""

    backends: list[SuggestBackendConfig] = Field(default_factory=list)
    default_backends: list[str] | None = None
