"""The workloads (API tier, one per consumer group) and configure targets of a cluster.

A *component* is a Deployment with its own heroic.yml; a *target* is one configure Job kind
(``bigtable``, ``cassandra``, ``elasticsearch``, ``pubsub-<group>``). Each component lists the
targets it must wait for. Pure: derived from the spec only.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from heroic_operator import naming
from heroic_operator.desired.render import (
    HEROIC_PORT,
    Rendered,
    SecretUse,
    consumer_source,
    metrics_backend,
    metrics_secrets,
    search_backend,
    search_secrets,
    source_secrets,
    to_text,
    validate,
)
from heroic_operator.spec import Cluster, ConsumerGroup, SecretKeyRef, Tier

CONDITION_TYPES = {
    "bigtable": "BigtableConfigured",
    "cassandra": "CassandraConfigured",
    "elasticsearch": "ElasticsearchConfigured",
    "pubsub": "PubSubConfigured",
    "kafka": "KafkaConfigured",
}


@dataclass(frozen=True)
class Component:
    name: str
    tier: Tier
    rendered: Rendered
    targets: tuple[str, ...]
    group: ConsumerGroup | None = None


@dataclass(frozen=True)
class Target:
    """One configure Job kind; ``backend`` is the ``--only`` argument and the condition's stem."""

    key: str
    backend: str
    rendered: Rendered

    def digest(self, image: str, secret_hashes: Mapping[SecretKeyRef, str]) -> str:
        """Hash of the Job's inputs: image, command, rendered config, Secret contents."""
        inputs = {
            "image": image,
            "command": configure_command(self.backend),
            "config": self.rendered.text,
            "secrets": sorted(
                f"{u.ref.name}/{u.ref.key}={secret_hashes.get(u.ref, '')}"
                for u in self.rendered.secrets
            ),
        }
        return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def configure_command(backend: str) -> list[str]:
    return ["heroic", "configure", "--config", naming.CONFIG_FILE, "--only", backend]


def _uses_search(cluster: Cluster, sections: tuple[str, ...]) -> bool:
    return any(getattr(cluster.spec.backends, s).type == "elasticsearch" for s in sections)


def _backend_targets(cluster: Cluster, writes: tuple[str, ...]) -> list[str]:
    if not cluster.spec.configure.enabled:
        return []
    out: list[str] = []
    metrics_type = cluster.spec.backends.metrics.type
    if "metrics" in writes and metrics_type != "memory":
        out.append(metrics_type)
    if _uses_search(cluster, tuple(s for s in ("metadata", "suggest") if s in writes)):
        out.append("elasticsearch")
    return out


def _node_config(cluster: Cluster, writes: tuple[str, ...]) -> dict[str, Any]:
    """Backends for the given writes, as heroic.yml sections."""
    data: dict[str, Any] = {"port": HEROIC_PORT}
    if "metrics" in writes:
        data["metrics"] = {"backends": [metrics_backend(cluster.spec.backends.metrics)]}
    for section in ("metadata", "suggest"):
        if section in writes:
            data[section] = {"backends": [search_backend(cluster, section)]}
    return data


def api_component(cluster: Cluster) -> Component:
    writes = ("metrics", "metadata", "suggest")
    config = validate(cluster, _node_config(cluster, writes), "API config")
    secrets = metrics_secrets(cluster.spec.backends.metrics)
    secrets += search_secrets(cluster, ("metadata", "suggest"))
    rendered = Rendered(config=config, text=to_text(config), secrets=secrets)
    return Component(
        naming.COMPONENT_API, cluster.spec.api, rendered, tuple(_backend_targets(cluster, writes))
    )


def consumer_component(cluster: Cluster, group: ConsumerGroup) -> Component:
    writes = tuple(group.writes)
    data = _node_config(cluster, writes)
    data["consumers"] = [consumer_source(cluster, group)]
    data["ingestion"] = {
        "updateMetrics": "metrics" in writes,
        "updateMetadata": "metadata" in writes,
        "updateSuggestions": "suggest" in writes,
    }
    config = validate(cluster, data, f"config of consumer group {group.name}")
    source_uses, env = source_secrets(group)
    uses = metrics_secrets(cluster.spec.backends.metrics) if "metrics" in writes else ()
    uses += search_secrets(cluster, tuple(s for s in ("metadata", "suggest") if s in writes))
    rendered = Rendered(config=config, text=to_text(config), secrets=uses + source_uses, env=env)
    targets = _backend_targets(cluster, writes)
    if group.source.pubsub is not None and cluster.spec.configure.enabled:
        targets.append(f"pubsub-{group.name}")
    if creates_topics(group) and cluster.spec.configure.enabled:
        targets.append(f"kafka-{group.name}")
    return Component(naming.consumer_component(group.name), group, rendered, tuple(targets), group)


