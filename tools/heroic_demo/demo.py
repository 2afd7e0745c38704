"""Bring the whole system up locally and keep it running until Ctrl-C.

As root on Linux it runs on real pods (``realpods.py``): the test environment's real node runs
the operator, API and consumer as containers of our image. Elsewhere (or with
``HEROIC_RUN_MODE=local``) it runs them as local processes beside the control plane:

1. the test environment's Kubernetes control plane (kwok runs the pods), Kafka and kubectl;
2. the HeroicCluster CRD and the operator (``heroic operator``) watching one namespace;
3. a sample HeroicCluster on memory backends, waited for until Ready;
4. a Heroic node (``heroic node``: the API plus a Kafka consumer, sharing memory backends),
   fed with demo metrics produced to Kafka once a second;
5. what to look at, then everything stops cleanly on Ctrl-C (what the demo started, only).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import FrameType

import yaml

from heroic_demo import realpods
from heroic_demo.producer import DemoProducer
from heroic_testenv.paths import REPO_ROOT, run_dir
from heroic_testenv.procs import free_port, log_path, spawn, stop
from heroic_testenv.registry import PROVIDED_BY, resolve
from heroic_testenv.runner import down, up

NAMESPACE = "heroic-demo"
CRD_NAME = "heroicclusters.heroic.dev"
TOPIC = "heroic-demo-metrics"
EXAMPLE = REPO_ROOT / "examples" / "memory.yaml"
HEROIC = str(Path(sys.executable).with_name("heroic"))


def say(text: str) -> None:
    print(f"[run] {text}", flush=True)


def kubectl(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    """Run kubectl against the local control plane; raises with its stderr on failure."""
    proc = subprocess.run(
        [env["KUBECTL"], *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"kubectl {' '.join(args)}: {proc.stderr.strip()}")
    return proc.stdout


def wait_ready(env: dict[str, str], name: str, timeout: float = 180.0) -> float:
    """Wait for the HeroicCluster's Ready condition, printing its reason as it changes."""
    started, last = time.monotonic(), ""
    while time.monotonic() - started < timeout:
        out = kubectl(
            env,
            "get",
            "heroiccluster",
            name,
            "-n",
            NAMESPACE,
            "-o",
            "jsonpath={.status.conditions[?(@.type=='Ready')].status}"
            " {.status.conditions[?(@.type=='Ready')].reason}",
        )
        if out != last:
            say(f"  HeroicCluster {name}: Ready={out or '(no status yet)'}")
            last = out
        if out.startswith("True"):
            return time.monotonic() - started
        time.sleep(1)
    raise RuntimeError(
        f"HeroicCluster {name} not Ready after {timeout:.0f}s; "
        f"see {log_path(run_dir(), 'demo-operator')}"
    )


def node_config(path: Path, servers: str) -> None:
    """heroic.yml for the local node: memory backends, one Kafka consumer of the demo topic."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        yaml.safe_dump(
            {
                "metrics": {"backends": [{"type": "memory"}]},
                "metadata": {"backends": [{"type": "memory"}]},
                "suggest": {"backends": [{"type": "memory"}]},
                "consumers": [
                    {
                        "type": "kafka",
                        "schema": "com.spotify.heroic.consumer.schemas.Spotify100",
                        "topics": [TOPIC],
                        "config": {
                            "bootstrap.servers": servers,
                            "group.id": "heroic-demo",
                            "auto.offset.reset": "earliest",
                        },
                    }
                ],
            },
            sort_keys=False,
        )
    )


def wait_http(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer 200 within {timeout:.0f}s")


def start_system(env: dict[str, str]) -> tuple[int, str, DemoProducer]:
    run = run_dir()
    say("installing the HeroicCluster CRD")
    realpods.install_crd(env, kubectl)
    kubectl(env, "create", "namespace", NAMESPACE, "--dry-run=client", "-o", "yaml")
    kubectl(
        env,
        "apply",
        "-f",
        "-",
        stdin=f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {NAMESPACE}\n",
    )
    say(f"starting the operator (log: {log_path(run, 'demo-operator')})")
    spawn(
        run,
        "demo-operator",
        [HEROIC, "operator", "--namespace", NAMESPACE],
        env={**env, "PYTHONUNBUFFERED": "1"},
    )
    name = yaml.safe_load(EXAMPLE.read_text())["metadata"]["name"]
    say(f"applying {EXAMPLE.relative_to(REPO_ROOT)} (HeroicCluster {name})")
    kubectl(env, "apply", "-n", NAMESPACE, "-f", str(EXAMPLE))
    took = wait_ready(env, name)
    say(f"HeroicCluster {name} is Ready ({took:.1f}s after apply)")
    port = free_port()
    config = run / "demo" / "heroic.yml"
    node_config(config, env["KAFKA_BOOTSTRAP_SERVERS"])
    say(f"starting a Heroic node on http://127.0.0.1:{port} (log: {log_path(run, 'demo-node')})")
    spawn(
        run,
        "demo-node",
        [HEROIC, "node", "--config", str(config), "--host", "127.0.0.1", "--port", str(port)],
        env=env,
    )
    wait_http(f"http://127.0.0.1:{port}/status")
    producer = DemoProducer(env["KAFKA_BOOTSTRAP_SERVERS"], TOPIC)
    producer.start()
    return port, name, producer


def start_real(env: dict[str, str]) -> tuple[int, str, DemoProducer]:
    """The operator, API and consumer as pods on the real node."""
    port = realpods.start(env, kubectl, NAMESPACE, TOPIC, say)
    took = wait_ready(env, realpods.CLUSTER, timeout=300)
    say(f"HeroicCluster {realpods.CLUSTER} is Ready ({took:.0f}s after apply)")
    realpods.port_forward(env, NAMESPACE, port)
    wait_http(f"http://127.0.0.1:{port}/status")
    say(f"the API pod answers on http://127.0.0.1:{port} (kubectl port-forward)")
    producer = DemoProducer(env["KAFKA_BOOTSTRAP_SERVERS"], TOPIC)
    producer.start()
    return port, realpods.CLUSTER, producer


def explain(env: dict[str, str], port: int, name: str, real: bool) -> None:
    base = f"http://127.0.0.1:{port}"
    where = (
        f"""  $KUBECTL get pods -n {NAMESPACE} -o wide            # real containers on heroic-node-0
  $KUBECTL logs -n {NAMESPACE} deployment/{name}-heroic-api
  $KUBECTL exec -n {NAMESPACE} deployment/{name}-heroic-api -- heroic --version"""
        if real
        else f"  $KUBECTL get deploy,svc,cm,job,pods -n {NAMESPACE}   # what the operator made "
        "(kwok runs pods)"
    )
    print(
        f"""
