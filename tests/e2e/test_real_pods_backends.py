"""The examples on running containers, against real backends: configure Jobs as pods, points from
Kafka and Pub/Sub through consumer pods into Cassandra and Bigtable and back out of the API pod,
Elasticsearch as a StatefulSet found through a headless Service with sniffing, and faults.

Order matters within this module (one HeroicCluster per example, shared by the tests that follow
its creation): the Elasticsearch StatefulSet grows from two pods to three before one is deleted.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from heroic_operator import naming
from tests.e2e import elasticsearch_pods as es
from tests.e2e.realpods import (
    Target,
    adapted,
    apply_ready,
    exec_in,
    instance,
    pods,
    port_forward,
    query_count,
    wait_cluster_ready,
    wait_or_diagnose,
)
from tests.e2e.support import kubectl, kubectl_json

pytestmark = [
    pytest.mark.kubernetes,
    pytest.mark.helm,
    pytest.mark.node,
    pytest.mark.kafka,
    pytest.mark.cassandra,
    pytest.mark.bigtable,
    pytest.mark.pubsub,
]
RUN = uuid.uuid4().hex[:6]
HOUR = 3_600_000


def spotify100(key: str, host: str, time_ms: int, value: float) -> bytes:
    return json.dumps(
        {
            "version": "1.1.0",
            "key": key,
            "host": host,
            "time": time_ms,
            "value": value,
            "attributes": {"what": key},
        }
    ).encode()


@dataclass
class Flow:
    """Points produced to Kafka in the background, one per host and tick; counts what it sent."""

    topic: str
    key: str
    hosts: int = 4
    sent: int = 0
    # Ten minutes back: the API leaves out points of the current, unfinished cadence.
    start_ms: int = field(default_factory=lambda: int(time.time() * 1000) // 1000 * 1000 - 600_000)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self, ticks: int | None = None, interval: float = 0.1) -> None:
        from confluent_kafka import Producer  # noqa: PLC0415

        producer = Producer({"bootstrap.servers": os.environ["KAFKA_BOOTSTRAP_SERVERS"]})
        tick = 0
        while not self.stop.is_set() and (ticks is None or tick < ticks):
            stamp = self.start_ms + tick * 10  # distinct timestamps: every point is a new one
            for host in range(self.hosts):
                producer.produce(self.topic, spotify100(self.key, f"h{host}", stamp, float(tick)))
                self.sent += 1
            producer.poll(0)
            tick += 1
            time.sleep(interval)
        assert producer.flush(30) == 0, "Kafka did not take every message"

    @property
    def end_ms(self) -> int:
        return self.start_ms + (self.sent // self.hosts + 1) * 10 + 1


def background(flow: Flow) -> threading.Thread:
    thread = threading.Thread(target=flow.run, name=f"flow-{flow.key}", daemon=True)
    thread.start()
    return thread


def wait_all_points(namespace: str, base: str, flow: Flow, timeout: float = 240) -> None:
    """Every point the flow produced comes back from the API (counts compared)."""
    span = (flow.start_ms - HOUR, flow.end_ms + HOUR)  # the API aligns ranges to its cadence
    wait_count(namespace, base, flow.key, span, flow.sent, timeout=timeout)


def wait_count(
    namespace: str,
    base: str,
    key: str,
    span: tuple[int, int],
    expected: int,
    *,
    timeout: float = 240,
) -> None:
    seen: list[int] = []

    def complete() -> bool:
        seen.append(query_count(base, key, *span))
        return seen[-1] == expected

    wait_or_diagnose(
        lambda: f"{expected} points of {key} queryable (counts seen: {seen[-3:]})",
        complete,
        namespace,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def elasticsearch(real: Target, namespace: str, operator: str) -> str:
    kubectl("apply", "-n", namespace, "-f", "-", stdin=es.manifests(real.es_image, replicas=2))
    es.wait_ready(namespace, 2)
    return es.selector()


@dataclass
class Onprem:
    name: str
    topic: str
    keyspace: str


@pytest.fixture(scope="module")
def onprem(real: Target, namespace: str, elasticsearch: str) -> Onprem:
    """The cassandra-elasticsearch-kafka example: Cassandra and Kafka of the test environment,
    Elasticsearch the StatefulSet above, found through the operator's headless Service."""
    doc = adapted("cassandra-elasticsearch-kafka.yaml", real, replicas=2)
    name, topic, keyspace = doc["metadata"]["name"], f"e2e-{RUN}", f"e2e_{RUN}"
    cassandra = doc["spec"]["backends"]["metrics"]["cassandra"]
    cassandra.pop("authentication")  # the test environment's Cassandra asks for no login
    cassandra.update(
        seeds=[real.for_pods(os.environ["CASSANDRA_CONTACT_POINTS"])],
        keyspace=keyspace,
        replication={"class": "SimpleStrategy", "replication_factor": 1},
        consistencyLevel="ONE",
    )
    (group,) = doc["spec"]["consumers"]
    group["source"]["kafka"].update(
        bootstrapServers=[real.kafka_for_pods()],
        topics=[topic],
        groupId=f"e2e-{RUN}",
        createTopics={"partitions": 4, "replicationFactor": 1},
    )
    apply_ready(namespace, doc, timeout=480)
    return Onprem(name, topic, keyspace)


