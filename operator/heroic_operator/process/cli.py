"""``heroic operator``: run the HeroicCluster operator.

Watches one namespace (``--namespace X``), several (repeat it, or ``WATCH_NAMESPACES=a,b``) or
all (the default, or ``--all-namespaces``). Serves ``/healthz``, ``/readyz`` and ``/metrics``
on ``--port``. With ``--leader-elect`` several replicas may run; one reconciles at a time.
Only wires options to ``app.Operator``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import socket

from heroic_operator import metrics
from heroic_operator.process.app import Operator, OperatorConfig
from heroic_operator.reconcile.upgrade import operator_version


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``heroic operator``."""
    env_namespaces = [n for n in os.environ.get("WATCH_NAMESPACES", "").split(",") if n.strip()]
    parser.add_argument(
        "--namespace",
        "-n",
        action="append",
        dest="namespaces",
        default=None,
        metavar="NS",
        help="watch this namespace (repeatable; default: $WATCH_NAMESPACES)",
    )
    parser.add_argument(
        "--all-namespaces",
        "-A",
        action="store_true",
        help="watch every namespace (the default without --namespace)",
    )
    parser.set_defaults(env_namespaces=env_namespaces)
    parser.add_argument(
        "--kubeconfig", default=None, help="kubeconfig file (default: in-cluster, else $KUBECONFIG)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=8080,
        help="port of /healthz, /readyz and /metrics (default 8080)",
    )
    parser.add_argument("--workers", type=int, default=8, help="parallel reconciles (default 8)")
    parser.add_argument(
        "--resync-seconds",
        type=float,
        default=300.0,
        help="periodic full reconcile of every cluster (default 300)",
    )
    parser.add_argument(
        "--leader-elect",
        action="store_true",
        help="elect a leader through a Lease (for more than one replica)",
    )
    parser.add_argument(
        "--lease-namespace",
        default=os.environ.get("POD_NAMESPACE"),
        help="namespace of the Lease (default: $POD_NAMESPACE)",
    )
    parser.add_argument("--lease-name", default="heroic-operator", help="name of the Lease")
    parser.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="log level",
    )


def config_from_args(args: argparse.Namespace) -> OperatorConfig:
    """The operator's configuration from parsed options."""
    if args.all_namespaces and args.namespaces:
        raise SystemExit("heroic operator: use either --namespace or --all-namespaces")
    namespaces = [] if args.all_namespaces else list(args.namespaces or args.env_namespaces)
    return OperatorConfig(
        namespaces=[n.strip() for n in namespaces],
        kubeconfig=args.kubeconfig,
        workers=args.workers,
        resync_seconds=args.resync_seconds,
        port=args.port,
        leader_election=args.leader_elect,
        lease_namespace=args.lease_namespace,
        lease_name=args.lease_name,
        identity=os.environ.get("POD_NAME") or socket.gethostname(),
    )


def run(args: argparse.Namespace) -> int:
    """Run the operator until SIGTERM/SIGINT; returns the exit code."""
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for noisy in ("httpx2", "httpx", "kopf.objects"):  # one line per request / per event
        logging.getLogger(noisy).setLevel(
            max(logging.WARNING, logging.getLevelName(args.log_level))
        )
    config = config_from_args(args)
    if config.leader_election and not config.lease_namespace:
        raise SystemExit(
            "heroic operator: --leader-elect needs --lease-namespace (or $POD_NAMESPACE)"
        )
    version = operator_version()
    metrics.BUILD_INFO.labels(version=version).set(1)
    logging.getLogger("heroic_operator").info("heroic operator %s starting", version)
    asyncio.run(Operator(config).run())
    return 0
