"""``heroic consumer [--config FILE] [...]``: run the consumer node.

The config's ``consumers:`` say where to read (Kafka or Pub/Sub) and which schema; its
``ingestion.update*`` choose the write functions (``--writes`` overrides); the health and
metrics server listens on the config's ``host``/``port`` (``--host``/``--port`` override).
Every option can also come from its ``HEROIC_CONSUMER_*`` variable (``ConsumerSettings``).
This module only declares the options and starts ``node.run_node``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from typing import Annotated

from pydantic import BeforeValidator, Field, PositiveInt
from pydantic_settings import BaseSettings, SettingsConfigDict

from heroic_consumer.indexcache import DEFAULT_TTL
from heroic_consumer.node import NodeOptions, run_node
from heroic_consumer.pipeline import DEFAULT_BATCH_SIZE, PipelineSettings
from heroic_consumer.series_cache import DEFAULT_SERIES_CACHE_SIZE
from heroic_consumer.writer import DEFAULT_CONCURRENCY, Functions
from heroic_core.config import ConfigError, HeroicConfig
from heroic_core.config.audit import log_no_effect
from heroic_core.logging import LOG_LEVELS, LogLevel, configure_logging

logger = logging.getLogger(__name__)

#: "metrics,suggest" -> Functions (the flag and the variable are text).
WriteFunctions = Annotated[
    Functions, BeforeValidator(lambda v: Functions.parse(v) if isinstance(v, str) else v)
]


class ConsumerSettings(BaseSettings):
    """Process settings of ``heroic consumer``: flags, else ``HEROIC_CONSUMER_*`` variables
    (``HEROIC_CONSUMER_DEAD_LETTER_TOPIC`` was read before these settings existed)."""

    model_config = SettingsConfigDict(env_prefix="HEROIC_CONSUMER_", env_ignore_empty=True)

    config: str = "heroic.yml"
    host: str | None = None
    port: Annotated[int, Field(ge=0, le=65535)] | None = None
    writes: WriteFunctions | None = None
    dead_letter_topic: str | None = None
    batch_size: PositiveInt = DEFAULT_BATCH_SIZE
    max_in_flight: PositiveInt = 4
    linger_ms: PositiveInt = 100
    write_concurrency: PositiveInt = DEFAULT_CONCURRENCY
    index_cache_seconds: float = DEFAULT_TTL
    series_cache_size: PositiveInt = DEFAULT_SERIES_CACHE_SIZE
    log_level: LogLevel = "INFO"


settings_model = ConsumerSettings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``heroic consumer``; their defaults and variables are ``ConsumerSettings``."""
    parser.add_argument("--config", metavar="FILE", help="heroic.yml")
    parser.add_argument("--host", help="health/metrics bind address (default: the config's host)")
    parser.add_argument("--port", help="health/metrics port (default: the config's port, 8080)")
    parser.add_argument(
        "--writes",
        metavar="LIST",
        help="comma-separated subset of metrics,metadata,suggest "
        "(default: ingestion.updateMetrics/updateMetadata/updateSuggestions)",
    )
    parser.add_argument("--dead-letter-topic", help="topic for rejected messages (default: none)")
    parser.add_argument("--batch-size", help="messages per fetch/batch")
    parser.add_argument("--max-in-flight", help="batches written at once before consumption pauses")
    parser.add_argument("--linger-ms", help="longest wait for a batch to fill, ms")
    parser.add_argument("--write-concurrency", help="writers per backend and batch")
    parser.add_argument(
        "--index-cache-seconds",
        help="do not re-index a series within this many seconds; 0 disables",
    )
    parser.add_argument(
        "--series-cache-size",
        help="series identities remembered per consumer, about 1 KiB each; beyond it the "
        "oldest are recomputed when seen again",
    )
    parser.add_argument("--log-level", help=f"log level: {', '.join(LOG_LEVELS)}")


def run(settings: ConsumerSettings) -> int:
    """Run the node until stopped; returns the process exit code."""
    configure_logging(settings.log_level)
    try:
        config = HeroicConfig.from_file(settings.config)
    except ConfigError as exc:
        logger.error("Invalid configuration: %s", exc)
        return 2
    log_no_effect(config, logger)
    options = NodeOptions(
        config=config,
        host=settings.host or config.host,
        port=config.port if settings.port is None else settings.port,
        functions=settings.writes,
        dead_letter_topic=settings.dead_letter_topic or None,
        write_concurrency=settings.write_concurrency,
        index_cache_seconds=max(settings.index_cache_seconds, 0.0),
        series_cache_size=settings.series_cache_size,
        pipeline=PipelineSettings(
            batch_size=settings.batch_size,
            fetch_timeout=settings.linger_ms / 1000,
            max_in_flight=settings.max_in_flight,
            stop_timeout=max(config.stop_timeout.millis / 1000, 1.0),
        ),
    )
    return asyncio.run(run_node(options))
