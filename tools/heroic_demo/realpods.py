"""``make run`` on real pods: the operator, the API and a consumer as containers of our image on
the test environment's real node (root on Linux), against the environment's Kafka, Bigtable
emulator and Elasticsearch, which pods reach at the node's host address.

The chart installs the operator; the demo HeroicCluster keeps points in Bigtable (which also
stores the t-digests) and series in Elasticsearch, so that the API pod answers for what the
consumer pod wrote. The API is reached through ``kubectl port-forward``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from heroic_testenv.crds import wait_established
from heroic_testenv.node.layout import real_node_namespace_annotations, restricted_namespace
from heroic_testenv.paths import REPO_ROOT, run_dir
from heroic_testenv.procs import free_port, log_path, spawn, stop

CRD_NAME = "heroicclusters.heroic.dev"
RELEASE = "heroic"
CLUSTER = "demo"
SMALL = {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"memory": "768Mi"}}
#: What the demo needs of the test environment in this mode.
COMPONENTS = "kubernetes node kafka bigtable elasticsearch helm"


def unavailable() -> str | None:
    """Why real pods cannot run here (None if they can)."""
    if os.environ.get("HEROIC_RUN_MODE") == "local":
        return "HEROIC_RUN_MODE=local"
    if sys.platform != "linux":
        return "not Linux"
    if os.geteuid() != 0:
        return "not root (the real node makes a bridge, iptables rules and cgroups)"
    return None


def cluster_manifest(image: str, env: dict[str, str], topic: str) -> dict[str, Any]:
    """The demo HeroicCluster: Bigtable points, Elasticsearch series, one Kafka consumer."""
    host = env["TESTENV_NODE_HOST_IP"]

    def for_pods(address: str) -> str:
        return f"{host}:{address.rsplit(':', 1)[1]}"

    def search(role: str) -> dict[str, Any]:
        return {
            "type": "elasticsearch",
            "elasticsearch": {
                "seeds": [for_pods(env["ELASTICSEARCH_URL"])],
                "index": {"type": "rotating", "pattern": f"demo-{role}-%s", "interval": "7d"},
            },
        }

    return {
        "apiVersion": "heroic.dev/v1alpha1",
        "kind": "HeroicCluster",
        "metadata": {"name": CLUSTER},
        "spec": {
            "image": image,
            "imagePullPolicy": "Never",
            "api": {"replicas": 1, "resources": SMALL, "disruptionBudget": {"enabled": False}},
            "backends": {
                "metrics": {
                    "type": "bigtable",
                    "bigtable": {
                        "project": "heroic-demo",
                        "instance": "heroic",
                        "table": "metrics",
                        "emulatorEndpoint": for_pods(env["BIGTABLE_EMULATOR_HOST"]),
                    },
                },
                "metadata": search("metadata"),
                "suggest": search("suggest"),
            },
            "consumers": [
                {
                    "name": "demo",
                    "replicas": 1,
                    "resources": SMALL,
                    "writes": ["metrics", "metadata", "suggest"],
                    "source": {
                        "kafka": {
                            "bootstrapServers": [env["KAFKA_POD_BOOTSTRAP_SERVERS"]],
                            "topics": [topic],
                            "groupId": "heroic-demo",
                            "createTopics": {"partitions": 1, "replicationFactor": 1},
                        }
                    },
                }
            ],
        },
    }


def load_image(env: dict[str, str], say: Callable[[str], None]) -> str:
    """Build (first run: a few minutes) and import the heroic image; returns its reference."""
    from heroic_testenv.images import ensure_image  # noqa: PLC0415
    from heroic_testenv.node.containerd import Ctr  # noqa: PLC0415

    say("building the heroic image without Docker (the first run takes a few minutes)")
    image = ensure_image("heroic")
    ctr = Ctr(Path(env["TESTENV_CTR"]), Path(env["CONTAINERD_ADDRESS"]))
    if ctr.import_image(image.archive, image.ref):
        say(f"imported {image.ref} ({image.size_bytes / 2**20:.0f} MiB) into the node")
    return image.ref


def start(
    env: dict[str, str],
    kubectl: Callable[..., str],
    namespace: str,
    topic: str,
    say: Callable[[str], None],
) -> int:
    """Install the chart and the demo cluster as pods; returns the local port that forwards to
    the API Service once the cluster is Ready (waited for by the caller)."""
    image = load_image(env, say)
    install_crd(env, kubectl)
    namespace_json = restricted_namespace(namespace, real_node_namespace_annotations())
    kubectl(env, "apply", "-f", "-", stdin=namespace_json)
    repository, tag = image.rsplit(":", 1)
    say("installing the chart: the operator runs as a pod of that image")
    helm = [env["HELM"], "upgrade", "--install", RELEASE, str(REPO_ROOT / "charts" / "heroic")]
    helm += ["--namespace", namespace, "--set", "crds.install=false"]
    helm += ["--set", f"image.repository={repository}", "--set", f"image.tag={tag}"]
    helm += ["--set", "image.pullPolicy=Never", "--wait", "--timeout=5m"]
    run_checked(helm, env)
    say(f"applying HeroicCluster {CLUSTER} (Bigtable, Elasticsearch, a Kafka consumer)")
    kubectl(
        env,
        "apply",
        "-n",
        namespace,
        "-f",
        "-",
        stdin=json.dumps(cluster_manifest(image, env, topic)),
    )
    return free_port()


def port_forward(env: dict[str, str], namespace: str, port: int) -> None:
    """``kubectl port-forward`` to the API Service, as a process of the run directory."""
    spawn(
        run_dir(),
        "demo-port-forward",
        [
            env["KUBECTL"],
            "port-forward",
            "-n",
            namespace,
            f"service/{CLUSTER}-heroic-api",
            f"{port}:8080",
        ],
        env=env,
    )


def stop_all(env: dict[str, str], namespace: str) -> None:
    """Stop the port-forward and remove what the demo put into the cluster."""
    stop(run_dir(), "demo-port-forward", grace=5)
    if env.get("KUBECTL"):
        run_checked([env["KUBECTL"], "delete", "namespace", namespace, "--wait=false"], env, False)


def run_checked(argv: list[str], env: dict[str, str], check: bool = True) -> None:
    proc = subprocess.run(
        argv, env={**os.environ, **env}, capture_output=True, text=True, check=False
    )
    if check and proc.returncode != 0:
        raise RuntimeError(f"{Path(argv[0]).name} {argv[1]}: {proc.stderr.strip()[-2000:]}")


def log_hint() -> str:
    return str(log_path(run_dir(), "demo-port-forward"))


def install_crd(env: dict[str, str], kubectl: Callable[..., str]) -> None:
    """This checkout's HeroicCluster CRD, applied and Established. Forced: ``make run``
    installs its own CRD over whatever version another tool applied."""
    kubectl(
        env,
        "apply",
        "--server-side",
        "--force-conflicts",
        "--field-manager=heroic-demo",
        "-f",
        str(REPO_ROOT / "crds"),
    )
    wait_established([CRD_NAME], kubectl=env["KUBECTL"], env=env)
