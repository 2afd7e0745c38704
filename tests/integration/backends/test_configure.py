"""``heroic configure`` against the real components: create once, then "nothing to do" with the
data written in between intact; a closed port is a retryable failure (exit 75).

Runs the command as a subprocess (the way a Kubernetes Job does) with unique names per test.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from heroic_core.backends.bigtable.backend import BigtableMetricBackend
from heroic_core.backends.cassandra.backend import CassandraMetricBackend
from heroic_core.backends.elasticsearch.metadata import ElasticsearchMetadataBackend
from heroic_core.config import HeroicConfig
from heroic_core.filters import MatchKey
from heroic_core.model import DateRange, Points, Series
from tests.integration.backends.search_engines import SearchEngine, drop, engine_params

SPOTIFY100 = "com.spotify.heroic.consumer.schemas.Spotify100"
POINTS = Points.of([(1000, 1.0), (2000, 2.0)])
SERIES = Series("configure-test", {"host": "a"})


def heroic_configure(
    config: dict[str, Any], tmp_path: Path, *extra: str, env: dict[str, str] | None = None
) -> tuple[int, str]:
    """Run ``heroic configure`` on ``config`` (with ``env`` added to this process's)."""
    path = tmp_path / f"heroic-{uuid.uuid4().hex[:6]}.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "heroic_cli.main", "configure", "--config", str(path), *extra],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env={**os.environ, **(env or {})},
    )
    return proc.returncode, proc.stdout + proc.stderr


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def assert_second_run_has_nothing_to_do(config: dict[str, Any], tmp_path: Path) -> None:
    code, output = heroic_configure(config, tmp_path)
    assert code == 0, output
    assert "nothing to do" in output


def name() -> str:
    return uuid.uuid4().hex[:10]


# --- Bigtable -----------------------------------------------------------------------------


def bigtable_config(table: str, endpoint: str | None = None) -> dict[str, Any]:
    backend = {"type": "bigtable", "project": "heroic-test", "table": table}
    if endpoint:
        backend["emulatorEndpoint"] = endpoint
    return {"metrics": {"backends": [backend]}}


@pytest.mark.bigtable
def test_bigtable_configure_is_idempotent_and_keeps_data(tmp_path: Path) -> None:
    config = bigtable_config(f"cfg-{name()}")
    code, output = heroic_configure(config, tmp_path)
    assert code == 0, output
    assert "created bigtable table" in output
    assert "created bigtable column family" in output
    assert ":points" in output
    backend_config = HeroicConfig.from_dict(config).metrics.backends[0]
    assert backend_config.type == "bigtable"

    async def write() -> None:
        backend = BigtableMetricBackend(backend_config)
        await backend.write(SERIES, POINTS)
        await backend.close()

    async def fetch() -> list[tuple[int, float]]:
        backend = BigtableMetricBackend(backend_config)
        points = await backend.fetch(SERIES, DateRange(0, 10_000))
        await backend.close()
        return [(p.timestamp, p.value) for p in points]

    asyncio.run(write())
    assert_second_run_has_nothing_to_do(config, tmp_path)
    assert asyncio.run(fetch()) == [(1000, 1.0), (2000, 2.0)]


@pytest.mark.bigtable
def test_bigtable_unreachable_is_retryable(tmp_path: Path) -> None:
    config = bigtable_config("t", endpoint=f"127.0.0.1:{closed_port()}")
    code, output = heroic_configure(config, tmp_path, "--timeout", "5")
    assert code == 75, output
    assert output.startswith("heroic configure: retryable failure: bigtable")
    assert len(output.strip().splitlines()) == 1


# --- Cassandra ----------------------------------------------------------------------------


def cassandra_config(keyspace: str, seed: str | None = None) -> dict[str, Any]:
    seeds = [seed or os.environ["CASSANDRA_CONTACT_POINTS"]]
    schema = {
        "type": "ng",
        "keyspace": keyspace,
        "replication": {"class": "SimpleStrategy", "replication_factor": 1},
    }
    return {"metrics": {"backends": [{"type": "datastax", "seeds": seeds, "schema": schema}]}}


@pytest.mark.cassandra
def test_cassandra_configure_is_idempotent_and_keeps_data(tmp_path: Path) -> None:
    keyspace = f"cfg_{name()}"
    config = cassandra_config(keyspace)
    code, output = heroic_configure(config, tmp_path)
    assert code == 0, output
    assert f"created cassandra keyspace {keyspace}" in output
    assert f"created cassandra table {keyspace}.metrics" in output
    backend_config = HeroicConfig.from_dict(config).metrics.backends[0]
    assert backend_config.type == "datastax"

    async def write() -> None:
        backend = CassandraMetricBackend(backend_config)
        await backend.write(SERIES, POINTS)
        await backend.close()

    async def fetch_and_drop() -> list[tuple[int, float]]:
        backend = CassandraMetricBackend(backend_config)
        points = await backend.fetch(SERIES, DateRange(0, 10_000))
        await backend.close()
        return [(p.timestamp, p.value) for p in points]

    asyncio.run(write())
    assert_second_run_has_nothing_to_do(config, tmp_path)
    try:
        assert asyncio.run(fetch_and_drop()) == [(1000, 1.0), (2000, 2.0)]
    finally:
        drop_keyspace(keyspace)


