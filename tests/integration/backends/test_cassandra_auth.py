"""Cassandra with password authentication, for real: a second node from the same cached jars,
started with ``PasswordAuthenticator`` (the default superuser ``cassandra``/``cassandra``).

``heroic configure`` and the metric backend log in with the password from the environment; a
wrong password is a permanent failure with one clear line; and the config the operator renders
for a Cassandra behind a password Secret works once the pod's variable is set."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from heroic_core.backends.cassandra.backend import CassandraMetricBackend
from heroic_core.config import HeroicConfig
from heroic_core.model import DateRange, Points, Series
from heroic_operator.desired.components import configure_targets
from heroic_operator.spec import parse_cluster
from heroic_testenv import procs
from heroic_testenv.builds import artifact
from heroic_testenv.components.cassandra import Cassandra
from heroic_testenv.paths import run_dir
from tests.integration.backends.test_configure import cassandra_config, heroic_configure

pytestmark = pytest.mark.cassandra
PASSWORD_ENV = "HEROIC_TEST_CASSANDRA_PASSWORD"
SUPERUSER = ("cassandra", "cassandra")


@pytest.fixture(scope="module")
def secured_seed() -> Iterator[str]:
    """host:port of a Cassandra node that asks for a login, once it accepts the superuser."""
    from cassandra.auth import PlainTextAuthProvider  # noqa: PLC0415
    from cassandra.cluster import Cluster, NoHostAvailable  # noqa: PLC0415

    node = Cassandra(
        name=f"cassandra-auth-{uuid.uuid4().hex[:6]}", authenticator="PasswordAuthenticator"
    )
    run = run_dir()
    env = node.start(run, {"cassandra": artifact("cassandra")})
    try:
        host, port = env["CASSANDRA_CONTACT_POINTS"].rsplit(":", 1)
        deadline = time.monotonic() + 60
        while True:  # the superuser role is set up just after the CQL port opens
            cluster = Cluster([(host, int(port))], auth_provider=PlainTextAuthProvider(*SUPERUSER))
            try:
                cluster.connect()
                break
            except NoHostAvailable:
                assert time.monotonic() < deadline, "the superuser never could log in"
                time.sleep(1)
            finally:
                cluster.shutdown()
        yield env["CASSANDRA_CONTACT_POINTS"]
    finally:
        procs.stop(run, node.name)


def with_login(config: dict[str, Any], username: str = "cassandra") -> dict[str, Any]:
    backend = config["metrics"]["backends"][0]
    backend["authentication"] = {"type": "plain", "username": username, "passwordEnv": PASSWORD_ENV}
    return config


def test_configure_and_the_backend_log_in(
    secured_seed: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, SUPERUSER[1])
    keyspace = f"auth_{uuid.uuid4().hex[:8]}"
    config = with_login(cassandra_config(keyspace, seed=secured_seed))
    code, output = heroic_configure(config, tmp_path)
    assert code == 0, output
    assert f"created cassandra keyspace {keyspace}" in output

    backend_config = HeroicConfig.from_dict(config).metrics.backends[0]
    series = Series("auth-probe", {"host": "a"})
    points = Points(np.array([1000, 2000], dtype=np.int64), np.array([1.0, 2.0]))

    async def round_trip() -> list[tuple[int, float]]:
        backend = CassandraMetricBackend(backend_config)
        try:
            await backend.write(series, points)
            fetched = await backend.fetch(series, DateRange(0, 10_000))
            return [(p.timestamp, p.value) for p in fetched]
        finally:
            await backend.close()

    assert asyncio.run(round_trip()) == [(1000, 1.0), (2000, 2.0)]


def test_no_or_a_wrong_password_is_a_permanent_failure(
    secured_seed: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "not-the-password")
    code, output = heroic_configure(
        with_login(cassandra_config("auth_bad", secured_seed)), tmp_path
    )
    assert code == 78, output
    assert output.startswith("heroic configure: permanent failure: cassandra")
    assert "Authentication" in output or "credentials" in output.lower()
    assert len(output.strip().splitlines()) == 1

    code, output = heroic_configure(cassandra_config("auth_none", secured_seed), tmp_path)
    assert code == 78, output
    assert "permanent failure" in output


def test_the_operators_rendered_config_for_a_password_secret(
    secured_seed: str, tmp_path: Path
) -> None:
    keyspace = f"auth_op_{uuid.uuid4().hex[:8]}"
    cassandra = {
        "seeds": [secured_seed],
        "keyspace": keyspace,
        "replication": {"class": "SimpleStrategy", "replication_factor": 1},
        "authentication": {
            "username": SUPERUSER[0],
            "passwordSecretRef": {"name": "cassandra-credentials", "key": "password"},
        },
    }
    body = {
        "metadata": {"name": "auth", "namespace": "ns", "uid": "u", "generation": 1},
        "spec": {
            "image": "heroic:test",
            "backends": {"metrics": {"type": "cassandra", "cassandra": cassandra}},
        },
    }
    (target,) = [t for t in configure_targets(parse_cluster(body)) if t.key == "cassandra"]
    (use,) = target.rendered.secrets
    rendered = yaml.safe_load(target.rendered.text)
    login = rendered["metrics"]["backends"][0]["authentication"]
    assert login == {"type": "plain", "username": SUPERUSER[0], "passwordEnv": use.env}
    code, output = heroic_configure(rendered, tmp_path, env={use.env: SUPERUSER[1]})
    assert code == 0, output
    assert f"created cassandra keyspace {keyspace}" in output
