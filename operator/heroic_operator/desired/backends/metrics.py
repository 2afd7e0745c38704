"""The ``metrics`` section: the metric backend (Bigtable, Cassandra or memory)."""

from __future__ import annotations

from typing import Any

from heroic_operator.desired.render import SecretUse, Section
from heroic_operator.spec import MetricsBackend

CASSANDRA_PASSWORD_ENV = "HEROIC_CASSANDRA_PASSWORD"  # noqa: S105 - a variable name, not a value


def metrics_section(spec: MetricsBackend, *, configure: bool = False) -> Section:
    """``metrics.backends[0]`` for the chosen backend, and its credentials Secret if any."""
    if spec.type == "bigtable" and spec.bigtable is not None:
        bt = spec.bigtable
        out: dict[str, Any] = {"type": "bigtable", "project": bt.project}
        out |= {"instance": bt.instance, "table": bt.table, "configure": configure}
        if bt.profile:
            out["profile"] = bt.profile
        if bt.emulator_endpoint:
            out["emulatorEndpoint"] = bt.emulator_endpoint
        uses: tuple[SecretUse, ...] = ()
        if bt.credentials_secret_ref is not None:
            use = SecretUse(bt.credentials_secret_ref)
            out["credentials"] = {"type": "json", "path": use.path}
            uses = (use,)
        return _section(out, uses)
    if spec.type == "cassandra" and spec.cassandra is not None:
        cs = spec.cassandra
        schema: dict[str, Any] = {"type": "ng", "keyspace": cs.keyspace}
        if cs.replication:
            schema["replication"] = dict(cs.replication)
        out = {"type": "datastax", "seeds": list(cs.seeds), "schema": schema}
        out |= {"configure": configure, "consistencyLevel": cs.consistency_level}
        uses = ()
        if cs.authentication is not None:
            auth = cs.authentication
            out["authentication"] = {
                "type": "plain",
                "username": auth.username,
                "passwordEnv": CASSANDRA_PASSWORD_ENV,
            }
            uses = (SecretUse(auth.password_secret_ref, env=CASSANDRA_PASSWORD_ENV),)
        return _section(out, uses)
    return _section({"type": "memory"}, ())


def _section(backend: dict[str, Any], uses: tuple[SecretUse, ...]) -> Section:
    return Section({"metrics": {"backends": [backend]}}, uses)
