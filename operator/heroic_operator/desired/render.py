"""Render each component's heroic.yml from the spec through ``heroic_core.config.HeroicConfig``.

The same model the workloads load validates every rendered file, so a config the operator writes
is one the workloads accept. Also lists which Secrets each component uses (as files or
environment variables). Pure: no Kubernetes calls; must not import anything from
``heroic_core`` but ``heroic_core.config``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from heroic_core.config import ConfigError, HeroicConfig
from heroic_operator import naming
from heroic_operator.errors import InvalidSpec
from heroic_operator.spec import (
    Cluster,
    ConsumerGroup,
    ElasticsearchBackend,
    MetricsBackend,
    SecretKeyRef,
)

HEROIC_PORT = 8080
# libyaml's dumper writes the same text as the pure-Python one, six times faster.
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
SCHEMAS = {
    "Spotify100": "com.spotify.heroic.consumer.schemas.Spotify100",
    "Spotify100Proto": "com.spotify.heroic.consumer.schemas.Spotify100Proto",
}
CASSANDRA_PASSWORD_ENV = "HEROIC_CASSANDRA_PASSWORD"  # noqa: S105 - a variable name, not a value
GOOGLE_CREDENTIALS_ENV = "GOOGLE_APPLICATION_CREDENTIALS"


def elasticsearch_password_env(section: str) -> str:
    """The variable holding the metadata or suggest backend's Elasticsearch password."""
    return f"HEROIC_ELASTICSEARCH_{section.upper()}_PASSWORD"


@dataclass(frozen=True)
class SecretUse:
    """A Secret key a pod needs: as an environment variable (``env``) or a mounted file."""

    ref: SecretKeyRef
    env: str | None = None

    @property
    def path(self) -> str:
        return f"{naming.secret_mount_dir(self.ref.name)}/{self.ref.key}"


@dataclass(frozen=True)
class Rendered:
    """One heroic.yml: the validated model, its text, and what the pod must provide."""

    config: HeroicConfig
    text: str
    secrets: tuple[SecretUse, ...] = ()
    env: tuple[tuple[str, str], ...] = ()


