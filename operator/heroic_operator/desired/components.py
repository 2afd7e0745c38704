"""The workloads (API tier, one per consumer group) and configure targets of a cluster.

A *component* is a Deployment with its own heroic.yml; a *target* is one configure Job kind
(``bigtable``, ``cassandra``, ``elasticsearch``, ``pubsub-<group>``, ``kafka-<group>``). Each
component lists the targets it must wait for. Both are assembled from the sections the backend
families render (``desired.backends``), each rendered once with the Secrets it needs.
Pure: derived from the spec only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass

from heroic_operator import naming
from heroic_operator.desired.api_settings import api_settings_section
from heroic_operator.desired.backends.metrics import metrics_section
from heroic_operator.desired.backends.search import SEARCH_SECTIONS, search_sections
from heroic_operator.desired.backends.sources import source_section
from heroic_operator.desired.federation import federation_section
from heroic_operator.desired.render import (
    HEROIC_PORT,
    Rendered,
    Section,
    combine,
    deep_merge,
    render,
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


def _backend_targets(cluster: Cluster, writes: tuple[str, ...]) -> list[str]:
    if not cluster.spec.configure.enabled:
        return []
    out: list[str] = []
    metrics_type = cluster.spec.backends.metrics.type
    if "metrics" in writes and metrics_type != "memory":
        out.append(metrics_type)
    backends = cluster.spec.backends
    if any(getattr(backends, s).type == "elasticsearch" for s in SEARCH_SECTIONS if s in writes):
        out.append("elasticsearch")
    return out


def _backends(cluster: Cluster, writes: tuple[str, ...]) -> Section:
    """The metric and search backends a node performing ``writes`` uses, in file order."""
    sections = []
    if "metrics" in writes:
        sections.append(metrics_section(cluster.spec.backends.metrics))
    sections.append(search_sections(cluster, [s for s in SEARCH_SECTIONS if s in writes]))
    return combine(sections)


def api_component(cluster: Cluster) -> Component:
    writes = ("metrics", *SEARCH_SECTIONS)
    backends = _backends(cluster, writes)
    settings = combine(
        [api_settings_section(cluster.spec.api, cluster.spec.config), federation_section(cluster)]
    )
    # deep: the settings add keys inside ``metrics``, beside the backends
    data = deep_merge({"port": HEROIC_PORT, **backends.config}, settings.config)
    node = Section(data, backends.secrets + settings.secrets, backends.env + settings.env)
    rendered = render(cluster, data, node, "API config")
    return Component(
        naming.COMPONENT_API, cluster.spec.api, rendered, tuple(_backend_targets(cluster, writes))
    )


def consumer_component(cluster: Cluster, group: ConsumerGroup) -> Component:
    writes = tuple(group.writes)
    node = combine([_backends(cluster, writes), source_section(cluster, group)])
    data = {"port": HEROIC_PORT, **node.config}
    data["ingestion"] = {
        "updateMetrics": "metrics" in writes,
        "updateMetadata": "metadata" in writes,
        "updateSuggestions": "suggest" in writes,
    }
    rendered = render(cluster, data, node, f"config of consumer group {group.name}")
    targets = _backend_targets(cluster, writes)
    if group.source.pubsub is not None and cluster.spec.configure.enabled:
        targets.append(f"pubsub-{group.name}")
    if creates_topics(group) and cluster.spec.configure.enabled:
        targets.append(f"kafka-{group.name}")
    return Component(naming.consumer_component(group.name), group, rendered, tuple(targets), group)


def creates_topics(group: ConsumerGroup) -> bool:
    return group.source.kafka is not None and group.source.kafka.create_topics is not None


def components(cluster: Cluster) -> list[Component]:
    """The API tier first, then the consumer groups in spec order."""
    return [
        api_component(cluster),
        *(consumer_component(cluster, g) for g in cluster.spec.consumers),
    ]


def _target(cluster: Cluster, key: str, backend: str, section: Section) -> Target:
    """A configure target whose heroic.yml is ``section`` alone."""
    rendered = render(cluster, section.config, section, f"configure config for {key}")
    return Target(key, backend, rendered)


def configure_targets(cluster: Cluster) -> list[Target]:
    """Configure Jobs the spec calls for (none when ``configure.enabled`` is false)."""
    spec = cluster.spec
    if not spec.configure.enabled:
        return []
    out: list[Target] = []
    metrics = spec.backends.metrics
    if metrics.type != "memory":
        section = metrics_section(metrics, configure=True)
        out.append(_target(cluster, metrics.type, metrics.type, section))
    searched = [s for s in SEARCH_SECTIONS if getattr(spec.backends, s).type != "memory"]
    if searched:
        section = search_sections(cluster, searched, configure=True)
        out.append(_target(cluster, "elasticsearch", "elasticsearch", section))
    for group in spec.consumers:
        if group.source.pubsub is not None:
            section = source_section(cluster, group)
            out.append(_target(cluster, f"pubsub-{group.name}", "pubsub", section))
        if creates_topics(group):
            section = source_section(cluster, group, topic_creation=True)
            out.append(_target(cluster, f"kafka-{group.name}", "kafka", section))
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


#: (namespace, name) -> (a digest of the spec, its rendering): one per cluster, replaced when
#: the spec changes, dropped when the cluster is deleted (``forget_rendering``).
_CACHE: dict[tuple[str, str], tuple[bytes, Rendering]] = {}


def render_cluster(cluster: Cluster) -> Rendering:
    """``components`` and ``configure_targets`` of a cluster, memoized on its spec (rendering
    validates every heroic.yml, which is most of a steady-state reconcile's CPU)."""
    key = (cluster.namespace, cluster.name)
    spec = hashlib.blake2b(cluster.spec.model_dump_json().encode(), digest_size=16).digest()
    cached = _CACHE.get(key)
    if cached is not None and cached[0] == spec:
        return cached[1]
    rendering = Rendering(tuple(components(cluster)), tuple(configure_targets(cluster)))
    _CACHE[key] = (spec, rendering)
    return rendering


def forget_rendering(namespace: str, name: str) -> None:
    """The cluster is gone: its rendering is not needed again."""
    _CACHE.pop((namespace, name), None)


def referenced_secrets(cluster: Cluster) -> list[SecretKeyRef]:
    """Every Secret key any component or Job of the cluster uses (deduplicated, sorted)."""
    return render_cluster(cluster).secrets
