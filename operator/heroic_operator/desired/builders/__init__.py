"""Pure builders: a cluster's desired children as dicts, in apply order.

``build_all(context)`` returns ServiceAccounts, the config ConfigMap, Services (the API's, and
with federation the API pods' headless one), Deployments, PodDisruptionBudgets, HPAs and the
optional PodMonitor, each stamped with ``heroic.dev/desired-hash``. Configure Jobs are built
separately (``builders.jobs``) because they are created once, never re-applied.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from heroic_operator import naming
from heroic_operator.desired.builders.configmap import build_config_map
from heroic_operator.desired.builders.monitoring import build_pod_monitor
from heroic_operator.desired.builders.policy import build_hpa, build_pdb, build_service_account
from heroic_operator.desired.builders.services import (
    build_api_nodes_service,
    build_api_service,
    build_elasticsearch_service,
)
from heroic_operator.desired.builders.workloads import build_deployment, service_account_for
from heroic_operator.desired.components import Component
from heroic_operator.desired.diff import with_desired_hash
from heroic_operator.desired.render import SecretUse
from heroic_operator.spec import Cluster, SecretKeyRef


@dataclass(frozen=True)
class BuildContext:
    """Inputs of one build: the cluster, its components, the ConfigMap data to write, which
    components' Deployments may be applied now, and the referenced Secrets' content hashes."""

    cluster: Cluster
    components: Sequence[Component]
    config_data: Mapping[str, str]
    deployable: frozenset[str]
    secret_hashes: Mapping[SecretKeyRef, str]
    configure_service_account: bool = False


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def secrets_hash(uses: Sequence[SecretUse], hashes: Mapping[SecretKeyRef, str]) -> str:
    """One hash over the contents of the Secret keys a pod uses."""
    parts = sorted(f"{u.ref.name}/{u.ref.key}={hashes.get(u.ref, '')}" for u in uses)
    return text_hash("\n".join(parts))


def _service_accounts(context: BuildContext) -> list[dict[str, Any]]:
    cluster = context.cluster
    out = []
    for component in context.components:
        if component.tier.pod_template.service_account_name is None:
            name = service_account_for(cluster, component)
            annotations = component.tier.service_account_annotations
            out.append(build_service_account(cluster, name, component.name, annotations))
    configure = cluster.spec.configure
    if context.configure_service_account and configure.pod_template.service_account_name is None:
        name = naming.configure_service_account_name(cluster.name)
        annotations = configure.service_account_annotations
        out.append(build_service_account(cluster, name, naming.COMPONENT_CONFIGURE, annotations))
    return out


def _deployments(context: BuildContext) -> list[dict[str, Any]]:
    out = []
    for component in context.components:
        key = naming.config_key(component.name)
        if component.name not in context.deployable or key not in context.config_data:
            continue
        out.append(
            build_deployment(
                context.cluster,
                component,
                config_hash=text_hash(context.config_data[key]),
                secrets_hash=secrets_hash(component.rendered.secrets, context.secret_hashes),
            )
        )
    return out


def build_all(context: BuildContext) -> list[dict[str, Any]]:
    """Every desired child except Jobs, in the order they should be applied."""
    cluster = context.cluster
    objects: list[dict[str, Any] | None] = [
        *_service_accounts(context),
        build_config_map(cluster, context.config_data),
        *(build_elasticsearch_service(cluster, es) for es in cluster.spec.elasticsearch_clusters),
        build_api_service(cluster),
        build_api_nodes_service(cluster),
        *_deployments(context),
    ]
    for component in context.components:
        objects.append(build_pdb(cluster, component.name, component.tier))
        objects.append(build_hpa(cluster, component.name, component.tier))
    objects.append(build_pod_monitor(cluster, [c.name for c in context.components]))
    return [with_desired_hash(obj) for obj in objects if obj is not None]