def test_configure_jobs_ran_as_pods_and_made_keyspace_templates_and_topic(
    namespace: str, onprem: Onprem
) -> None:
    jobs = kubectl_json("get", "jobs", "-n", namespace, "-l", instance(onprem.name))["items"]
    targets = {j["metadata"]["labels"][naming.LABEL_CONFIGURE_TARGET] for j in jobs}
    assert {"cassandra", "elasticsearch", "kafka-kafka"} <= targets, targets
    for job in jobs:
        assert job["status"].get("succeeded") == 1, job["metadata"]["name"]
        job_pods = pods(namespace, f"job-name={job['metadata']['name']}")
        assert job_pods, f"no pod of {job['metadata']['name']} left to inspect"
        # A container really ran and succeeded (earlier ones may have exited 75, "retry": a
        # backend not reachable yet, which the Job's pod failure policy retries).
        finished = [p["status"]["containerStatuses"][0] for p in job_pods]
        assert all(s["containerID"].startswith("containerd://") for s in finished)
        assert [s["state"]["terminated"]["exitCode"] for s in finished].count(0) == 1
        assert {s["state"]["terminated"]["exitCode"] for s in finished} <= {0, 75}
    from cassandra.cluster import Cluster  # noqa: PLC0415
    from confluent_kafka.admin import AdminClient  # noqa: PLC0415

    host, port = os.environ["CASSANDRA_CONTACT_POINTS"].rsplit(":", 1)
    cluster = Cluster([host], port=int(port))
    try:
        rows = cluster.connect().execute(
            "SELECT table_name FROM system_schema.tables WHERE keyspace_name = %s",
            (onprem.keyspace,),
        )
        assert "metrics" in {row.table_name for row in rows}
    finally:
        cluster.shutdown()
    admin = AdminClient({"bootstrap.servers": os.environ["KAFKA_BOOTSTRAP_SERVERS"]})
    topics = admin.list_topics(timeout=10).topics
    assert len(topics[onprem.topic].partitions) == 4
    with port_forward(namespace, f"pod/{es.NAME}-0", 9200) as base:
        # composable templates (the default), legacy ones with connection.templates: legacy
        composable = httpx.get(f"{base}/_index_template/heroic*", timeout=10).json()
        legacy = httpx.get(f"{base}/_template/heroic*", timeout=10).json()
    names = [t["name"] for t in composable.get("index_templates", [])] + list(legacy)
    assert names, "no heroic index template in the Elasticsearch pods"


