"""What a configure Job would do, done for real: kwok completes Job pods without running them,
so these tests take the Job the operator created, run its command with the config it carries
(followed from the command through its volume mount to the pod annotation) against the test
environment's backends, and check what it made: the Kafka topics of ``createTopics``, the
Pub/Sub subscription, the Bigtable table, the Cassandra keyspace and the Elasticsearch index
templates."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from kubernetes.dynamic import DynamicClient

from heroic_operator import naming
from heroic_operator.process.app import Operator
from tests.integration.backends.search_engines import drop_prefix, template_names
from tests.integration.operator.support import (
    apply_cluster,
    list_kind,
    manifest,
    wait_condition,
    wait_for,
)

pytestmark = pytest.mark.kubernetes


def configure_job(client: DynamicClient, namespace: str, cluster: str, target: str) -> Any:
    labels: dict[str, Any] = {naming.LABEL_INSTANCE: cluster, naming.LABEL_CONFIGURE_TARGET: target}

    def find() -> Any:
        return next(iter(list_kind(client, "batch/v1", "Job", namespace, labels=labels)), None)

    return wait_for(f"the {target} configure Job", find)


def mounted_file(template: Any, container: Any, path: str) -> str:
    """What the kubelet would put at ``path``: followed through the container's mounts to a
    downward-API volume item and the pod annotation it names."""
    directory, name = path.rsplit("/", 1)
    (mount,) = [m for m in container.volumeMounts if m.mountPath == directory]
    (volume,) = [v for v in template.spec.volumes if v.name == mount.name]
    (item,) = [i for i in volume.downwardAPI.items if i.path == name]
    field = item.fieldRef.fieldPath
    assert field.startswith("metadata.annotations['"), field
    return str(template.metadata.annotations[field.removeprefix("metadata.annotations['")[:-2]])


def run_job_command(job: Any, tmp_path: Path) -> str:
    """The Job container's command, run here with the Job's own config; returns its output."""
    template = job.spec.template
    (container,) = template.spec.containers
    config = tmp_path / f"{job.metadata.name}.yml"
    config.write_text(mounted_file(template, container, naming.CONFIG_FILE))
    command = [str(config) if arg == naming.CONFIG_FILE else arg for arg in container.command]
    assert command[0] == "heroic"
    proc = subprocess.run(
        [sys.executable, "-m", "heroic_cli.main", *command[1:]],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def group(source: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"name": "main", "writes": ["metrics"], "source": source}]


@pytest.mark.kafka
def test_create_topics_job_creates_the_topics(
    client: DynamicClient, namespace: str, operator: Operator, tmp_path: Path
) -> None:
    from confluent_kafka.admin import AdminClient  # noqa: PLC0415

    servers = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    topic = f"op-{uuid.uuid4().hex[:8]}"
    kafka = {"bootstrapServers": [servers], "topics": [topic], "createTopics": {"partitions": 4}}
    apply_cluster(
        client, namespace, manifest("memory", "topics", consumers=group({"kafka": kafka}))
    )
    job = configure_job(client, namespace, "topics", "kafka-main")
    assert job.spec.template.spec.containers[0].command[-2:] == ["--only", "kafka"]

    output = run_job_command(job, tmp_path)
    assert f"created kafka topic {topic}" in output
    topics = AdminClient({"bootstrap.servers": servers}).list_topics(timeout=30).topics
    assert len(topics[topic].partitions) == 4
    assert "created" not in run_job_command(job, tmp_path)  # idempotent
    cond = wait_condition(client, namespace, "topics", "KafkaConfigured", timeout=60)
    assert cond["reason"] == "Succeeded"
    wait_condition(client, namespace, "topics", timeout=60)


@pytest.mark.pubsub
def test_pubsub_job_creates_the_subscription(
    client: DynamicClient, namespace: str, operator: Operator, tmp_path: Path
) -> None:
    from google.cloud import pubsub_v1  # noqa: PLC0415

    project = os.environ.get("PUBSUB_PROJECT_ID", "heroic-test")
    topic, subscription = f"op-{uuid.uuid4().hex[:8]}", f"op-sub-{uuid.uuid4().hex[:8]}"
    pubsub = {
        "project": project,
        "topic": topic,
        "subscription": subscription,
        "endpoint": os.environ["PUBSUB_EMULATOR_HOST"],
    }
    body = manifest("memory", "subs", consumers=group({"pubsub": pubsub}))
    apply_cluster(client, namespace, body)
    job = configure_job(client, namespace, "subs", "pubsub-main")
    output = run_job_command(job, tmp_path)
    assert subscription in output
    subscriber = pubsub_v1.SubscriberClient()
    try:
        path = subscriber.subscription_path(project, subscription)
        found = subscriber.get_subscription(request={"subscription": path})
        assert found.topic == f"projects/{project}/topics/{topic}"
    finally:
        subscriber.close()
    wait_condition(client, namespace, "subs", "PubSubConfigured", reason="Succeeded", timeout=60)


def hostport(url: str) -> str:
    return url.split("://", 1)[-1].rstrip("/")


@pytest.mark.cassandra
@pytest.mark.elasticsearch
def test_cassandra_and_elasticsearch_jobs_create_keyspace_and_templates(
    client: DynamicClient, namespace: str, operator: Operator, tmp_path: Path
) -> None:
    from cassandra.cluster import Cluster as CassandraCluster  # noqa: PLC0415

    run = uuid.uuid4().hex[:8]
    keyspace, template = f"op_{run}", f"op-{run}"
    seed = os.environ["CASSANDRA_CONTACT_POINTS"]
    es_url = os.environ["ELASTICSEARCH_URL"]
    index = {"type": "rotating", "pattern": f"{template}-%s"}  # not the shared default
    search = {"seeds": [hostport(es_url)], "templateName": template, "index": index}
    backends = {
        "metrics": {
            "type": "cassandra",
            "cassandra": {
                "seeds": [seed],
                "keyspace": keyspace,
                "replication": {"class": "SimpleStrategy", "replication_factor": 1},
            },
        },
        "metadata": {"type": "elasticsearch", "elasticsearch": search},
        "suggest": {"type": "elasticsearch", "elasticsearch": search},
    }
    apply_cluster(client, namespace, manifest("memory", "durable", backends=backends))
    run_job_command(configure_job(client, namespace, "durable", "cassandra"), tmp_path)
    host, port = seed.rsplit(":", 1)
    cassandra = CassandraCluster([host], port=int(port))
    try:
        session = cassandra.connect()
        rows = session.execute(
            "SELECT table_name FROM system_schema.tables WHERE keyspace_name = %s", (keyspace,)
        )
        assert "metrics" in {row.table_name for row in rows}
    finally:
        cassandra.shutdown()

    output = run_job_command(configure_job(client, namespace, "durable", "elasticsearch"), tmp_path)
    assert template in output
    templates = template_names(es_url, f"{template}*")
    drop_prefix(es_url, template)
    assert templates, f"no index template named {template}*"
    wait_condition(client, namespace, "durable", timeout=60)


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(("opensearch", "OPENSEARCH_URL", "opensearch", True),
                     marks=pytest.mark.opensearch, id="opensearch2"),
        pytest.param(("opensearch3", "OPENSEARCH3_URL", "opensearch", True),
                     marks=pytest.mark.opensearch3, id="opensearch3"),
        pytest.param(("elasticsearch8", "ELASTICSEARCH8_URL", "elasticsearch", False),
                     marks=pytest.mark.elasticsearch8, id="elasticsearch8"),
    ],
)  # fmt: skip
def test_search_job_creates_templates_on_each_engine(
    client: DynamicClient,
    namespace: str,
    operator: Operator,
    tmp_path: Path,
    case: tuple[str, str, str, bool],
) -> None:
    component, variable, engine, suggest = case
    # Elasticsearch 8's Maven Central build has no analysis-common: suggest stays in memory there
    url = os.environ[variable]
    template = f"op-{component}-{uuid.uuid4().hex[:6]}"
    index = {"type": "rotating", "pattern": f"{template}-%s"}
    search = {"seeds": [hostport(url)], "templateName": template, "index": index, "engine": engine}
    backends: dict[str, Any] = {"metadata": {"type": "elasticsearch", "elasticsearch": search}}
    if suggest:
        backends["suggest"] = {
            "type": "elasticsearch",
            "elasticsearch": search | {"templateName": f"{template}-suggest"},
        }
    name = f"search-{component}"
    apply_cluster(client, namespace, manifest("memory", name, backends=backends))
    output = run_job_command(configure_job(client, namespace, name, "elasticsearch"), tmp_path)
    assert template in output
    templates = template_names(url, f"{template}*")
    drop_prefix(url, template)
    assert f"{template}-metadata" in templates
    assert any(n.startswith(f"{template}-suggest-") for n in templates) is suggest
    wait_condition(client, namespace, name, timeout=60)


@pytest.mark.bigtable
def test_bigtable_job_creates_the_table(
    client: DynamicClient, namespace: str, operator: Operator, tmp_path: Path
) -> None:
    from google.cloud.bigtable import Client as BigtableClient  # noqa: PLC0415

    table = f"op-{uuid.uuid4().hex[:8]}"
    bigtable = {
        "project": "heroic-test",
        "instance": "heroic",
        "table": table,
        "emulatorEndpoint": os.environ["BIGTABLE_EMULATOR_HOST"],
    }
    backends = {"metrics": {"type": "bigtable", "bigtable": bigtable}}
    apply_cluster(client, namespace, manifest("memory", "tables", backends=backends))
    output = run_job_command(configure_job(client, namespace, "tables", "bigtable"), tmp_path)
    assert table in output
    admin = BigtableClient(project="heroic-test", admin=True)
    families = admin.instance("heroic").table(table).list_column_families()
    assert {"points", "distributionPoints"} <= set(families)
    wait_condition(client, namespace, "tables", "BigtableConfigured", reason="Succeeded")
