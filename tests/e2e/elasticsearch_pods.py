"""Elasticsearch as a StatefulSet, the way the production guide runs it beside Heroic.

Two (then three) master-eligible data nodes find each other through a headless discovery
Service; Heroic finds them through the headless Service the operator makes for the
HeroicCluster's ``elasticsearchClusters`` entry, with sniffing on. The pods run under the
restricted Pod Security Standard, with their data in emptyDirs (every index keeps a replica, so
a deleted pod loses nothing the others do not hold).
"""

from __future__ import annotations

import base64
import json
import resource
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from tests.e2e.realpods import RESTRICTED_CONTAINER, RESTRICTED_POD, all_ready, wait_or_diagnose

NAME = "es"
DISCOVERY = "es-nodes"
#: The label the examples' elasticsearchClusters select ECK-managed pods by.
SELECTOR = {"elasticsearch.k8s.elastic.co/cluster-name": "heroic-metadata"}


#: Elasticsearch's production bootstrap check wants this many open files.
ES_NOFILE = 65535
SHIM_SOURCE = Path(__file__).with_name("nofile") / "nofile_shim.c"
SHIM_MOUNT = "/opt/nofile-shim"


def nofile_shim() -> dict[str, Any] | None:
    """Where this machine caps open files below Elasticsearch's check (a sandbox without
    CAP_SYS_RESOURCE), a ConfigMap with the shim that reports the check's minimum to the JVM
    (see nofile_shim.c); None where the real limit suffices."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= ES_NOFILE:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        library = Path(tmp) / "libnofile.so"
        subprocess.run(
            ["cc", "-shared", "-fPIC", "-O2", "-o", str(library), str(SHIM_SOURCE), "-ldl"],
            check=True,
            capture_output=True,
        )
        data = base64.b64encode(library.read_bytes()).decode()
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "es-nofile-shim"},
        "binaryData": {"libnofile.so": data},
    }


def manifests(image: str, replicas: int = 2) -> str:
    """The discovery Service and the StatefulSet (and the shim's ConfigMap where this machine
    needs it), as a kubectl list."""
    labels = {"app.kubernetes.io/name": "elasticsearch", **SELECTOR}
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": DISCOVERY},
        "spec": {
            "clusterIP": "None",
            # Nodes must find each other before they are ready (they are ready once they have).
            "publishNotReadyAddresses": True,
            "selector": labels,
            "ports": [{"name": "transport", "port": 9300}, {"name": "http", "port": 9200}],
        },
    }
    seeds = ",".join(f"{NAME}-{i}.{DISCOVERY}" for i in range(3))
    container: dict[str, Any] = {
        "name": "elasticsearch",
        "image": image,
        "imagePullPolicy": "Never",
        "args": [
            "-Enode.name=$(POD_NAME)",
            "-Ecluster.name=heroic-e2e",
            "-Enetwork.bind_host=0.0.0.0",
            "-Enetwork.publish_host=$(POD_IP)",
            f"-Ediscovery.seed_hosts={seeds}",
            f"-Ecluster.initial_master_nodes={NAME}-0,{NAME}-1",
            "-Epath.data=/data",
            "-Epath.logs=/logs",
            "-Ecluster.routing.allocation.disk.threshold_enabled=false",
        ],
        "env": [
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
            {"name": "ES_JAVA_OPTS", "value": "-Xms256m -Xmx256m -XX:TieredStopAtLevel=1"},
        ],
        "ports": [
            {"name": "http", "containerPort": 9200},
            {"name": "transport", "containerPort": 9300},
        ],
        "readinessProbe": {
            "httpGet": {"path": "/_cluster/health?local=true", "port": 9200},
            "periodSeconds": 3,
            "failureThreshold": 3,
        },
        "resources": {"requests": {"cpu": "50m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}},
        "securityContext": RESTRICTED_CONTAINER,
        "volumeMounts": [
            {"name": "data", "mountPath": "/data"},
            {"name": "logs", "mountPath": "/logs"},
            {"name": "tmp", "mountPath": "/tmp"},  # noqa: S108 - the pod's own emptyDir
        ],
    }
    statefulset = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": NAME},
        "spec": {
            "serviceName": DISCOVERY,
            "replicas": replicas,
            "podManagementPolicy": "Parallel",
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "securityContext": {**RESTRICTED_POD, "runAsUser": 1000, "fsGroup": 1000},
                    "terminationGracePeriodSeconds": 10,
                    "containers": [container],
                    "volumes": [
                        {"name": "data", "emptyDir": {}},
                        {"name": "logs", "emptyDir": {}},
                        {"name": "tmp", "emptyDir": {}},
                    ],
                },
            },
        },
    }
    items = [service, statefulset]
    shim = nofile_shim()
    if shim is not None:
        items.insert(0, shim)
        pod = statefulset["spec"]["template"]["spec"]  # type: ignore[index]
        pod["volumes"].append({"name": "nofile-shim", "configMap": {"name": "es-nofile-shim"}})
        container["volumeMounts"].append({"name": "nofile-shim", "mountPath": SHIM_MOUNT})
        container["env"].append({"name": "LD_PRELOAD", "value": f"{SHIM_MOUNT}/libnofile.so"})
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": items})


def selector() -> str:
    return ",".join(f"{k}={v}" for k, v in SELECTOR.items())


def wait_ready(namespace: str, count: int) -> None:
    """``count`` Elasticsearch pods Ready (their diagnosis on a timeout)."""
    wait_or_diagnose(
        f"{count} Elasticsearch pods Ready",
        lambda: all_ready(namespace, selector(), count),
        namespace,
        selector(),
        timeout=300,
    )