def test_points_from_kafka_come_back_from_the_api_pod(namespace: str, onprem: Onprem) -> None:
    flow = Flow(onprem.topic, f"kafka-{RUN}")
    flow.run(ticks=50)
    with port_forward(namespace, f"service/{naming.api_name(onprem.name)}", 8080) as base:
        wait_all_points(namespace, base, flow)
    # The shell in the pod works with the pod's own heroic.yml: its backends and Secrets.
    deployment = f"deployment/{naming.api_name(onprem.name)}"
    listed = exec_in(namespace, deployment, "heroic", "shell", "--", "backends")
    assert "CassandraMetricBackend" in listed, listed
    assert "ElasticsearchMetadataBackend" in listed, listed
    counted = exec_in(
        namespace, deployment, "heroic-shell", "--", "metadata-count", f'$key = "{flow.key}"'
    )
    assert f"Found {flow.hosts} serie(s)" in counted, counted
    # The image carries the consumer's compiled decoder, and the consumer says it uses it.
    consumer = f"deployment/{naming.consumer_name(onprem.name, 'kafka')}"
    logs = kubectl("logs", "-n", namespace, consumer)
    decoders = [json.loads(line)["decoder"] for line in logs.splitlines() if '"decoder"' in line]
    assert decoders == ["native"], logs[-3000:]


def es_stats(base: str, node: str) -> dict[str, Any]:
    nodes = httpx.get(f"{base}/_nodes/{node}/stats/http", timeout=10).json()["nodes"]
    (stats,) = nodes.values()
    return dict(stats["http"])


def test_a_new_elasticsearch_pod_serves_heroic_without_a_restart(
    real: Target, namespace: str, onprem: Onprem
) -> None:
    api_selector = f"{instance(onprem.name)},{naming.LABEL_COMPONENT}={naming.COMPONENT_API}"
    restarts = {p["metadata"]["name"] for p in pods(namespace, api_selector)}
    kubectl("scale", "statefulset", es.NAME, "-n", namespace, "--replicas=3")
    es.wait_ready(namespace, 3)
    new = f"{es.NAME}-2"
    with port_forward(namespace, f"pod/{es.NAME}-0", 9200) as es_base:
        wait_or_diagnose(
            "three nodes in the Elasticsearch cluster",
            lambda: (
                httpx.get(f"{es_base}/_cluster/health", timeout=10).json()["number_of_nodes"] == 3
            ),
            namespace,
            es.selector(),
        )
        before = es_stats(es_base, new)["total_opened"]
        with port_forward(namespace, f"service/{naming.api_name(onprem.name)}", 8080) as base:

            def heroic_used_the_new_pod() -> bool:
                # Metadata and suggest requests of Heroic's; its sniffer (30 s) finds the pod.
                httpx.post(f"{base}/metadata/series", json={"filter": ["true"]}, timeout=30)
                httpx.post(f"{base}/suggest/key", json={"key": "k"}, timeout=30)
                return int(es_stats(es_base, new)["total_opened"]) > before

            wait_or_diagnose(
                f"Heroic's requests reaching {new}", heroic_used_the_new_pod, namespace, timeout=150
            )
    assert {p["metadata"]["name"] for p in pods(namespace, api_selector)} == restarts
    for pod in pods(namespace, api_selector):
        assert pod["status"]["containerStatuses"][0]["restartCount"] == 0


def test_deleting_an_elasticsearch_pod_loses_no_write(namespace: str, onprem: Onprem) -> None:
    flow = Flow(onprem.topic, f"esdel-{RUN}", hosts=20)  # new series: metadata writes
    thread = background(flow)
    time.sleep(5)
    kubectl("delete", "pod", f"{es.NAME}-1", "-n", namespace, "--wait=false")
    time.sleep(20)
    flow.stop.set()
    thread.join(60)
    with port_forward(namespace, f"service/{naming.api_name(onprem.name)}", 8080) as base:
        wait_all_points(namespace, base, flow, timeout=300)
        response = httpx.post(
            f"{base}/metadata/series", json={"filter": ["key", flow.key]}, timeout=30
        )
        assert len(response.json()["series"]) == flow.hosts  # every series was indexed


