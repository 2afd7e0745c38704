"""CQL of the ``ng`` schema (reference 8.2): keyspace, table and the prepared statements.

Pure text. Names are validated here because CQL identifiers cannot be bound as parameters.
The table is created without ``COMPACT STORAGE``, which Cassandra 4+ no longer accepts; its
columns are those of upstream's table, so the CQL reads and writes are the same.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from heroic_core.backends.errors import BackendRejectedError

TABLE = "metrics"
_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,47}$")


def check_keyspace(name: str) -> str:
    """``name`` if it is a valid unquoted keyspace name, else ``BackendRejectedError``."""
    if not _IDENTIFIER.match(name):
        raise BackendRejectedError(
            f"invalid cassandra keyspace name {name!r}: use letters, digits and underscores "
            "(at most 48, starting with a letter)"
        )
    return name


def _literal(value: str | int) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise BackendRejectedError(f"invalid replication value {value!r}")
    text = str(value)
    return "'" + text.replace("'", "''") + "'"


def replication_map(replication: Mapping[str, str | int]) -> str:
    """``{'class': 'SimpleStrategy', 'replication_factor': '3'}`` as CQL."""
    if "class" not in replication:
        raise BackendRejectedError("cassandra replication needs a 'class'")
    body = ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in replication.items())
    return "{" + body + "}"


def create_keyspace(keyspace: str, replication: Mapping[str, str | int]) -> str:
    return (
        f"CREATE KEYSPACE IF NOT EXISTS {check_keyspace(keyspace)} "
        f"WITH REPLICATION = {replication_map(replication)}"
    )


def create_table(keyspace: str) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {check_keyspace(keyspace)}.{TABLE} ("
        "metric_key blob, data_timestamp_offset int, data_value double, "
        "PRIMARY KEY (metric_key, data_timestamp_offset))"
    )


def insert(keyspace: str) -> str:
    return (
        f"INSERT INTO {check_keyspace(keyspace)}.{TABLE} "  # noqa: S608 - name validated
        "(metric_key, data_timestamp_offset, data_value) VALUES (?, ?, ?)"
    )


def select(keyspace: str) -> str:
    return (
        "SELECT data_timestamp_offset, data_value "  # noqa: S608 - name validated
        f"FROM {check_keyspace(keyspace)}.{TABLE} "
        "WHERE metric_key = ? AND data_timestamp_offset > ? AND data_timestamp_offset <= ? "
        "LIMIT ?"
    )


def select_keys(keyspace: str, after: str | None, before: str | None, limit: bool) -> str:
    """Distinct row keys with their tokens; ``after``/``before`` are ``"key"`` (bound by the
    token of a bound metric key) or ``"token"`` (a bound token), inclusive and exclusive."""
    bounds = {"key": "token(?)", "token": "?"}
    where = []
    if after is not None:
        where.append(f"token(metric_key) >= {bounds[after]}")
    if before is not None:
        where.append(f"token(metric_key) < {bounds[before]}")
    text = (
        "SELECT DISTINCT metric_key, token(metric_key) "  # noqa: S608 - name validated
        f"FROM {check_keyspace(keyspace)}.{TABLE}"
    )
    if where:
        text += " WHERE " + " AND ".join(where)
    return text + (" LIMIT ?" if limit else "")


def count_key(keyspace: str) -> str:
    return (
        f"SELECT count(*) FROM {check_keyspace(keyspace)}.{TABLE} "  # noqa: S608 - validated
        "WHERE metric_key = ?"
    )


def delete_key(keyspace: str) -> str:
    return f"DELETE FROM {check_keyspace(keyspace)}.{TABLE} WHERE metric_key = ?"  # noqa: S608