def creates_topics(group: ConsumerGroup) -> bool:
    return group.source.kafka is not None and group.source.kafka.create_topics is not None


def kafka_topics_source(cluster: Cluster, group: ConsumerGroup) -> dict[str, Any]:
    """The group's Kafka consumer config plus the settings new topics are created with (only
    the configure Job sees them, so changing them rolls no consumer pods)."""
    kafka = group.source.kafka
    creation = kafka.create_topics if kafka is not None else None
    out = consumer_source(cluster, group)
    if creation is not None and creation.partitions is not None:
        out["topicPartitions"] = creation.partitions
    if creation is not None and creation.replication_factor is not None:
        out["topicReplicationFactor"] = creation.replication_factor
    return out


def components(cluster: Cluster) -> list[Component]:
    """The API tier first, then the consumer groups in spec order."""
    return [
        api_component(cluster),
        *(consumer_component(cluster, g) for g in cluster.spec.consumers),
    ]


def _target(
    cluster: Cluster,
    *,
    key: str,
    backend: str,
    data: dict[str, Any],
    secrets: tuple[SecretUse, ...] = (),
    env: tuple[tuple[str, str], ...] = (),
) -> Target:
    config = validate(cluster, data, f"configure config for {key}")
    return Target(key, backend, Rendered(config, to_text(config), secrets, env))


def configure_targets(cluster: Cluster) -> list[Target]:
    """Configure Jobs the spec calls for (none when ``configure.enabled`` is false)."""
    spec = cluster.spec
    if not spec.configure.enabled:
        return []
    out: list[Target] = []
    metrics = spec.backends.metrics
    if metrics.type != "memory":
        data: dict[str, Any] = {"metrics": {"backends": [metrics_backend(metrics, configure=True)]}}
        uses = metrics_secrets(metrics)
        kind = metrics.type
        out.append(_target(cluster, key=kind, backend=kind, data=data, secrets=uses))
    sections = [s for s in ("metadata", "suggest") if getattr(spec.backends, s).type != "memory"]
    if sections:
        data = {s: {"backends": [search_backend(cluster, s, configure=True)]} for s in sections}
        uses = search_secrets(cluster, sections)
        target = _target(
            cluster, key="elasticsearch", backend="elasticsearch", data=data, secrets=uses
        )
        out.append(target)
    for group in spec.consumers:
        uses, env = source_secrets(group)
        if group.source.pubsub is not None:
            data = {"consumers": [consumer_source(cluster, group)]}
            key = f"pubsub-{group.name}"
            target = _target(cluster, key=key, backend="pubsub", data=data, secrets=uses, env=env)
            out.append(target)
        if creates_topics(group):
            data = {"consumers": [kafka_topics_source(cluster, group)]}
            key = f"kafka-{group.name}"
            target = _target(cluster, key=key, backend="kafka", data=data, secrets=uses, env=env)
            out.append(target)
    return out


@dataclass(frozen=True)
class Rendering:
    """Everything rendered from one spec: components, configure targets, Secrets used."""

    components: tuple[Component, ...]
    targets: tuple[Target, ...]

    @property
    def secrets(self) -> list[SecretKeyRef]:
        """Every Secret key a component or Job uses (deduplicated, sorted)."""
        refs: set[SecretKeyRef] = set()
        for rendered in [c.rendered for c in self.components] + [t.rendered for t in self.targets]:
            refs.update(u.ref for u in rendered.secrets)
        return sorted(refs, key=lambda r: (r.name, r.key))


_CACHE: OrderedDict[tuple[str, str, str], Rendering] = OrderedDict()
_CACHE_SIZE = 1024


def render_cluster(cluster: Cluster) -> Rendering:
    """``components`` and ``configure_targets`` of a cluster, memoized on its spec (rendering
    validates every heroic.yml, which is most of a steady-state reconcile's CPU)."""
    key = (cluster.namespace, cluster.name, cluster.spec.model_dump_json())
    cached = _CACHE.get(key)
    if cached is not None:
        _CACHE.move_to_end(key)
        return cached
    rendering = Rendering(tuple(components(cluster)), tuple(configure_targets(cluster)))
    _CACHE[key] = rendering
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return rendering


def referenced_secrets(cluster: Cluster) -> list[SecretKeyRef]:
    """Every Secret key any component or Job of the cluster uses (deduplicated, sorted)."""
    return render_cluster(cluster).secrets