def to_text(config: HeroicConfig) -> str:
    """The file as written into the ConfigMap (wire names, no nulls, stable order)."""
    data = config.model_dump(mode="json", by_alias=True, exclude_none=True)
    return yaml.dump(data, Dumper=_DUMPER, sort_keys=False)


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` merged into a copy of ``base``; mappings merge, anything else replaces."""
    out = copy.deepcopy(dict(base))
    for key, value in override.items():
        current = out.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            out[key] = deep_merge(current, value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def validate(cluster: Cluster, data: Mapping[str, Any], what: str) -> HeroicConfig:
    """``HeroicConfig`` from a merged document; ``InvalidSpec`` (naming ``what``) if invalid."""
    try:
        return HeroicConfig.from_dict(deep_merge(cluster.spec.config, data), f"the {what}")
    except ConfigError as exc:
        raise InvalidSpec(f"spec.config: {exc}", reason="InvalidConfig") from None


# --- backends ---------------------------------------------------------------------------------


def metrics_backend(spec: MetricsBackend, configure: bool = False) -> dict[str, Any]:
    """``metrics.backends[0]`` for the chosen metric backend."""
    if spec.type == "bigtable" and spec.bigtable is not None:
        bt = spec.bigtable
        out: dict[str, Any] = {"type": "bigtable", "project": bt.project}
        out |= {"instance": bt.instance, "table": bt.table, "configure": configure}
        if bt.profile:
            out["profile"] = bt.profile
        if bt.emulator_endpoint:
            out["emulatorEndpoint"] = bt.emulator_endpoint
        if bt.credentials_secret_ref is not None:
            out["credentials"] = {"type": "json", "path": SecretUse(bt.credentials_secret_ref).path}
        return out
    if spec.type == "cassandra" and spec.cassandra is not None:
        cs = spec.cassandra
        schema: dict[str, Any] = {"type": "ng", "keyspace": cs.keyspace}
        if cs.replication:
            schema["replication"] = dict(cs.replication)
        out = {"type": "datastax", "seeds": list(cs.seeds), "schema": schema}
        out |= {"configure": configure, "consistencyLevel": cs.consistency_level}
        if cs.authentication is not None:
            auth = cs.authentication
            out["authentication"] = {
                "type": "plain",
                "username": auth.username,
                "passwordEnv": CASSANDRA_PASSWORD_ENV,
            }
        return out
    return {"type": "memory"}


def metrics_secrets(spec: MetricsBackend) -> tuple[SecretUse, ...]:
    if spec.bigtable is not None and spec.bigtable.credentials_secret_ref is not None:
        return (SecretUse(spec.bigtable.credentials_secret_ref),)
    if spec.cassandra is not None and spec.cassandra.authentication is not None:
        ref = spec.cassandra.authentication.password_secret_ref
        return (SecretUse(ref, env=CASSANDRA_PASSWORD_ENV),)
    return ()


def elasticsearch_seeds(cluster: Cluster, es: ElasticsearchBackend) -> tuple[list[str], bool]:
    """Seeds and sniffing: a referenced in-cluster ES goes through its headless Service."""
    if es.cluster_ref is not None:
        ref = next(c for c in cluster.spec.elasticsearch_clusters if c.name == es.cluster_ref)
        service = naming.elasticsearch_service_name(cluster.name, ref.name)
        host = f"{service}.{cluster.namespace}.svc:{ref.http_port}"
        return [host], True if es.sniff is None else es.sniff
    return list(es.seeds or []), bool(es.sniff)


def search_backend(cluster: Cluster, section: str, configure: bool = False) -> dict[str, Any]:
    """``metadata.backends[0]`` or ``suggest.backends[0]``."""
    spec = getattr(cluster.spec.backends, section)
    es: ElasticsearchBackend | None = spec.elasticsearch
    if spec.type != "elasticsearch" or es is None:
        return {"type": "memory"}
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
    if es.scheme is not None:
        client["scheme"] = es.scheme
    if es.authentication is not None:
        client["authentication"] = {
            "type": "plain",
            "username": es.authentication.username,
            "passwordEnv": elasticsearch_password_env(section),
        }
    if es.ca_secret_ref is not None:
        client["caCertsFile"] = SecretUse(es.ca_secret_ref).path
    out: dict[str, Any] = {"type": "elasticsearch", "configure": configure}
    out["connection"] = {"index": index, "client": client}
    if es.template_name:
        out["templateName"] = es.template_name
    return out


def search_secrets(cluster: Cluster, sections: Sequence[str]) -> tuple[SecretUse, ...]:
    """Secret keys the Elasticsearch backends of ``sections`` need: the password as an
    environment variable, the CA bundle as a mounted file."""
    uses: list[SecretUse] = []
    for section in sections:
        spec = getattr(cluster.spec.backends, section)
        es: ElasticsearchBackend | None = spec.elasticsearch
        if spec.type != "elasticsearch" or es is None:
            continue
        if es.authentication is not None:
            env = elasticsearch_password_env(section)
            uses.append(SecretUse(es.authentication.password_secret_ref, env=env))
        if es.ca_secret_ref is not None:
            uses.append(SecretUse(es.ca_secret_ref))
    return tuple(dict.fromkeys(uses))


# --- consumer sources -------------------------------------------------------------------------


def consumer_source(cluster: Cluster, group: ConsumerGroup) -> dict[str, Any]:
    """``consumers[0]`` for one consumer group."""
    kafka, pubsub = group.source.kafka, group.source.pubsub
    if kafka is not None:
        config = {
            "bootstrap.servers": ",".join(kafka.bootstrap_servers),
            "group.id": kafka.group_id or f"{cluster.name}-{group.name}",
            **kafka.config,
        }
        env = {s.key: naming.env_name("HEROIC_KAFKA", s.key) for s in kafka.config_from_secrets}
        out: dict[str, Any] = {"type": "kafka", "schema": SCHEMAS[kafka.schema_]}
        out |= {"topics": list(kafka.topics), "threadsPerTopic": kafka.threads_per_topic}
        out |= {"config": config, "configEnv": env}
        return out
    assert pubsub is not None  # noqa: S101 - ConsumerSource guarantees one source
    out = {"type": "pubsub", "schema": SCHEMAS[pubsub.schema_], "project": pubsub.project}
    out |= {"topic": pubsub.topic, "subscription": pubsub.subscription}
    out["threadsPerSubscription"] = pubsub.threads_per_subscription
    if pubsub.endpoint:
        out["endpoint"] = pubsub.endpoint
    return out


def source_secrets(
    group: ConsumerGroup,
) -> tuple[tuple[SecretUse, ...], tuple[tuple[str, str], ...]]:
    """Secrets and plain environment variables a consumer group's source needs."""
    kafka, pubsub = group.source.kafka, group.source.pubsub
    if kafka is not None:
        uses = tuple(
            SecretUse(s.secret_key_ref, env=naming.env_name("HEROIC_KAFKA", s.key))
            for s in kafka.config_from_secrets
        )
        return uses, ()
    if pubsub is not None and pubsub.credentials_secret_ref is not None:
        use = SecretUse(pubsub.credentials_secret_ref)
        return (use,), ((GOOGLE_CREDENTIALS_ENV, use.path),)
    return (), ()
