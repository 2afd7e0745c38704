"""``heroic configure [--config FILE] [--only TARGET]...``: create what the config needs.

Bigtable tables and column families, the Cassandra keyspace and table, Elasticsearch index
templates, the Pub/Sub topic and subscription and the Kafka topics. Idempotent: what exists is
reported and left alone, so a second run says "nothing to do". Exit codes are for Kubernetes
Jobs: 0 done, 75 retryable (a backend unreachable or too slow), 78 permanent (invalid
configuration, permission denied); a failure is one line on stderr saying which and why.
This module only wires the command: the backends' work is ``heroic_core.configure``, the
consumers' ``heroic_consumer.provision``. Every option can also come from its
``HEROIC_CONFIGURE_*`` variable (``ConfigureSettings``).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import sys
from collections.abc import Callable, Collection
from typing import Annotated

from pydantic import BeforeValidator, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from heroic_consumer.provision import CONSUMER_TARGETS, consumer_jobs
from heroic_core.backends.errors import BackendError, BackendUnavailableError
from heroic_core.config import ConfigError, HeroicConfig
from heroic_core.configure import (
    BACKEND_TARGETS,
    DEFAULT_TIMEOUT,
    ConfigureReport,
    Step,
    backend_jobs,
    run_jobs,
    select_targets,
)
from heroic_core.errors import HeroicError

EXIT_OK = 0
EXIT_RETRYABLE = 75  # EX_TEMPFAIL
EXIT_PERMANENT = 78  # EX_CONFIG
PREFIX = "heroic configure"
#: What ``--only`` can select, in the order configure visits them.
TARGETS = (*BACKEND_TARGETS, *CONSUMER_TARGETS)


def _comma_separated(value: object) -> object:
    return (
        [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, str)
        else value
    )


class ConfigureSettings(BaseSettings):
    """Process settings of ``heroic configure``: flags, else ``HEROIC_CONFIGURE_*`` variables
    (``HEROIC_CONFIGURE_ONLY`` is comma-separated)."""

    model_config = SettingsConfigDict(env_prefix="HEROIC_CONFIGURE_", env_ignore_empty=True)

    config: str | None = None
    # NoDecode: the variable is "kafka,pubsub", not JSON.
    only: Annotated[list[str], NoDecode, BeforeValidator(_comma_separated)] = Field(
        default_factory=list
    )
    timeout: float = Field(DEFAULT_TIMEOUT, gt=0)
    verbose: bool = False

    @field_validator("only")
    @classmethod
    def _known_targets(cls, only: list[str]) -> list[str]:
        unknown = [target for target in only if target not in TARGETS]
        if unknown:
            raise ValueError(f"unknown {', '.join(unknown)}; choose from {', '.join(TARGETS)}")
        return only


settings_model = ConfigureSettings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``heroic configure``."""
    parser.add_argument("--config", metavar="FILE", help="heroic.yml (default: memory backends)")
    parser.add_argument(
        "--only",
        action="append",
        metavar="TARGET",
        help="configure only this kind of backend (repeatable; default: all): "
        + ", ".join(TARGETS),
    )
    parser.add_argument("--timeout", help="seconds to wait for each backend")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="also list what exists and log details"
    )


async def configure_all(
    config: HeroicConfig,
    only: Collection[str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    on_step: Callable[[Step], None] | None = None,
) -> ConfigureReport:
    """Create what ``config`` needs for the ``only`` targets (default: all): the backends'
    tables, keyspaces and templates, then the consumers' topics and subscriptions."""
    selected = select_targets(only, TARGETS)
    jobs = itertools.chain(
        backend_jobs(config, selected, timeout), consumer_jobs(config, selected, timeout)
    )
    return await run_jobs(jobs, timeout, on_step)


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _fail(kind: str, reason: str, code: int) -> int:
    one_line = " ".join(reason.split())
    sys.stderr.write(f"{PREFIX}: {kind} failure: {one_line}\n")
    sys.stderr.flush()
    return code


def _on_step(verbose: bool) -> Callable[[Step], None]:
    def report(step: Step) -> None:
        for item in step.result.created:
            _say(f"created {item}")
        if verbose:
            for item in step.result.existing:
                _say(f"exists {item}")

    return report


def _summary(report: ConfigureReport) -> str:
    existing = len(report.existing)
    if report.nothing_to_do:
        return f"{PREFIX}: nothing to do ({existing} already exist)"
    return f"{PREFIX}: created {len(report.created)}, {existing} already existed"


def run(settings: ConfigureSettings) -> int:
    """Configure every selected backend; returns 0, 75 (retryable) or 78 (permanent)."""
    logging.basicConfig(
        level=logging.INFO if settings.verbose else logging.CRITICAL,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        config = (
            HeroicConfig.from_file(settings.config) if settings.config else HeroicConfig.default()
        )
    except ConfigError as exc:
        return _fail("permanent", str(exc), EXIT_PERMANENT)
    only = set(settings.only) or None
    report_step = _on_step(settings.verbose)
    try:
        report = asyncio.run(configure_all(config, only, settings.timeout, report_step))
    except BackendError as exc:
        if isinstance(exc, BackendUnavailableError):
            return _fail("retryable", str(exc), EXIT_RETRYABLE)
        return _fail("permanent", str(exc), EXIT_PERMANENT)
    except HeroicError as exc:
        return _fail("permanent", str(exc), EXIT_PERMANENT)
    except Exception as exc:  # noqa: BLE001 - an unexpected failure still gets one clear line
        return _fail("retryable", f"unexpected {type(exc).__name__}: {exc}", EXIT_RETRYABLE)
    _say(_summary(report))
    return EXIT_OK
