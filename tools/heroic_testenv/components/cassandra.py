"""Cassandra 5.0 from Maven Central jars, one node on loopback, on JDK 17.

On JDK 17 Cassandra needs the JPMS exports/opens of its ``conf/jvm17-server.options`` and the
jamm agent, which its start script would normally add.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

from heroic_testenv.components.jvm import java, log_contains
from heroic_testenv.procs import free_port, log_path, port_open, spawn, wait_until

EXPORTS = (
    "java.base/jdk.internal.misc",
    "java.management.rmi/com.sun.jmx.remote.internal.rmi",
    "java.rmi/sun.rmi.registry",
    "java.rmi/sun.rmi.server",
    "java.sql/java.sql",
    "java.base/java.lang.ref",
    "jdk.unsupported/sun.misc",
    "jdk.compiler/com.sun.tools.javac.file",
    "jdk.attach/sun.tools.attach",
)
OPENS = (
    "java.base/java.lang.module",
    "java.base/jdk.internal.loader",
    "java.base/jdk.internal.ref",
    "java.base/jdk.internal.reflect",
    "java.base/jdk.internal.math",
    "java.base/jdk.internal.module",
    "java.base/jdk.internal.util.jar",
    "java.base/sun.nio.ch",
    "java.base/java.io",
    "java.base/java.lang.reflect",
    "java.base/java.lang",
    "java.base/java.util",
    "java.base/java.nio",
    "java.base/java.util.concurrent",
    "java.base/java.util.concurrent.atomic",
    "jdk.management/com.sun.management.internal",
    "jdk.compiler/com.sun.tools.javac",
)

LOGBACK = """<configuration>
  <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="STDOUT"/></root>
  <logger name="org.apache.cassandra.db.commitlog" level="WARN"/>
</configuration>
"""


def _yaml(home: Path, storage: int, native: int, authenticator: str) -> str:
    return f"""cluster_name: heroic-testenv
num_tokens: 1
initial_token: 0
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
endpoint_snitch: SimpleSnitch
commitlog_sync: periodic
commitlog_sync_period: 10000ms
commitlog_directory: {home}/commitlog
data_file_directories: [{home}/data]
saved_caches_directory: {home}/saved_caches
hints_directory: {home}/hints
cdc_raw_directory: {home}/cdc_raw
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "127.0.0.1:{storage}"
listen_address: 127.0.0.1
rpc_address: 127.0.0.1
storage_port: {storage}
native_transport_port: {native}
start_native_transport: true
authenticator: {authenticator}
authorizer: AllowAllAuthorizer
concurrent_reads: 8
concurrent_writes: 8
concurrent_counter_writes: 8
memtable_heap_space: 128MiB
memtable_offheap_space: 128MiB
auto_snapshot: false
"""


class Cassandra:
    """Exports CASSANDRA_CONTACT_POINTS (host:port) and CASSANDRA_PORT.

    ``authenticator`` ``PasswordAuthenticator`` makes a node that asks for a login (the
    default superuser ``cassandra``/``cassandra``); the tests of authentication start one
    under another ``name`` beside the environment's own."""

    artifacts = ("cassandra",)

    def __init__(
        self, name: str = "cassandra", authenticator: str = "AllowAllAuthenticator"
    ) -> None:
        self.name = name
        self.authenticator = authenticator

    @property
    def processes(self) -> tuple[str, ...]:
        return (self.name,)

    def start(self, run: Path, artifacts: Mapping[str, Path]) -> dict[str, str]:
        home = run / self.name
        shutil.rmtree(home, ignore_errors=True)  # a fresh start gets fresh data
        home.mkdir(parents=True)
        storage, native = free_port(), free_port()
        (home / "cassandra.yaml").write_text(_yaml(home, storage, native, self.authenticator))
        (home / "logback.xml").write_text(LOGBACK)
        libs = artifacts["cassandra"] / "libs"
        jamm = sorted(libs.glob("jamm-*.jar"))
        flags = [f"--add-exports={e}=ALL-UNNAMED" for e in EXPORTS]
        flags += [f"--add-opens={o}=ALL-UNNAMED" for o in OPENS]
        flags += [f"-javaagent:{j}" for j in jamm[:1]]
        proc = spawn(
            run,
            self.name,
            [
                java(),
                *flags,
                "-Xms768m",
                "-Xmx768m",
                "-Xss512k",
                "-XX:+UseG1GC",
                "-Djdk.attach.allowAttachSelf=true",
                "-Dio.netty.tryReflectionSetAccessible=true",
                "-Dcassandra-foreground=yes",
                f"-Dcassandra.config=file://{home / 'cassandra.yaml'}",
                f"-Dcassandra.storagedir={home}",
                f"-Dlogback.configurationFile={home / 'logback.xml'}",
                "-Dcassandra.skip_wait_for_gossip_to_settle=0",
                "-Dcassandra.superuser_setup_delay_ms=0",
                "-Dcassandra.ring_delay_ms=100",
                "-Dcassandra.jmx.local.port=0",
                "-cp",
                f"{libs}/*",
                "org.apache.cassandra.service.CassandraDaemon",
            ],
        )
        log = log_path(run, self.name)
        wait_until(
            self.name,
            lambda: port_open(native) and log_contains(log, "Starting listening for CQL"),
            timeout=240,
            proc=proc,
            log=log,
            interval=1.0,
        )
        return {"CASSANDRA_CONTACT_POINTS": f"127.0.0.1:{native}", "CASSANDRA_PORT": str(native)}

    def healthy(self, env: Mapping[str, str]) -> bool:
        port = env.get("CASSANDRA_PORT")
        return bool(port) and port_open(int(port or 0))