Heroic is running. Try, in another shell:

  eval "$(make -s testenv-env)"
  $KUBECTL get heroiccluster -n {NAMESPACE}            # Ready, reason, API, consumers
  $KUBECTL describe heroiccluster {name} -n {NAMESPACE}
{where}

  curl -s {base}/status
  curl -s -XPOST {base}/metadata/key-suggest -H 'content-type: application/json' \\
       -d '{{"key": "cpu"}}'
  curl -s -XPOST {base}/query/metrics -H 'x-client-id: demo' -H 'content-type: text/plain' \\
       -d 'average(1m) by host from points(10m) where $key = "cpu-usage"'
  curl -s -XPOST {base}/query/metrics -H 'x-client-id: demo' -H 'content-type: text/plain' \\
       -d 'tdigest(1m) by host from distributionPoints(10m) where $key = "request-latency"'
  curl -s {base}/metrics | grep heroic_                # Prometheus metrics
  open {base}/docs                                     # the OpenAPI page

Demo metrics go to Kafka topic {TOPIC} (3 hosts x 2 keys, and a request-latency t-digest per
host, every second); the consumer consumes them. tdigest answers P99/P50/P75 groups per host.
Logs: {run_dir() / "logs"}. Press Ctrl-C to stop.
""",
        flush=True,
    )


def main() -> int:
    def on_signal(signum: int, frame: FrameType | None) -> None:
        """Stop from wherever we are: building, waiting for Ready, or serving."""
        del signum, frame
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    # Ctrl-C too, also where the shell started us with SIGINT ignored (a background job).
    signal.signal(signal.SIGINT, on_signal)
    why_not = realpods.unavailable()
    real = why_not is None
    say(
        "mode: real pods (operator, API and consumer run as containers on a local kubelet)"
        if real
        else f"mode: local processes beside the control plane ({why_not}; kwok plays the kubelet)"
    )
    say(
        "bringing up the local control plane and backends "
        "(the first run builds them: about ten minutes on two cores)"
    )
    names = resolve(realpods.COMPONENTS if real else "kubernetes kafka helm")
    # What the environment already points at (another shell's test environment) is used.
    provided = {n for n in names if os.environ.get(PROVIDED_BY[n])}
    result = up([n for n in names if n not in provided])
    if result.errors:
        return 1
    env = {**{k: v for k, v in os.environ.items() if k.isupper()}, **result.env}
    producer: DemoProducer | None = None
    try:
        port, name, producer = start_real(env) if real else start_system(env)
        explain(env, port, name, real)
        while True:
            time.sleep(10)
            say(f"demo points produced: {producer.sent}")
    except KeyboardInterrupt:
        pass
    except RuntimeError as exc:
        say(f"error: {exc}")
        return 1
    finally:
        say("stopping")
        if producer is not None:
            producer.stop()
        for process in ("demo-node", "demo-operator"):
            stop(run_dir(), process, grace=10)
        if real:
            realpods.stop_all(env, NAMESPACE)
        if result.started:
            down(result.started)
        say("stopped")
    return 0
