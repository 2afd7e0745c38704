"""``heroic consumer [--config FILE] [...]``: run the consumer node.

The config's ``consumers:`` say where to read (Kafka or Pub/Sub) and which schema; its
``ingestion.update*`` choose the write functions (``--writes`` overrides); the health and
metrics server listens on the config's ``host``/``port`` (``--host``/``--port`` override).
This module only parses arguments and starts ``node.run_node``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os

from heroic_consumer.columns import DEFAULT_SERIES_CACHE_SIZE
from heroic_consumer.indexcache import DEFAULT_TTL
from heroic_consumer.node import NodeOptions, run_node
from heroic_consumer.pipeline import DEFAULT_BATCH_SIZE, PipelineSettings
from heroic_consumer.writer import DEFAULT_CONCURRENCY, Functions
from heroic_core.config import ConfigError, HeroicConfig
from heroic_core.logging import configure_logging

logger = logging.getLogger(__name__)

DEAD_LETTER_ENV = "HEROIC_CONSUMER_DEAD_LETTER_TOPIC"


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _writes(text: str) -> Functions:
    try:
        return Functions.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``heroic consumer``."""
    parser.add_argument(
        "--config", metavar="FILE", default="heroic.yml", help="heroic.yml (default: heroic.yml)"
    )
    parser.add_argument("--host", help="health/metrics bind address (default: the config's host)")
    parser.add_argument(
        "--port", type=int, help="health/metrics port (default: the config's port, 8080)"
    )
    parser.add_argument(
        "--writes",
        metavar="LIST",
        type=_writes,
        help="comma-separated subset of metrics,metadata,suggest "
        "(default: ingestion.updateMetrics/updateMetadata/updateSuggestions)",
    )
    parser.add_argument(
        "--dead-letter-topic",
        default=os.environ.get(DEAD_LETTER_ENV),
        help=f"topic for rejected messages (default: ${DEAD_LETTER_ENV})",
    )
    parser.add_argument(
        "--batch-size",
        type=_positive,
        default=DEFAULT_BATCH_SIZE,
        help=f"messages per fetch/batch (default: {DEFAULT_BATCH_SIZE})",
    )
    parser.add_argument(
        "--max-in-flight",
        type=_positive,
        default=4,
        help="batches written at once before consumption pauses (default: 4)",
    )
    parser.add_argument(
        "--linger-ms",
        type=_positive,
        default=100,
        help="longest wait for a batch to fill, ms (default: 100)",
    )
    parser.add_argument(
        "--write-concurrency",
        type=_positive,
        default=DEFAULT_CONCURRENCY,
        help=f"writers per backend and batch (default: {DEFAULT_CONCURRENCY})",
    )
    parser.add_argument(
        "--index-cache-seconds",
        type=float,
        default=DEFAULT_TTL,
        help="do not re-index a series within this many seconds; 0 disables "
        f"(default: {DEFAULT_TTL:g})",
    )
    parser.add_argument(
        "--series-cache-size",
        type=_positive,
        default=DEFAULT_SERIES_CACHE_SIZE,
        help="series identities remembered per consumer, about 1 KiB each; beyond it the "
        f"oldest are recomputed when seen again (default: {DEFAULT_SERIES_CACHE_SIZE})",
    )
    parser.add_argument("--log-level", default="INFO",
                        help="log level (default: INFO)")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Run the node until stopped; returns the process exit code."""
    configure_logging(args.log_level)
    try:
        config = HeroicConfig.from_file(args.config)
    except ConfigError as exc:
        logger.error("Invalid configuration: %s", exc)
        return 2
    options = NodeOptions(
        config=config,
        host=args.host or config.host,
        port=config.port if args.port is None else args.port,
        functions=args.writes,
        dead_letter_topic=args.dead_letter_topic or None,
        write_concurrency=args.write_concurrency,
        index_cache_seconds=max(args.index_cache_seconds, 0.0),
        series_cache_size=args.series_cache_size,
        pipeline=PipelineSettings(
            batch_size=args.batch_size,
            fetch_timeout=args.linger_ms / 1000,
            max_in_flight=args.max_in_flight,
            stop_timeout=max(config.stop_timeout.millis / 1000, 1.0),
        ),
    )
    return asyncio.run(run_node(options))