def test_consumer_pods_deleted_and_killed_lose_no_point(
    real: Target, namespace: str, onprem: Onprem
) -> None:
    group = naming.consumer_component("kafka")
    selector = f"{instance(onprem.name)},{naming.LABEL_COMPONENT}={group}"
    first, second = (p["metadata"]["name"] for p in pods(namespace, selector)[:2])
    flow = Flow(onprem.topic, f"faults-{RUN}")
    thread = background(flow)
    time.sleep(5)
    kubectl("delete", "pod", first, "-n", namespace, "--wait=false")  # graceful
    time.sleep(5)
    killed = kill_container(real, namespace, second)
    time.sleep(10)
    flow.stop.set()
    thread.join(60)
    with port_forward(namespace, f"service/{naming.api_name(onprem.name)}", 8080) as base:
        wait_all_points(namespace, base, flow, timeout=300)
    if killed:
        restarted = kubectl_json("get", "pod", second, "-n", namespace)
        assert restarted["status"]["containerStatuses"][0]["restartCount"] >= 1


def kill_container(real: Target, namespace: str, pod: str) -> bool:
    """SIGKILL the pod's container through the node's containerd (no grace, no SIGTERM)."""
    if real.ctr is None:
        return False
    status = kubectl_json("get", "pod", pod, "-n", namespace)["status"]["containerStatuses"][0]
    container_id = status["containerID"].removeprefix("containerd://")
    real.ctr("tasks", "kill", "--signal", "SIGKILL", container_id)
    return True


def test_a_backend_change_rolls_the_pods_once_and_loses_no_point(
    namespace: str, onprem: Onprem
) -> None:
    deployments = {
        naming.api_name(onprem.name),
        naming.consumer_name(onprem.name, "kafka"),
    }
    before = {d: kubectl_json("get", "deployment", d, "-n", namespace) for d in deployments}
    flow = Flow(onprem.topic, f"rollout-{RUN}")
    thread = background(flow)
    time.sleep(3)
    patch = {"spec": {"backends": {"metrics": {"cassandra": {"consistencyLevel": "QUORUM"}}}}}
    kubectl(
        "patch",
        "heroiccluster",
        onprem.name,
        "-n",
        namespace,
        "--type=merge",
        "-p",
        json.dumps(patch),
    )
    wait_cluster_ready(namespace, onprem.name, timeout=300)
    for name in deployments:
        wait_or_diagnose(
            f"{name} rolled out",
            lambda name=name: rolled_out(namespace, name),
            namespace,
            timeout=240,
        )
    flow.stop.set()
    thread.join(60)
    for name, old in before.items():
        new = kubectl_json("get", "deployment", name, "-n", namespace)
        assert new["metadata"]["generation"] == old["metadata"]["generation"] + 1, name
    with port_forward(namespace, f"service/{naming.api_name(onprem.name)}", 8080) as base:
        wait_all_points(namespace, base, flow, timeout=300)


def rolled_out(namespace: str, name: str) -> bool:
    dep = kubectl_json("get", "deployment", name, "-n", namespace)
    status, spec = dep["status"], dep["spec"]
    return bool(
        status.get("observedGeneration") == dep["metadata"]["generation"]
        and status.get("updatedReplicas") == spec["replicas"]
        and status.get("availableReplicas") == spec["replicas"]
        and status.get("replicas") == spec["replicas"]
    )


