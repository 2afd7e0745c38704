"""The ``metadata`` and ``suggest`` sections: Elasticsearch (in-cluster or external) or memory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from heroic_operator import naming
from heroic_operator.desired.render import SecretUse, Section, combine
from heroic_operator.spec import Cluster, ElasticsearchBackend

#: The search sections of heroic.yml, in the order they are written.
SEARCH_SECTIONS = ("metadata", "suggest")


def elasticsearch_password_env(section: str) -> str:
    """The variable holding the metadata or suggest backend's Elasticsearch password."""
    return f"HEROIC_ELASTICSEARCH_{section.upper()}_PASSWORD"


def elasticsearch_api_key_env(section: str) -> str:
    """The variable holding the metadata or suggest backend's Elasticsearch API key."""
    return f"HEROIC_ELASTICSEARCH_{section.upper()}_API_KEY"


def elasticsearch_seeds(cluster: Cluster, es: ElasticsearchBackend) -> tuple[list[str], bool]:
    """Seeds and sniffing: a referenced in-cluster ES goes through its headless Service."""
    if es.cluster_ref is not None:
        ref = next(c for c in cluster.spec.elasticsearch_clusters if c.name == es.cluster_ref)
        service = naming.elasticsearch_service_name(cluster.name, ref.name)
        host = f"{service}.{cluster.namespace}.svc:{ref.http_port}"
        return [host], True if es.sniff is None else es.sniff
    return list(es.seeds or []), bool(es.sniff)


def search_section(cluster: Cluster, section: str, *, configure: bool = False) -> Section:
    """``<section>.backends[0]`` (``metadata`` or ``suggest``): the password as an environment
    variable, the CA bundle as a mounted file."""
    spec = getattr(cluster.spec.backends, section)
    es: ElasticsearchBackend | None = spec.elasticsearch
    if spec.type != "elasticsearch" or es is None:
        return Section({section: {"backends": [{"type": "memory"}]}})
    seeds, sniff = elasticsearch_seeds(cluster, es)
    index: dict[str, Any] = {"type": es.index.type}
    if es.index.type == "single":
        if es.index.name:
            index["index"] = es.index.name
    else:
        optional = {
            "pattern": es.index.pattern,
            "interval": es.index.interval,
            "maxReadIndices": es.index.max_read_indices,
            "maxWriteIndices": es.index.max_write_indices,
        }
        index |= {k: v for k, v in optional.items() if v is not None}
    client: dict[str, Any] = {"type": "rest", "seeds": seeds, "sniff": sniff}
    if es.engine is not None:
        client["engine"] = es.engine
    if es.scheme is not None:
        client["scheme"] = es.scheme
    uses: list[SecretUse] = []
    if es.authentication is not None:
        env = elasticsearch_password_env(section)
        client["authentication"] = {
            "type": "plain",
            "username": es.authentication.username,
            "passwordEnv": env,
        }
        uses.append(SecretUse(es.authentication.password_secret_ref, env=env))
    if es.api_key_secret_ref is not None:
        env = elasticsearch_api_key_env(section)
        client["authentication"] = {"type": "apiKey", "apiKeyEnv": env}
        uses.append(SecretUse(es.api_key_secret_ref, env=env))
    if es.ca_secret_ref is not None:
        ca = SecretUse(es.ca_secret_ref)
        client["caCertsFile"] = ca.path
        uses.append(ca)
    out: dict[str, Any] = {"type": "elasticsearch", "configure": configure}
    out["connection"] = {"index": index, "client": client}
    if es.template_name:
        out["templateName"] = es.template_name
    return Section({section: {"backends": [out]}}, tuple(uses))


def search_sections(
    cluster: Cluster, sections: Sequence[str], *, configure: bool = False
) -> Section:
    """Several search sections at once; a Secret use they share (metadata and suggest on one
    Elasticsearch, one CA bundle) is listed once."""
    joined = combine(search_section(cluster, s, configure=configure) for s in sections)
    return replace(joined, secrets=tuple(dict.fromkeys(joined.secrets)))
