"""``heroic operator``: run the HeroicCluster operator.

Watches one namespace (``--namespace X``), several (repeat it, or ``WATCH_NAMESPACES=a,b``) or
all (the default, or ``--all-namespaces``). Serves ``/healthz``, ``/readyz`` and ``/metrics``
on ``--port``. With ``--leader-elect`` several replicas may run; one reconciles at a time.
Every option can also come from its ``HEROIC_OPERATOR_*`` variable (``OperatorSettings``); the
names the chart and older deployments set (``WATCH_NAMESPACES``, ``POD_NAMESPACE``,
``POD_NAME``) still work. Logs are JSON lines, as the workloads'. Only wires options to
``app.Operator``.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import gc
import logging
import socket
from typing import Annotated, Self

from pydantic import AliasChoices, BeforeValidator, Field, PositiveInt, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from heroic_core.logging import LOG_LEVELS, JsonFormatter, LogLevel, configure_logging
from heroic_operator import metrics, naming
from heroic_operator.process.app import Operator, OperatorConfig
from heroic_operator.reconcile.upgrade import operator_version

#: Loggers with one line per request or per event: never below WARNING.
NOISY_LOGGERS = ("httpx2", "httpx", "kopf.objects")


def _comma_separated(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _env(name: str, *older: str) -> AliasChoices:
    return AliasChoices(f"HEROIC_OPERATOR_{name}", *older)


class OperatorSettings(BaseSettings):
    """Process settings of ``heroic operator``: flags, else ``HEROIC_OPERATOR_*`` variables."""

    model_config = SettingsConfigDict(
        env_prefix="HEROIC_OPERATOR_", env_ignore_empty=True, populate_by_name=True
    )

    # NoDecode: the variables are "a,b", not JSON.
    namespaces: Annotated[list[str], NoDecode, BeforeValidator(_comma_separated)] = Field(
        default_factory=list, validation_alias=_env("NAMESPACES", "WATCH_NAMESPACES")
    )
    all_namespaces: bool = False
    kubeconfig: str | None = None
    port: Annotated[int, Field(ge=0, le=65535)] = 8080
    workers: PositiveInt = 8
    resync_seconds: float = Field(300.0, gt=0)
    federation_status_seconds: float = Field(60.0, gt=0)
    leader_elect: bool = False
    lease_namespace: str | None = Field(
        None, validation_alias=_env("LEASE_NAMESPACE", "POD_NAMESPACE")
    )
    lease_name: str = naming.FIELD_MANAGER
    identity: str = Field(
        default_factory=socket.gethostname,
        validation_alias=_env("IDENTITY", "POD_NAME"),
        description="this replica's name in the Lease (default: the host name)",
    )
    log_level: LogLevel = "INFO"

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.all_namespaces and self.namespaces:
            raise ValueError(
                "use either --namespace (HEROIC_OPERATOR_NAMESPACES, WATCH_NAMESPACES) "
                "or --all-namespaces (HEROIC_OPERATOR_ALL_NAMESPACES)"
            )
        if self.leader_elect and not self.lease_namespace:
            raise ValueError(
                "--leader-elect needs --lease-namespace (HEROIC_OPERATOR_LEASE_NAMESPACE, "
                "POD_NAMESPACE)"
            )
        return self

    def operator_config(self) -> OperatorConfig:
        return OperatorConfig(
            namespaces=[] if self.all_namespaces else list(self.namespaces),
            kubeconfig=self.kubeconfig,
            workers=self.workers,
            resync_seconds=self.resync_seconds,
            federation_status_seconds=self.federation_status_seconds,
            port=self.port,
            leader_election=self.leader_elect,
            lease_namespace=self.lease_namespace,
            lease_name=self.lease_name,
            identity=self.identity,
        )


settings_model = OperatorSettings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``heroic operator``; their defaults and variables are ``OperatorSettings``."""
    # Exclusive: a flag of one also overrides the other's variable (heroic_cli.settings).
    watch = parser.add_mutually_exclusive_group()
    watch.add_argument(
        "--namespace",
        "-n",
        action="append",
        dest="namespaces",
        metavar="NS",
        help="watch this namespace (repeatable; the variables are comma-separated; "
        "default: all namespaces)",
    )
    watch.add_argument(
        "--all-namespaces",
        "-A",
        action="store_true",
        help="watch every namespace (the default without --namespace)",
    )
    parser.add_argument(
        "--kubeconfig", help="kubeconfig file (default: in-cluster, else $KUBECONFIG)"
    )
    parser.add_argument("--port", help="port of /healthz, /readyz and /metrics")
    parser.add_argument("--workers", help="parallel reconciles")
    parser.add_argument("--resync-seconds", help="periodic full reconcile of every cluster")
    parser.add_argument(
        "--federation-status-seconds",
        help="how often a federated cluster's /cluster/status is read into status.federation",
    )
    parser.add_argument(
        "--leader-elect",
        action="store_true",
        help="elect a leader through a Lease (for more than one replica)",
    )
    parser.add_argument("--lease-namespace", help="namespace of the Lease")
    parser.add_argument("--lease-name", help="name of the Lease")
    parser.add_argument("--log-level", help=f"log level: {', '.join(LOG_LEVELS)}")


class OperatorJsonFormatter(JsonFormatter):
    """The workloads' JSON lines, without the ``settings`` object (and its ``k8s_skip`` flag)
    that kopf attaches to every per-object record; ``k8s_ref`` names the object and stays."""

    def format(self, record: logging.LogRecord) -> str:
        if hasattr(record, "settings") or hasattr(record, "k8s_skip"):
            record = copy.copy(record)  # kopf's own handlers still see the original
            vars(record).pop("settings", None)
            vars(record).pop("k8s_skip", None)
        return super().format(record)


def configure_operator_logging(level: str) -> None:
    """JSON lines on stderr, as the workloads log; the noisy loggers at WARNING or above."""
    configure_logging(level)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(OperatorJsonFormatter())
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))


def run(settings: OperatorSettings) -> int:
    """Run the operator until SIGTERM/SIGINT; returns the exit code."""
    configure_operator_logging(settings.log_level)
    version = operator_version()
    metrics.BUILD_INFO.labels(version=version).set(1)
    logging.getLogger("heroic_operator").info("heroic operator %s starting", version)
    tune_garbage_collection()
    asyncio.run(Operator(settings.operator_config()).run())
    return 0


#: Allocations between two collections of the youngest generation (Python's default: 700).
GC_YOUNG_THRESHOLD = 10_000


def tune_garbage_collection() -> None:
    """Keep the cyclic garbage collector off what lives as long as the process: a burst of
    reconciles allocates millions of short-lived objects (decoded JSON, built children), and
    with the defaults each full collection walked every imported module, class and pydantic
    schema again (the collector took ~15 % of the CPU of 100 new clusters). Objects alive now
    are frozen out of collection; young collections run less often (almost everything young
    dies by reference counting, not by the collector)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
