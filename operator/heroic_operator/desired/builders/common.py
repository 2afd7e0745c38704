"""Pieces every builder uses: object metadata with owner references, restricted-PSS security
defaults, Secret volumes/env, and the pod template with the user's overrides merged in.

Pure: returns dicts; never calls the API. Builders emit no empty strings, lists or maps where
Kubernetes would drop them, so that the applied object reads back equal (zero-write reconciles).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from heroic_operator import naming
from heroic_operator.desired.render import Rendered, SecretUse
from heroic_operator.errors import InvalidSpec
from heroic_operator.spec import Cluster, PodOverrides, Resources

POD_SECURITY_CONTEXT: dict[str, Any] = {
    "runAsNonRoot": True,
    "runAsUser": 65532,
    "runAsGroup": 65532,
    "fsGroup": 65532,
    "seccompProfile": {"type": "RuntimeDefault"},
}
CONTAINER_SECURITY_CONTEXT: dict[str, Any] = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
}


def owner_reference(cluster: Cluster) -> dict[str, Any]:
    """The controller reference that makes the HeroicCluster's deletion collect the child."""
    return {
        "apiVersion": naming.API_VERSION,
        "kind": naming.KIND,
        "name": cluster.name,
        "uid": cluster.uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }


def metadata(
    cluster: Cluster,
    name: str,
    component: str,
    *,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """``metadata`` of a child: name, namespace, our labels, owner reference."""
    meta: dict[str, Any] = {
        "name": name,
        "namespace": cluster.namespace,
        "labels": {**(labels or {}), **naming.labels(cluster.name, component)},
        "ownerReferences": [owner_reference(cluster)],
    }
    if annotations:
        meta["annotations"] = dict(annotations)
    return meta


def secret_volumes(uses: Sequence[SecretUse]) -> list[dict[str, Any]]:
    """One Secret volume per Secret used as a file, projecting only the referenced keys."""
    keys: dict[str, list[str]] = {}
    for use in uses:
        if use.env is None:
            keys.setdefault(use.ref.name, [])
            if use.ref.key not in keys[use.ref.name]:
                keys[use.ref.name].append(use.ref.key)
    return [
        {
            "name": naming.secret_volume_name(secret),
            "secret": {"secretName": secret, "items": [{"key": k, "path": k} for k in sorted(ks)]},
        }
        for secret, ks in sorted(keys.items())
    ]


def secret_mounts(uses: Sequence[SecretUse]) -> list[dict[str, Any]]:
    names = sorted({u.ref.name for u in uses if u.env is None})
    return [
        {
            "name": naming.secret_volume_name(n),
            "mountPath": naming.secret_mount_dir(n),
            "readOnly": True,
        }
        for n in names
    ]


def container_env(
    uses: Sequence[SecretUse], plain: Sequence[tuple[str, str]], user: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Our variables (Secret-fed and plain), then the user's; a name clash is an error."""
    env: list[dict[str, Any]] = [
        {"name": u.env, "valueFrom": {"secretKeyRef": {"name": u.ref.name, "key": u.ref.key}}}
        for u in uses
        if u.env is not None
    ]
    env += [{"name": name, "value": value} for name, value in plain]
    ours = {e["name"] for e in env}
    for entry in user:
        if entry.get("name") in ours:
            raise InvalidSpec(f"podTemplate.env: {entry.get('name')} is set by the operator")
        env.append({k: v for k, v in entry.items() if v not in (None, "")})
    return env


def with_env_and_resources(
    container: dict[str, Any],
    rendered: Rendered,
    user_env: Sequence[Mapping[str, Any]],
    resources: Resources,
) -> dict[str, Any]:
    """``container`` with its variables (ours, then the user's) and resources, each only if any."""
    env = container_env(rendered.secrets, rendered.env, user_env)
    if env:
        container["env"] = env
    limits = resources.to_kubernetes()
    if limits:
        container["resources"] = limits
    return container


def pod_spec_overrides(overrides: PodOverrides) -> dict[str, Any]:
    """Scheduling fields of the user's pod overrides (only those that are set)."""
    out: dict[str, Any] = {"securityContext": overrides.security_context or POD_SECURITY_CONTEXT}
    if overrides.node_selector:
        out["nodeSelector"] = dict(overrides.node_selector)
    if overrides.tolerations:
        out["tolerations"] = [dict(t) for t in overrides.tolerations]
    if overrides.affinity:
        out["affinity"] = dict(overrides.affinity)
    if overrides.topology_spread_constraints:
        out["topologySpreadConstraints"] = [dict(t) for t in overrides.topology_spread_constraints]
    if overrides.priority_class_name:
        out["priorityClassName"] = overrides.priority_class_name
    return out


def config_volume(config_map: str, key: str) -> dict[str, Any]:
    """The ConfigMap key mounted as ``/etc/heroic/heroic.yml``."""
    items = [{"key": key, "path": "heroic.yml"}]
    return {"name": "config", "configMap": {"name": config_map, "items": items}}


def base_mounts() -> list[dict[str, Any]]:
    return [
        {"name": "config", "mountPath": naming.CONFIG_DIR, "readOnly": True},
        {"name": "tmp", "mountPath": "/tmp"},  # noqa: S108 - a private emptyDir, not the host's /tmp
    ]


def pod_template(
    cluster: Cluster,
    component: str,
    *,
    overrides: PodOverrides,
    container: Mapping[str, Any],
    volumes: Sequence[Mapping[str, Any]],
    service_account: str,
    annotations: Mapping[str, str],
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A pod template: our labels/annotations over the user's, restricted security defaults."""
    spec = cluster.spec
    labels = {**overrides.metadata.labels, **naming.labels(cluster.name, component)}
    meta: dict[str, Any] = {"labels": labels}
    merged_annotations = {**overrides.metadata.annotations, **annotations}
    if merged_annotations:
        meta["annotations"] = merged_annotations
    main = {
        "name": container["name"],
        "image": spec.image,
        "imagePullPolicy": spec.image_pull_policy,
        **container,
        "securityContext": overrides.container_security_context or CONTAINER_SECURITY_CONTEXT,
    }
    pod: dict[str, Any] = {
        "serviceAccountName": overrides.service_account_name or service_account,
        "automountServiceAccountToken": False,
        **pod_spec_overrides(overrides),
        **(extra or {}),
        "containers": [main],
        "volumes": [*volumes, {"name": "tmp", "emptyDir": {}}],
    }
    if spec.image_pull_secrets:
        pod["imagePullSecrets"] = [{"name": s.name} for s in spec.image_pull_secrets]
    return {"metadata": meta, "spec": pod}