def test_points_from_pubsub_land_in_bigtable_and_come_back(
    real: Target, namespace: str, elasticsearch: str
) -> None:
    from google.cloud import pubsub_v1  # noqa: PLC0415

    doc = adapted("bigtable-elasticsearch-pubsub.yaml", real)
    name, table = doc["metadata"]["name"], f"e2e-{RUN}"
    project = os.environ["PUBSUB_PROJECT_ID"]
    backends = doc["spec"]["backends"]
    backends["metrics"]["bigtable"] = {
        "project": project,
        "instance": "heroic",
        "table": table,
        "emulatorEndpoint": real.for_pods(os.environ["BIGTABLE_EMULATOR_HOST"]),
    }
    seeds = [f"{es.DISCOVERY}.{namespace}.svc.cluster.local:9200"]
    for role in ("metadata", "suggest"):
        search = backends[role]["elasticsearch"]
        search["seeds"] = seeds
        search["index"]["pattern"] = f"gcp-{role}-%s"
        # The onprem cluster shares these Elasticsearch pods: templates of their own, or one
        # cluster's configure Job replaces the other's (same name, other index patterns).
        search["templateName"] = "gcp"
    (group,) = doc["spec"]["consumers"]
    topic, subscription = f"e2e-{RUN}", f"e2e-{RUN}-heroic"
    group["source"]["pubsub"] = {
        "project": project,
        "topic": topic,
        "subscription": subscription,
        "endpoint": real.for_pods(os.environ["PUBSUB_EMULATOR_HOST"]),
    }
    apply_ready(namespace, doc, timeout=420)
    publisher = pubsub_v1.PublisherClient()
    key, now = f"pubsub-{RUN}", int(time.time() * 1000) // 1000 * 1000
    futures = [
        publisher.publish(
            publisher.topic_path(project, topic),
            spotify100(key, f"h{i % 3}", now - 600_000 - i * 10, i),
        )
        for i in range(60)
    ]
    for future in futures:
        future.result(timeout=30)
    with port_forward(namespace, f"service/{naming.api_name(name)}", 8080) as base:
        wait_count(namespace, base, key, (now - HOUR, now + HOUR), 60)
    from google.cloud.bigtable import Client  # noqa: PLC0415

    rows = list(Client(project=project, admin=True).instance("heroic").table(table).read_rows())
    assert rows, f"no row in the Bigtable table {table}"


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> Iterator[None]:
    yield
    leaked = [t.name for t in threading.enumerate() if t.name.startswith("flow-") and t.is_alive()]
    assert not leaked, f"producer threads still running: {leaked}"


def test_split_consumer_groups_write_metrics_and_metadata_separately(
    real: Target, namespace: str, elasticsearch: str
) -> None:
    """The split-consumers example: one group writes points (Cassandra), the other series
    (Elasticsearch); a point comes back only if both did their part."""
    doc = adapted("split-consumers.yaml", real)
    name, topic, keyspace = doc["metadata"]["name"], f"split-{RUN}", f"split_{RUN}"
    backends = doc["spec"]["backends"]
    cassandra = backends["metrics"]["cassandra"]
    cassandra.pop("authentication")  # the test environment's Cassandra asks for no login
    cassandra.update(
        seeds=[real.for_pods(os.environ["CASSANDRA_CONTACT_POINTS"])],
        keyspace=keyspace,
        replication={"class": "SimpleStrategy", "replication_factor": 1},
    )
    for role in ("metadata", "suggest"):
        search = backends[role]["elasticsearch"]
        search["seeds"] = [f"{es.DISCOVERY}.{namespace}.svc.cluster.local:9200"]
        search["index"]["pattern"] = f"split-{role}-%s"
        search["templateName"] = "split"  # templates of its own beside the other clusters'
    groups = doc["spec"]["consumers"]
    assert sorted(tuple(g["writes"]) for g in groups) == [("metadata", "suggest"), ("metrics",)]
    for group in groups:
        # The example's SASL_SSL/SCRAM login: the test environment's Kafka has no TLS listener.
        kafka = group["source"]["kafka"]
        kafka.pop("config")
        kafka.pop("configFromSecrets")
        kafka.update(
            bootstrapServers=[real.kafka_for_pods()],
            topics=[topic],
            createTopics={"partitions": 2, "replicationFactor": 1},
        )
    apply_ready(namespace, doc, timeout=420)
    flow = Flow(topic, f"split-{RUN}")
    flow.run(ticks=25)
    with port_forward(namespace, f"service/{naming.api_name(name)}", 8080) as base:
        wait_all_points(namespace, base, flow)
