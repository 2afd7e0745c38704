"""The query result cache on a real memcached (Debian's, a cached artifact this module starts on
a free port): answers are shared between nodes, stored gzip-compressed with upstream's TTL as
memcached's expiry, and a memcached that goes away only makes queries uncached."""

from __future__ import annotations

import getpass
import gzip
import json
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from heroic_testenv.builds import artifact
from heroic_testenv.procs import ComponentError
from tests.unit.api.cache_helpers import CACHE_QUERY, MovableClock, cache_client, metric
from tests.unit.api.helpers import NOW, query, write

START, END = 600_000, 720_000
BODY = {
    "range": {"type": "absolute", "start": START, "end": END},
    "aggregation": {"type": "average", "sampling": {"unit": "MINUTES", "value": 1}},
}
POINTS = [(START + 10_000 * i, float(i)) for i in range(1, 13)]


class Memcached:
    """A memcached process on 127.0.0.1:``port``."""

    def __init__(self, binary: Path) -> None:
        self.binary = binary
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        argv = [str(binary), "-l", "127.0.0.1", "-p", str(self.port), "-U", "0", "-m", "16"]
        if getpass.getuser() == "root":
            argv += ["-u", "root"]  # memcached refuses to run as root unless told to
        self.process = subprocess.Popen(argv)
        deadline = time.monotonic() + 10
        while not self.command("version").startswith("VERSION"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"memcached did not start on port {self.port}")
            time.sleep(0.05)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def command(self, line: str) -> str:
        """Send one text-protocol command; the first reply line ("" when not listening)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2) as conn:
                conn.sendall(line.encode() + b"\r\n")
                return conn.recv(65536).decode(errors="replace").split("\r\n")[0]
        except OSError:
            return ""

    def value(self, key: str) -> bytes | None:
        """The raw stored value of ``key``."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as conn:
            conn.sendall(f"get {key}\r\n".encode())
            data = b""
            while not data.endswith(b"END\r\n"):
                data += conn.recv(65536)
        if data == b"END\r\n":
            return None
        header, _, rest = data.partition(b"\r\n")
        length = int(header.split()[3])
        return rest[:length]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@pytest.fixture(scope="module")
def memcached() -> Iterator[Memcached]:
    try:
        binary = artifact("memcached") / "root" / "usr" / "bin" / "memcached"
    except ComponentError as exc:
        pytest.skip(f"the memcached artifact cannot be built here: {exc}")
    server = Memcached(binary)
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def node(memcached: Memcached, clock: MovableClock, seeded: bool) -> Iterator[TestClient]:
    extra: dict[str, Any] = {
        "cache": {"type": "memcached", "addresses": [memcached.address]},
        "features": [CACHE_QUERY],
    }
    with cache_client(extra, clock) as client:
        if seeded:
            write(client, "cpu", {"host": "a"}, POINTS)
        yield client


def test_nodes_sharing_memcached_share_answers(memcached: Memcached) -> None:
    clock = MovableClock(NOW + 20_000)
    with node(memcached, clock, seeded=True) as first:
        computed = query(first, BODY)
        assert computed["cached"] is False
        assert computed["result"], "the seeded node should find the series"
    with node(memcached, clock, seeded=False) as second:
        shared = query(second, BODY)
        assert (shared["cached"], shared["cache"]) == (True, {**computed["cache"], "cached": True})
        assert shared["result"] == computed["result"]
        assert metric(second, "heroic_query_cache_hits_total") == 1


def test_answers_are_stored_gzipped_with_the_ttl_as_expiry(memcached: Memcached) -> None:
    clock = MovableClock(NOW + 30_000)
    body = {**BODY, "filter": ["=", "host", "a"]}
    with node(memcached, clock, seeded=True) as client:
        answer = query(client, body)
    key = answer["cache"]["cacheKey"]
    assert answer["cache"]["ttl"] == 30
    stored = memcached.value(key)
    assert stored is not None
    kept = json.loads(gzip.decompress(stored))
    assert kept["result"] == answer["result"]
    assert kept["range"] == answer["range"]
    # memcached's meta get with the t flag: "HD t<seconds the item has left>"
    reply = memcached.command(f"mg {key} t")
    assert reply.startswith("HD t"), reply
    assert 25 <= int(reply.removeprefix("HD t")) <= 30


def test_a_memcached_that_goes_away_makes_queries_uncached_not_failed(
    memcached: Memcached,
) -> None:
    server = Memcached(memcached.binary)  # its own server: this test stops it
    clock = MovableClock(NOW + 20_000)
    try:
        with node(server, clock, seeded=True) as client:
            assert query(client, BODY)["cached"] is False
            assert query(client, BODY)["cached"] is True
            server.stop()
            answer = query(client, BODY)
            assert answer["cached"] is False
            assert answer["result"]
            assert metric(client, "heroic_query_cache_errors_total", operation="get") >= 1
    finally:
        server.stop()