def drop_keyspace(keyspace: str) -> None:
    from cassandra.cluster import Cluster  # noqa: PLC0415 - only with Cassandra up

    host, port = os.environ["CASSANDRA_CONTACT_POINTS"].rsplit(":", 1)
    cluster = Cluster([(host, int(port))])
    try:
        cluster.connect().execute(f"DROP KEYSPACE IF EXISTS {keyspace}")
    finally:
        cluster.shutdown()


@pytest.mark.cassandra
def test_cassandra_unreachable_is_retryable(tmp_path: Path) -> None:
    config = cassandra_config("heroic", seed=f"127.0.0.1:{closed_port()}")
    code, output = heroic_configure(config, tmp_path, "--timeout", "5")
    assert code == 75, output
    assert output.startswith("heroic configure: retryable failure: cassandra")
    assert len(output.strip().splitlines()) == 1


# --- Elasticsearch ------------------------------------------------------------------------


def es_config(
    prefix: str,
    seed: str | None = None,
    *,
    client: dict[str, Any] | None = None,
    suggest: bool = True,
) -> dict[str, Any]:
    connection = {
        "index": {"type": "rotating", "pattern": f"{prefix}-%s"},
        "client": client or {"type": "rest", "seeds": [seed or os.environ["ELASTICSEARCH_URL"]]},
    }
    config: dict[str, Any] = {
        "metadata": {
            "backends": [
                {"type": "elasticsearch", "templateName": f"{prefix}-m", "connection": connection}
            ]
        },
    }
    if suggest:
        backend = {"type": "elasticsearch", "templateName": f"{prefix}-s", "connection": connection}
        config["suggest"] = {"backends": [backend]}
    return config


@pytest.mark.parametrize("engine", engine_params())
def test_elasticsearch_configure_is_idempotent_and_keeps_data(
    tmp_path: Path, engine: SearchEngine
) -> None:
    prefix = f"cfg-{name()}"
    config = es_config(prefix, client=engine.client(), suggest=engine.suggest)
    code, output = heroic_configure(config, tmp_path)
    assert code == 0, output
    templates = [f"{prefix}-m-metadata"]
    templates += [f"{prefix}-s-series", f"{prefix}-s-tag"] if engine.suggest else []
    for template in templates:
        assert f"created elasticsearch template {template}" in output
    backend_config = HeroicConfig.from_dict(config).metadata.backends[0]
    assert backend_config.type == "elasticsearch"

    async def write() -> None:
        backend = ElasticsearchMetadataBackend(backend_config)
        await backend.write(SERIES, DateRange(0, 0))
        await backend.refresh()
        await backend.close()

    async def find() -> tuple[Series, ...]:
        backend = ElasticsearchMetadataBackend(backend_config)
        found = await backend.find_series(MatchKey(SERIES.key), DateRange(0, 0))
        await backend.close()
        return found.series

    asyncio.run(write())
    assert_second_run_has_nothing_to_do(config, tmp_path)
    assert asyncio.run(find()) == (SERIES,)
    asyncio.run(drop(engine, prefix, templates))


@pytest.mark.parametrize("engine", engine_params())
def test_elasticsearch_mapping_conflict_is_a_permanent_failure_naming_index_and_field(
    tmp_path: Path, engine: SearchEngine
) -> None:
    prefix = f"cfg-{name()}"
    index = f"{prefix}-metadata-0"

    async def someone_elses_index() -> None:
        admin = engine.admin()
        body = {"mappings": {"properties": {"tag_keys": {"type": "integer"}}}}
        await admin.request("PUT", f"/{index}", body=body)
        await admin.close()

    asyncio.run(someone_elses_index())
    config = es_config(prefix, client=engine.client(), suggest=False)
    code, output = heroic_configure(config, tmp_path)
    asyncio.run(drop(engine, prefix, [f"{prefix}-m-metadata"]))
    assert code == 78, output
    assert f"existing index {index}" in output
    assert "field 'tag_keys' has type 'integer', heroic needs 'keyword'" in output


@pytest.mark.elasticsearch
def test_elasticsearch_unreachable_is_retryable(tmp_path: Path) -> None:
    config = es_config("unreachable", seed=f"127.0.0.1:{closed_port()}")
    code, output = heroic_configure(config, tmp_path, "--timeout", "5")
    assert code == 75, output
    assert output.startswith("heroic configure: retryable failure: elasticsearch")
    assert len(output.strip().splitlines()) == 1


