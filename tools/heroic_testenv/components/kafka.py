"""Kafka 4 in KRaft mode, one combined broker/controller node, from Maven Central jars."""

from __future__ import annotations

import base64
import secrets
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from heroic_testenv.components.jvm import java, log_contains
from heroic_testenv.node.layout import HOST_IP
from heroic_testenv.procs import ComponentError, free_port, log_path, port_open, spawn, wait_until

LOG4J2 = """status = warn
appender.console.type = Console
appender.console.name = console
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.console.ref = console
logger.server.name = kafka.server.KafkaRaftServer
logger.server.level = info
"""


SASL_USERNAME = "heroic"


def new_cluster_id() -> str:
    """A random KRaft cluster id: 16 bytes, URL-safe base64 without padding.

    Like Kafka's own Uuid.randomUuid it never starts with '-', which a command
    line parser would read as an option (about one id in 64 otherwise).
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


class Kafka:
    """Exports KAFKA_BOOTSTRAP_SERVERS (PLAINTEXT), and a second listener that asks for a
    SASL/PLAIN login: KAFKA_SASL_BOOTSTRAP_SERVERS, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD
    (a random password, for the tests of authenticated clients). A third listener is for pods on
    the real node: it listens on loopback (the node forwards ``HOST_IP`` there) and advertises
    ``HOST_IP``, the address pods know: KAFKA_POD_BOOTSTRAP_SERVERS."""

    name = "kafka"
    artifacts = ("kafka",)
    processes = ("kafka",)

    def start(self, run: Path, artifacts: Mapping[str, Path]) -> dict[str, str]:
        home = run / "kafka"
        shutil.rmtree(home, ignore_errors=True)  # a fresh start gets fresh data
        home.mkdir(parents=True)
        port, controller, sasl, pods = free_port(), free_port(), free_port(), free_port()
        password = secrets.token_urlsafe(12)
        jaas = (
            "org.apache.kafka.common.security.plain.PlainLoginModule required "
            f'user_{SASL_USERNAME}="{password}";'
        )
        props = home / "server.properties"
        props.write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.voters=1@127.0.0.1:{controller}",
                    f"listeners=PLAINTEXT://127.0.0.1:{port},SASL_PLAINTEXT://127.0.0.1:{sasl},"
                    f"PODS://127.0.0.1:{pods},CONTROLLER://127.0.0.1:{controller}",
                    f"advertised.listeners=PLAINTEXT://127.0.0.1:{port},"
                    f"SASL_PLAINTEXT://127.0.0.1:{sasl},PODS://{HOST_IP}:{pods}",
                    "controller.listener.names=CONTROLLER",
                    "inter.broker.listener.name=PLAINTEXT",
                    "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,"
                    "SASL_PLAINTEXT:SASL_PLAINTEXT,PODS:PLAINTEXT",
                    "listener.name.sasl_plaintext.sasl.enabled.mechanisms=PLAIN",
                    f"listener.name.sasl_plaintext.plain.sasl.jaas.config={jaas}",
                    f"log.dirs={home / 'data'}",
                    "num.partitions=1",
                    "offsets.topic.replication.factor=1",
                    "offsets.topic.num.partitions=4",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "share.coordinator.state.topic.replication.factor=1",
                    "share.coordinator.state.topic.min.isr=1",
                    "group.initial.rebalance.delay.ms=0",
                    "auto.create.topics.enable=true",
                    "log.flush.interval.messages=100000",
                ]
            )
            + "\n"
        )
        (home / "log4j2.properties").write_text(LOG4J2)
        classpath = str(artifacts["kafka"] / "libs") + "/*"
        opts = [
            "-Xms512m",
            "-Xmx512m",
            "-XX:+UseG1GC",
            "-XX:TieredStopAtLevel=1",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={home / 'log4j2.properties'}",
        ]
        cluster_id = new_cluster_id()
        fmt = subprocess.run(
            [
                java(),
                *opts,
                "-cp",
                classpath,
                "kafka.tools.StorageTool",
                "format",
                f"--cluster-id={cluster_id}",
                "-c",
                str(props),
                "--ignore-formatted",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if fmt.returncode != 0:
            (home / "format.log").write_text(fmt.stdout + fmt.stderr)
            raise ComponentError("kafka", "storage format failed", home / "format.log")
        proc = spawn(run, "kafka", [java(), *opts, "-cp", classpath, "kafka.Kafka", str(props)])
        log = log_path(run, "kafka")
        wait_until(
            "kafka",
            lambda: port_open(port) and log_contains(log, "Kafka Server started"),
            timeout=120,
            proc=proc,
            log=log,
        )
        return {
            "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{port}",
            "KAFKA_SASL_BOOTSTRAP_SERVERS": f"127.0.0.1:{sasl}",
            "KAFKA_SASL_USERNAME": SASL_USERNAME,
            "KAFKA_SASL_PASSWORD": password,
            "KAFKA_POD_BOOTSTRAP_SERVERS": f"{HOST_IP}:{pods}",
        }

    def healthy(self, env: Mapping[str, str]) -> bool:
        servers = env.get("KAFKA_BOOTSTRAP_SERVERS", "")
        return bool(servers) and port_open(int(servers.rsplit(":", 1)[1]))
