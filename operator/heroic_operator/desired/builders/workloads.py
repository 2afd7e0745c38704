"""Deployments of the API tier and of each consumer group. Pure.

The pod template carries ``heroic.dev/config-hash`` (the rendered heroic.yml) and
``heroic.dev/secrets-hash`` (the referenced Secrets' contents), so either change rolls the pods
once. ``replicas`` is left out when an HPA owns it. The API runs one worker process per whole
CPU of its container (``heroic api --workers``).
"""

from __future__ import annotations

from typing import Any

from heroic_operator import naming
from heroic_operator.desired.builders.common import (
    base_mounts,
    config_volume,
    metadata,
    pod_template,
    secret_mounts,
    secret_volumes,
    with_env_and_resources,
)
from heroic_operator.desired.components import Component
from heroic_operator.desired.diff import parse_quantity
from heroic_operator.desired.render import HEROIC_PORT
from heroic_operator.spec import ApiSpec, Cluster


def workload_command(component: Component) -> list[str]:
    role = "api" if component.group is None else "consumer"
    command = ["heroic", role, "--config", naming.CONFIG_FILE]
    workers = api_workers(component) if component.group is None else 1
    return [*command, "--workers", str(workers)] if workers > 1 else command


def api_workers(component: Component) -> int:
    """``spec.api.workers``, else one API process per whole CPU of the container's limit (else
    its request): a process computes on one core. One without a CPU figure, and with memory
    backends, whose data lives inside one process (admission refuses more)."""
    if isinstance(component.tier, ApiSpec) and component.tier.workers is not None:
        return component.tier.workers
    resources = component.tier.resources
    cpu = resources.limits.get("cpu", resources.requests.get("cpu"))
    amount = None if cpu is None else parse_quantity(cpu)
    if amount is None or component.rendered.memory_backends:
        return 1
    return max(1, int(amount))


def service_account_for(cluster: Cluster, component: Component) -> str:
    return naming.fullname(cluster.name, component.name)


def probes(component: Component) -> dict[str, Any]:
    """Readiness and liveness of one role, on the paths its process serves.

    API: ``/readyz`` (the answer of ``/status``: every backend ready) and ``/healthz`` (its
    event loop answers; a process that accepts connections but never answers is restarted).
    Consumer (a small health server, no ``/status``): ``/readyz`` (consuming, and its backends
    accept writes) and ``/healthz`` (the consumption loop is alive)."""
    if component.group is None:
        ready: dict[str, Any] = {"httpGet": {"path": "/readyz", "port": "http"}}
        alive: dict[str, Any] = {"httpGet": {"path": "/healthz", "port": "http"}}
    else:
        ready = {"httpGet": {"path": "/readyz", "port": "http"}}
        alive = {"httpGet": {"path": "/healthz", "port": "http"}}
    return {
        "readinessProbe": {**ready, "periodSeconds": 10},
        "livenessProbe": {**alive, "initialDelaySeconds": 30, "periodSeconds": 20},
    }


def _container(component: Component) -> dict[str, Any]:
    rendered, tier = component.rendered, component.tier
    container: dict[str, Any] = {
        "name": "heroic",
        "command": workload_command(component),
        "ports": [{"name": "http", "containerPort": HEROIC_PORT, "protocol": "TCP"}],
        **probes(component),
        "volumeMounts": [*base_mounts(), *secret_mounts(rendered.secrets)],
    }
    return with_env_and_resources(container, rendered, tier.pod_template.env, tier.resources)


def build_deployment(
    cluster: Cluster, component: Component, *, config_hash: str, secrets_hash: str
) -> dict[str, Any]:
    """The Deployment of one component, mounting its key of the config ConfigMap."""
    name = naming.fullname(cluster.name, component.name)
    volumes = [
        config_volume(naming.config_map_name(cluster.name), naming.config_key(component.name)),
        *secret_volumes(component.rendered.secrets),
    ]
    annotations = {naming.ANNOTATION_CONFIG_HASH: config_hash}
    if component.rendered.secrets:
        annotations[naming.ANNOTATION_SECRETS_HASH] = secrets_hash
    template = pod_template(
        cluster,
        component.name,
        overrides=component.tier.pod_template,
        container=_container(component),
        volumes=volumes,
        service_account=service_account_for(cluster, component),
        annotations=annotations,
    )
    spec: dict[str, Any] = {
        "selector": {"matchLabels": naming.selector_labels(cluster.name, component.name)},
        "template": template,
    }
    if component.tier.autoscaling is None:
        spec = {"replicas": component.tier.replicas, **spec}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata(cluster, name, component.name),
        "spec": spec,
    }
