"""Profiles (``-P``): upstream's config fragments, with their names, scopes and parameters
(``heroic-dist/.../profile/``). Each builds heroic.yml keys from its ``-X <scope>.<name>``
values; fragments of several profiles are merged (a profile's backends add to the list)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from heroic_cli.shell.errors import UsageError
from heroic_cli.shell.params import Parameter, Scoped
from heroic_core.config.consumers import SPOTIFY100

Fragment = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    scope: str
    description: str
    parameters: tuple[Parameter, ...]
    build: Callable[[Scoped], Fragment]
    #: Said when the profile is used: what of it this implementation does not do yet.
    warning: str | None = None


def _memory(_: Scoped) -> Fragment:
    memory = {"backends": [{"type": "memory"}]}
    return {"metrics": memory, "metadata": memory, "suggest": memory}


def _bigtable(p: Scoped) -> Fragment:
    project = p.get("project")
    if not project:
        raise UsageError("-P bigtable needs -X bigtable.project=<project>")
    # Upstream's code reads "credential" while its docs say "credentials": both work here.
    kind = p.get("credentials") or p.get("credential") or "default"
    credentials: dict[str, Any] = {"type": kind}
    if kind == "json":
        credentials["path"] = p.get("json") or _missing(p, "json", "json credentials")
    elif kind == "service-account":
        credentials["serviceAccount"] = p.get("serviceAccount") or _missing(
            p, "serviceAccount", "service-account credentials"
        )
        credentials["keyFile"] = p.get("keyFile") or _missing(
            p, "keyFile", "service-account credentials"
        )
    elif kind not in ("default", "compute-engine"):
        raise UsageError(
            f"-X {p.key('credentials')}={kind}: must be one of default, compute-engine, json, "
            "service-account"
        )
    backend: dict[str, Any] = {"type": "bigtable", "project": project, "credentials": credentials}
    for name in ("instance", "profile", "table"):
        if p.get(name):
            backend[name] = p.get(name)
    if p.get("emulator"):
        backend["emulatorEndpoint"] = p.get("emulator")
    if p.flag("configure"):
        backend["configure"] = True
    return {"metrics": {"backends": [backend]}}


def _missing(p: Scoped, name: str, why: str) -> str:
    raise UsageError(f"{why} need -X {p.key(name)}=...")


def _cassandra(p: Scoped) -> Fragment:
    kind = p.choice("type", ["ng"], "ng")
    backend: dict[str, Any] = {"type": "datastax", "schema": {"type": kind}}
    if seeds := p.items("seeds"):
        backend["seeds"] = seeds
    if keyspace := p.get("keyspace"):
        backend["schema"]["keyspace"] = keyspace
    if (size := p.integer("fetchSize")) is not None:
        backend["fetchSize"] = size
    if timeout := p.duration("readTimeout"):
        backend["readTimeout"] = timeout
    if level := p.get("consistencyLevel"):
        backend["consistencyLevel"] = level
    if p.flag("configure"):
        backend["configure"] = True
    return {"metrics": {"backends": [backend]}}


def _elasticsearch(section: str) -> Callable[[Scoped], Fragment]:
    def build(p: Scoped) -> Fragment:
        index: dict[str, Any] = {"type": "rotating"}
        if pattern := p.get("pattern"):
            index["pattern"] = pattern
        if interval := p.duration("interval"):
            index["interval"] = interval
        if (most := p.integer("maxReadIndices")) is not None:
            index["maxReadIndices"] = most
        if (dynamic := p.boolean("supportDynamicMaxReadIndices")) is not None:
            index["supportDynamicMaxReadIndices"] = dynamic
        client: dict[str, Any] = {"type": "rest"}
        if seeds := p.items("seeds"):
            client["seeds"] = seeds
        connection: dict[str, Any] = {"index": index, "client": client}
        backend: dict[str, Any] = {"type": "elasticsearch", "connection": connection}
        if template := p.get("templateName"):
            backend["templateName"] = template
        if p.get("type"):
            backend["backendType"] = p.choice("type", ["kv"], "kv")
        if p.flag("configure"):
            backend["configure"] = True
        return {section: {"backends": [backend]}}

    return build


def _kafka(p: Scoped) -> Fragment:
    topics = p.items("topics")
    if not topics:
        raise UsageError("-P kafka-consumer needs -X kafka.topics=<topic>[,..]")
    config: dict[str, str] = {}
    if servers := p.get("bootstrapServers"):
        config["bootstrap.servers"] = servers
    if group := p.get("group"):
        config["group.id"] = group
    schema = p.get("schema") or SPOTIFY100
    return {"consumers": [{"type": "kafka", "topics": topics, "config": config, "schema": schema}]}


def _pubsub(p: Scoped) -> Fragment:
    consumer: dict[str, Any] = {"type": "pubsub", "schema": p.get("schema") or SPOTIFY100}
    for name in ("project", "topic", "subscription"):
        if value := p.get(name):
            consumer[name] = value
    if p.get("emulator"):
        consumer["endpoint"] = p.get("emulator")
    return {"consumers": [consumer]}


def _cluster(p: Scoped) -> Fragment:
    discovery = p.choice("discovery", ["static", "srv"], "static")
    cluster: dict[str, Any] = {}
    if discovery == "static":
        hosts = p.items("host") or []
        cluster["discovery"] = {"type": "static", "nodes": hosts}
    else:
        records = p.items("record") or []
        found: dict[str, Any] = {"type": "srv", "records": records}
        if (port := p.integer("port")) is not None:
            found["port"] = port
        cluster["discovery"] = found
    if (local := p.boolean("useLocal")) is not None:
        cluster["useLocal"] = local
    return {"cluster": cluster}


def _query_logging(p: Scoped) -> Fragment:
    logging: dict[str, Any] = {"type": "slf4j"}
    if name := p.get("name"):
        logging["name"] = name
    if level := p.get("level"):
        logging["level"] = level
    return {"queryLogging": logging}


def _memory_cache(_: Scoped) -> Fragment:
    return {"cache": {"type": "memory"}, "features": ["com.spotify.heroic.cache_query"]}


_CONFIGURE = Parameter("configure", "configure the backend when the shell starts")

PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(
            "memory", "memory", "in-memory metric, metadata and suggest backends",
            (Parameter("synchronized", "accepted for upstream's sake: our memory backends are "
                       "always safe to use from every task"),),
            _memory,
        ),
        Profile(
            "bigtable", "bigtable", "a metric backend on Bigtable",
            (_CONFIGURE, Parameter("project", "Bigtable project", "<project>"),
             Parameter("instance", "Bigtable instance (default heroic)", "<instance>"),
             Parameter("profile", "Bigtable app profile", "<profile>"),
             Parameter("table", "table (default metrics)", "<table>"),
             Parameter("credentials", "default, compute-engine, json or service-account",
                       "<credentials>"),
             Parameter("credential", "the same as credentials (upstream's code reads this)",
                       "<credentials>"),
             Parameter("json", "the key file of json credentials", "<file>"),
             Parameter("serviceAccount", "the account of service-account credentials",
                       "<account>"),
             Parameter("keyFile", "the key file of service-account credentials", "<file>"),
             Parameter("emulator", "an emulator's host:port (or set BIGTABLE_EMULATOR_HOST)",
                       "<host:port>")),
            _bigtable,
        ),
        Profile(
            "cassandra", "cassandra", "a metric backend on Cassandra (datastax)",
            (_CONFIGURE, Parameter("seeds", "contact points", "<host>[,..]"),
             Parameter("type", "schema type (ng)", "<type>"),
             Parameter("keyspace", "keyspace (default heroic)", "<keyspace>"),
             Parameter("fetchSize", "rows per page of a fetch", "<int>"),
             Parameter("readTimeout", "read timeout", "<duration>"),
             Parameter("consistencyLevel", "consistency level of reads and writes", "<level>")),
            _cassandra,
        ),
        *(
            Profile(
                f"elasticsearch-{section}", "elasticsearch",
                f"a {section} backend on Elasticsearch",
                (_CONFIGURE, Parameter("seeds", "nodes to connect to", "<host>[:<port>][,..]"),
                 Parameter("pattern", "index pattern (example: heroic-%s)", "<pattern>"),
                 Parameter("interval", "index rotation interval", "<duration>"),
                 Parameter("maxReadIndices", "indices a read spans", "<int>"),
                 Parameter("supportDynamicMaxReadIndices", "widen reads to the range",
                           "<bool>"),
                 Parameter("templateName", "index template name", "<name>"),
                 Parameter("type", "backend type (kv)", "<type>")),
                _elasticsearch(section),
            )
            for section in ("metadata", "suggest")
        ),
        Profile(
            "kafka-consumer", "kafka", "a Kafka consumer",
            (Parameter("topics", "topics to consume", "<topic>[,..]"),
             Parameter("bootstrapServers", "brokers (bootstrap.servers)", "<host:port>[,..]"),
             Parameter("group", "consumer group", "<group>"),
             Parameter("schema", "message schema (Spotify100, Spotify100Proto)", "<schema>")),
            _kafka,
        ),
        Profile(
            "pubsub", "pubsub", "a Pub/Sub consumer",
            (Parameter("project", "project", "<project>"),
             Parameter("topic", "topic", "<topic>"),
             Parameter("subscription", "subscription", "<subscription>"),
             Parameter("schema", "message schema", "<schema>"),
             Parameter("emulator", "an emulator's host:port", "<host:port>")),
            _pubsub,
        ),
        Profile(
            "cluster", "cluster", "cluster discovery",
            (Parameter("discovery", "static or srv", "<method>"),
             Parameter("host", "a static node (repeat with commas)", "<url>[,..]"),
             Parameter("record", "an SRV record to look up", "<record>[,..]"),
             Parameter("port", "port of looked-up nodes", "<port>"),
             Parameter("useLocal", "also query the local node", "<bool>")),
            _cluster,
            "cluster: shell tasks use this node's backends only (the API node federates)",
        ),
        Profile(
            "query-logging", "query-logging", "log every query",
            (Parameter("name", "logger name", "<name>"),
             Parameter("level", "log level", "<level>")),
            _query_logging,
        ),
        Profile(
            "memory-cache", "memory-cache", "an in-memory query result cache", (), _memory_cache,
            "memory-cache: the node's API (--server) caches answers; the query task does not",
        ),
    )
}  # fmt: skip
#: Upstream's name of the Kafka profile is kafka-consumer; the guide also says kafka.
ALIASES = {"kafka": "kafka-consumer"}


def resolve(name: str) -> Profile:
    profile = PROFILES.get(ALIASES.get(name, name))
    if profile is None:
        from heroic_cli.shell.errors import unknown  # noqa: PLC0415

        raise unknown("profile", name, PROFILES)
    return profile


def known_keys(profiles: Mapping[str, Profile]) -> set[str]:
    return {f"{p.scope}.{param.name}" for p in profiles.values() for param in p.parameters}
