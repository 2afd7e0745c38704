"""Cassandra round trip with cassandra-driver."""

from __future__ import annotations

import os
import uuid

import pytest
from cassandra.cluster import Cluster

pytestmark = pytest.mark.cassandra


def test_keyspace_table_write_and_read() -> None:
    host, port = os.environ["CASSANDRA_CONTACT_POINTS"].rsplit(":", 1)
    cluster = Cluster([host], port=int(port), protocol_version=5)
    session = cluster.connect()
    keyspace = f"smoke_{uuid.uuid4().hex[:8]}"
    try:
        session.execute(
            f"CREATE KEYSPACE {keyspace} WITH replication = "
            "{'class': 'SimpleStrategy', 'replication_factor': 1}"
        )
        session.execute(
            f"CREATE TABLE {keyspace}.points (k text, ts bigint, v double, PRIMARY KEY (k, ts))"
        )
        insert = session.prepare(f"INSERT INTO {keyspace}.points (k, ts, v) VALUES (?, ?, ?)")
        for ts in (1000, 2000):
            session.execute(insert, ("cpu", ts, ts / 10))
        rows = session.execute(f"SELECT ts, v FROM {keyspace}.points WHERE k = %s", ("cpu",))
        assert [(r.ts, r.v) for r in rows] == [(1000, 100.0), (2000, 200.0)]
    finally:
        session.execute(f"DROP KEYSPACE IF EXISTS {keyspace}")
        cluster.shutdown()
