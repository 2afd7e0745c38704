"""One render step per backend family: each section's config names exactly the Secrets it lists,
and the components and configure targets are assembled from those sections unchanged."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from heroic_operator.desired.backends.metrics import CASSANDRA_PASSWORD_ENV, metrics_section
from heroic_operator.desired.backends.search import search_section, search_sections
from heroic_operator.desired.backends.sources import GOOGLE_CREDENTIALS_ENV, source_section
from heroic_operator.desired.components import components, configure_targets
from heroic_operator.desired.render import SecretUse, Section
from heroic_operator.spec import Cluster, SecretKeyRef

PASSWORD = SecretKeyRef(name="es-credentials", key="password")
CA = SecretKeyRef(name="es-ca", key="ca.crt")
SECURED = {
    "type": "elasticsearch",
    "elasticsearch": {
        "seeds": ["es.example.com:9243"],
        "scheme": "https",
        "authentication": {"passwordSecretRef": PASSWORD.model_dump()},
        "caSecretRef": CA.model_dump(),
    },
}
KAFKA_PASSWORD = SecretKeyRef(name="kafka-credentials", key="password")
TOPICS = {
    "name": "topics",
    "writes": ["metrics"],
    "source": {
        "kafka": {
            "bootstrapServers": ["k:9092"],
            "topics": ["t"],
            "configFromSecrets": [
                {"key": "sasl.password", "secretKeyRef": KAFKA_PASSWORD.model_dump()}
            ],
            "createTopics": {"partitions": 6, "replicationFactor": 3},
        }
    },
}


def _secured(cluster: Callable[..., Cluster], name: str = "full") -> Cluster:
    base = cluster(name).spec.backends.model_dump(by_alias=True, exclude_none=True)
    return cluster(name, backends={**base, "metadata": SECURED, "suggest": SECURED})


def _strings(value: Any, keys: frozenset[str], under: bool = False) -> Iterator[str]:
    """Every string in ``value`` held under one of ``keys`` (at any depth)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, keys, under or key in keys)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, keys, under)
    elif isinstance(value, str) and under:
        yield value


def _sections(cluster: Cluster) -> list[Section]:
    out = [metrics_section(cluster.spec.backends.metrics)]
    out += [search_section(cluster, s) for s in ("metadata", "suggest")]
    out += [source_section(cluster, g, topic_creation=True) for g in cluster.spec.consumers]
    return out


@pytest.mark.parametrize("name", ["full", "cassandra", "memory"])
def test_a_section_lists_exactly_the_secrets_its_config_names(
    cluster: Callable[..., Cluster], name: str
) -> None:
    parsed = _secured(cluster, name)
    for section in _sections(parsed):
        named = set(_strings(dict(section.config), frozenset({"passwordEnv", "configEnv"})))
        files = set(_strings(dict(section.config), frozenset({"caCertsFile", "path"})))
        files |= {value for _, value in section.env}
        assert {u.env for u in section.secrets if u.env is not None} == named
        assert {u.path for u in section.secrets if u.env is None} == files


def test_the_fixtures_exercise_every_kind_of_secret(cluster: Callable[..., Cluster]) -> None:
    # guards the test above against passing on sections that need no Secrets at all
    sections = [s for n in ("full", "cassandra") for s in _sections(_secured(cluster, n))]
    uses = [u for s in sections for u in s.secrets]
    envs = {u.env for u in uses}
    assert {CASSANDRA_PASSWORD_ENV, "HEROIC_ELASTICSEARCH_METADATA_PASSWORD", None} <= envs
    assert any(e is not None and e.startswith("HEROIC_KAFKA_") for e in envs)
    pubsub = [s for s in _sections(cluster("full")) if s.env]
    assert [name for s in pubsub for name, _ in s.env] == [GOOGLE_CREDENTIALS_ENV]


def test_metadata_and_suggest_on_one_elasticsearch_list_a_shared_ca_once(
    cluster: Callable[..., Cluster],
) -> None:
    both = search_sections(_secured(cluster), ["metadata", "suggest"])
    assert both.secrets == (
        SecretUse(PASSWORD, env="HEROIC_ELASTICSEARCH_METADATA_PASSWORD"),
        SecretUse(CA),
        SecretUse(PASSWORD, env="HEROIC_ELASTICSEARCH_SUGGEST_PASSWORD"),
    )
    assert list(both.config) == ["metadata", "suggest"]


def test_the_configure_flag_reaches_the_backend_entry(cluster: Callable[..., Cluster]) -> None:
    parsed = _secured(cluster)
    for configure in (False, True):
        metrics = metrics_section(parsed.spec.backends.metrics, configure=configure)
        search = search_section(parsed, "metadata", configure=configure)
        assert metrics.config["metrics"]["backends"][0]["configure"] is configure
        assert search.config["metadata"]["backends"][0]["configure"] is configure


def test_topic_settings_only_in_the_topic_creation_section(
    cluster: Callable[..., Cluster],
) -> None:
    parsed = cluster("memory", consumers=[TOPICS])
    group = parsed.spec.consumers[0]
    consumer = source_section(parsed, group)
    creation = source_section(parsed, group, topic_creation=True)
    (entry,) = consumer.config["consumers"]
    (created,) = creation.config["consumers"]
    assert created == {**entry, "topicPartitions": 6, "topicReplicationFactor": 3}
    assert not {"topicPartitions", "topicReplicationFactor"} & set(entry)
    assert (
        creation.secrets
        == consumer.secrets
        == (SecretUse(KAFKA_PASSWORD, env="HEROIC_KAFKA_SASL_PASSWORD"),)
    )


def test_a_consumer_file_holds_its_sections_secrets_in_order(
    cluster: Callable[..., Cluster],
) -> None:
    parsed = cluster("full")
    by_name = {c.name: c for c in components(parsed)}
    ps = parsed.spec.consumers[1]
    rendered = by_name["consumer-ps"].rendered
    metrics = metrics_section(parsed.spec.backends.metrics)
    source = source_section(parsed, ps)
    assert rendered.secrets == metrics.secrets + source.secrets
    assert rendered.env == source.env
    # Bigtable and Pub/Sub read one key file: it stays listed twice, because the pod template's
    # Secrets hash is computed over this list and a change would roll these pods on upgrade.
    assert rendered.secrets[0] == rendered.secrets[1]


def test_a_configure_target_reads_what_its_section_lists(cluster: Callable[..., Cluster]) -> None:
    parsed = _secured(cluster)
    by_key = {t.key: t for t in configure_targets(parsed)}
    search = search_sections(parsed, ["metadata", "suggest"], configure=True)
    assert by_key["elasticsearch"].rendered.secrets == search.secrets
    source = source_section(parsed, parsed.spec.consumers[1])
    assert by_key["pubsub-ps"].rendered.secrets == source.secrets
    assert by_key["pubsub-ps"].rendered.env == source.env
    bigtable = metrics_section(parsed.spec.backends.metrics, configure=True)
    assert by_key["bigtable"].rendered.secrets == bigtable.secrets
