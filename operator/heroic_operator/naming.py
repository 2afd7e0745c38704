"""Names, labels and annotation keys of everything the operator creates.

The Helm chart's ``_helpers.tpl`` mirrors ``fullname`` and the selector labels. Kubernetes names
come only from here. This module is pure: no API calls, no spec validation.
"""

from __future__ import annotations

import hashlib

GROUP = "heroic.dev"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
KIND = "HeroicCluster"
PLURAL = "heroicclusters"
FIELD_MANAGER = "heroic-operator"

MAX_NAME = 63

LABEL_NAME = "app.kubernetes.io/name"
LABEL_INSTANCE = "app.kubernetes.io/instance"
LABEL_COMPONENT = "app.kubernetes.io/component"
LABEL_MANAGED_BY = "app.kubernetes.io/managed-by"
LABEL_PART_OF = "app.kubernetes.io/part-of"
LABEL_CONFIGURE_TARGET = f"{GROUP}/configure-target"
LABEL_CONFIGURE_HASH = f"{GROUP}/configure-hash"

APP_NAME = "heroic"
MANAGED_BY = FIELD_MANAGER

ANNOTATION_CONFIG_HASH = f"{GROUP}/config-hash"
ANNOTATION_SECRETS_HASH = f"{GROUP}/secrets-hash"
ANNOTATION_DESIRED_HASH = f"{GROUP}/desired-hash"
ANNOTATION_RETRY_CONFIGURE = f"{GROUP}/retry-configure"
ANNOTATION_ACCEPT_OPERATOR_UPGRADE = f"{GROUP}/accept-operator-upgrade"

COMPONENT_API = "api"
COMPONENT_CONFIG = "config"
COMPONENT_CONFIGURE = "configure"
COMPONENT_MONITORING = "monitoring"
#: Name suffix of the headless Service of a federated cluster's API pods, and its port's name
#: (which names the SRV record).
API_NODES = "api-nodes"
API_NODES_PORT = "http"

CONFIG_DIR = "/etc/heroic"
CONFIG_FILE = f"{CONFIG_DIR}/heroic.yml"
SECRETS_DIR = "/var/run/secrets/heroic"


def short_hash(text: str, length: int = 8) -> str:
    """A short, stable hex digest of ``text`` (sha256 prefix)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def truncate(name: str, limit: int = MAX_NAME) -> str:
    """``name`` cut to ``limit`` characters without a trailing dash (as Helm's ``trunc``)."""
    return name[:limit].rstrip("-")


def fullname(cluster: str, component: str) -> str:
    """``<cluster>-heroic-<component>``, truncated to 63 characters."""
    return truncate(f"{cluster}-{APP_NAME}-{component}")


def cluster_scoped_name(namespace: str, release: str, component: str) -> str:
    """``<namespace>-<release>-heroic-<component>`` for the chart's cluster-scoped objects
    (ClusterRole, ClusterRoleBinding), so that one release name in two namespaces does not
    share them; over 63 characters, a 54-character prefix and 8 hex of the full name's sha256
    (the chart's ``heroic.clusterScopedName``)."""
    full = f"{namespace}-{fullname(release, component)}"
    if len(full) <= MAX_NAME:
        return full
    return f"{full[:54].rstrip('-')}-{hashlib.sha256(full.encode()).hexdigest()[:8]}"


def hashed_name(prefix: str, digest: str) -> str:
    """``<prefix>-<digest>`` where only the prefix is shortened to fit 63 characters."""
    suffix = f"-{digest}"
    return truncate(prefix, MAX_NAME - len(suffix)) + suffix


def consumer_component(group: str) -> str:
    return f"consumer-{group}"


def api_name(cluster: str) -> str:
    return fullname(cluster, COMPONENT_API)


def api_nodes_name(cluster: str) -> str:
    """The headless Service through which a federated cluster's API pods find each other."""
    return fullname(cluster, API_NODES)


def api_nodes_srv_record(cluster: str, namespace: str, cluster_domain: str) -> str:
    """The DNS SRV record of a federated cluster's ready API pods (its headless Service's
    named port): ``_http._tcp.<cluster>-heroic-api-nodes.<namespace>.svc.<domain>``."""
    service = api_nodes_name(cluster)
    return f"_{API_NODES_PORT}._tcp.{service}.{namespace}.svc.{cluster_domain}"


def consumer_name(cluster: str, group: str) -> str:
    return fullname(cluster, consumer_component(group))


def config_map_name(cluster: str) -> str:
    return fullname(cluster, COMPONENT_CONFIG)


def configure_service_account_name(cluster: str) -> str:
    return fullname(cluster, COMPONENT_CONFIGURE)


def elasticsearch_service_name(cluster: str, es_cluster: str) -> str:
    return fullname(cluster, f"es-{es_cluster}")


def configure_job_name(cluster: str, target: str, digest: str) -> str:
    """``<cluster>-heroic-configure-<target>-<hash>``; the hash always survives truncation."""
    return hashed_name(fullname(cluster, f"configure-{target}"), digest[:10])


def config_key(component: str) -> str:
    """The ConfigMap key holding a component's heroic.yml."""
    return f"{component}.yml"


def selector_labels(cluster: str, component: str) -> dict[str, str]:
    """The only labels selectors use: name, instance and component."""
    return {LABEL_NAME: APP_NAME, LABEL_INSTANCE: cluster, LABEL_COMPONENT: component}


def labels(cluster: str, component: str) -> dict[str, str]:
    """Selector labels plus managed-by/part-of, put on every object the operator owns."""
    return {
        **selector_labels(cluster, component),
        LABEL_MANAGED_BY: MANAGED_BY,
        LABEL_PART_OF: APP_NAME,
    }


def owned_selector(cluster: str) -> str:
    """Label selector matching every child of one HeroicCluster."""
    return f"{LABEL_INSTANCE}={cluster},{LABEL_MANAGED_BY}={MANAGED_BY}"


def secret_volume_name(secret: str) -> str:
    """A pod volume name (a DNS label) for a mounted Secret."""
    return truncate(f"secret-{secret}") if len(secret) <= 40 else f"secret-{short_hash(secret, 16)}"


def secret_mount_dir(secret: str) -> str:
    return f"{SECRETS_DIR}/{secret}"


def env_name(prefix: str, key: str) -> str:
    """An environment variable name for a setting key: ``sasl.password`` → ``P_SASL_PASSWORD``."""
    cleaned = "".join(c if c.isalnum() else "_" for c in key.upper())
    return f"{prefix}_{cleaned}"