@pytest.mark.elasticsearch
def test_elasticsearch_transport_client_is_a_permanent_failure(tmp_path: Path) -> None:
    config = es_config("transport")
    config["metadata"]["backends"][0]["connection"]["client"] = {"type": "transport"}
    code, output = heroic_configure(config, tmp_path, "--only", "elasticsearch")
    assert code == 78, output
    assert "permanent failure" in output
    assert "transport" in output


# --- Pub/Sub ------------------------------------------------------------------------------


def pubsub_config(topic: str, endpoint: str | None = None) -> dict[str, Any]:
    consumer = {
        "type": "pubsub",
        "schema": SPOTIFY100,
        "project": os.environ.get("PUBSUB_PROJECT_ID", "heroic-test"),
        "topic": topic,
        "subscription": f"{topic}-sub",
    }
    if endpoint:
        consumer["endpoint"] = endpoint
    return {"consumers": [consumer]}


@pytest.mark.pubsub
def test_pubsub_configure_is_idempotent_and_keeps_messages(tmp_path: Path) -> None:
    from google.cloud.pubsub import PublisherClient, SubscriberClient  # noqa: PLC0415

    topic = f"cfg-{name()}"
    config = pubsub_config(topic)
    code, output = heroic_configure(config, tmp_path)
    assert code == 0, output
    assert "created pubsub topic" in output
    assert "created pubsub subscription" in output
    project = config["consumers"][0]["project"]
    publisher = PublisherClient()
    publisher.publish(publisher.topic_path(project, topic), b"kept").result(timeout=30)

    assert_second_run_has_nothing_to_do(config, tmp_path)
    subscriber = SubscriberClient()
    subscription = subscriber.subscription_path(project, f"{topic}-sub")
    response = subscriber.pull(subscription=subscription, max_messages=10, timeout=30)
    assert [m.message.data for m in response.received_messages] == [b"kept"]
    subscriber.close()


@pytest.mark.pubsub
def test_pubsub_unreachable_is_retryable(tmp_path: Path) -> None:
    config = pubsub_config("t", endpoint=f"127.0.0.1:{closed_port()}")
    code, output = heroic_configure(config, tmp_path, "--timeout", "5")
    assert code == 75, output
    assert output.startswith("heroic configure: retryable failure: pubsub")


# --- Kafka --------------------------------------------------------------------------------


def kafka_config(topic: str, servers: str | None = None) -> dict[str, Any]:
    consumer = {
        "type": "kafka",
        "schema": SPOTIFY100,
        "topics": [topic],
        "config": {
            "bootstrap.servers": servers or os.environ["KAFKA_BOOTSTRAP_SERVERS"],
            "group.id": "heroic",
        },
    }
    return {"consumers": [consumer]}


@pytest.mark.kafka
def test_kafka_configure_is_idempotent_and_keeps_messages(tmp_path: Path) -> None:
    from confluent_kafka import Consumer, Producer  # noqa: PLC0415

    topic = f"cfg-{name()}"
    config = kafka_config(topic)
    code, output = heroic_configure(config, tmp_path)
    assert code == 0, output
    assert f"created kafka topic {topic}" in output
    servers = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    producer = Producer({"bootstrap.servers": servers})
    producer.produce(topic, b"kept")
    assert producer.flush(30) == 0

    assert_second_run_has_nothing_to_do(config, tmp_path)
    consumer = Consumer(
        {"bootstrap.servers": servers, "group.id": name(), "auto.offset.reset": "earliest"}
    )
    consumer.subscribe([topic])
    try:
        message = consumer.poll(30)
        assert message is not None
        assert message.error() is None
        assert message.value() == b"kept"
    finally:
        consumer.close()


@pytest.mark.kafka
def test_kafka_topics_are_created_with_the_configured_partitions(tmp_path: Path) -> None:
    from confluent_kafka.admin import AdminClient  # noqa: PLC0415

    topics = [f"cfg-{name()}", f"cfg-{name()}"]
    config = kafka_config(topics[0])
    config["consumers"][0] |= {"topics": topics, "topicPartitions": 5}
    code, output = heroic_configure(config, tmp_path)
    assert code == 0, output
    admin = AdminClient({"bootstrap.servers": os.environ["KAFKA_BOOTSTRAP_SERVERS"]})
    described = admin.list_topics(timeout=30).topics
    assert [len(described[t].partitions) for t in topics] == [5, 5]

    # An existing topic is never altered: asking for more partitions later changes nothing.
    config["consumers"][0]["topicPartitions"] = 8
    assert_second_run_has_nothing_to_do(config, tmp_path)
    described = admin.list_topics(timeout=30).topics
    assert [len(described[t].partitions) for t in topics] == [5, 5]


@pytest.mark.kafka
def test_kafka_unreachable_is_retryable(tmp_path: Path) -> None:
    config = kafka_config("t", servers=f"127.0.0.1:{closed_port()}")
    code, output = heroic_configure(config, tmp_path, "--timeout", "5")
    assert code == 75, output
    assert output.startswith("heroic configure: retryable failure: kafka")
