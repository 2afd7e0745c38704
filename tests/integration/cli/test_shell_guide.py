"""The production guide's three shell commands, verbatim (``heroic-shell`` for
``tools/heroic-shell``), typed at the interactive prompt through a pseudo-terminal, against the
test environment's Bigtable emulator, Cassandra and Elasticsearch; what ``configure`` reports
is then checked in the backend itself."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import sys
import time
import uuid
from pathlib import Path

import pexpect
import pytest

from heroic_core.backends.bigtable.backend import BigtableMetricBackend
from heroic_core.config import HeroicConfig
from heroic_core.model import DateRange, Points, Series
from tests.integration.backends.search_engines import template_names

PROMPT = "heroic>"  # prompt_toolkit draws the space with a cursor move, not a character
_ANSI = re.compile(r"\x1b\[[0-9;?]*[a-zA-Z]|\x1b[()][AB0-2]|[\r\x08]")


def plain(text: str) -> str:
    """What a terminal shows of ``text``, roughly: escape sequences and carriage returns out."""
    return _ANSI.sub("", text)


def shell(*args: str, home: Path | None = None) -> pexpect.spawn:
    """``heroic-shell ARGS`` on a pseudo-terminal (the console script, else the module)."""
    script = shutil.which("heroic-shell", path=os.path.dirname(sys.executable))
    argv = [*args] if script else ["-m", "heroic_cli.main", "shell", *args]
    child = pexpect.spawn(
        script or sys.executable, argv, encoding="utf-8", timeout=120,
        # pexpect does not answer cursor position requests; prompt_toolkit would wait for it
        env={**os.environ, "PROMPT_TOOLKIT_NO_CPR": "1", **({"HOME": str(home)} if home else {})},
        dimensions=(40, 200),
    )  # fmt: skip
    child.expect_exact(PROMPT)
    # Keys sent before prompt_toolkit has put the terminal in raw mode wait for a newline.
    time.sleep(0.5)
    return child


def run_at_prompt(child: pexpect.spawn, line: str, until: str) -> str:
    """Type ``line``; what the terminal shows up to the output matching ``until`` (a regex;
    the prompt is redrawn as the line is accepted, so it cannot mark the output's end)."""
    child.sendline(line)
    child.expect(until)
    return plain(child.before + child.after)


def leave(child: pexpect.spawn) -> None:
    child.sendline("exit")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


@pytest.mark.bigtable
def test_bigtable_guide_command() -> None:
    instance = f"guide-{uuid.uuid4().hex[:8]}"
    child = shell(
        "-P", "bigtable", "-X", "bigtable.project=heroic-test",
        "-X", f"bigtable.instance={instance}", "-X", "bigtable.credentials=default",
        "-X", "bigtable.configure",
    )  # fmt: skip
    output = run_at_prompt(child, "configure", r"bigtable#0: created nothing[^\r\n]*\r")
    leave(child)
    # -X bigtable.configure created the table when the backends opened; the task finds it
    assert f"configured bigtable#0: created bigtable table {instance}/metrics" in output, output
    assert f"already there: bigtable table {instance}/metrics" in output, output
    config = HeroicConfig.from_dict(
        {"metrics": {"backends": [{"type": "bigtable", "project": "heroic-test",
                                    "instance": instance}]}}
    )  # fmt: skip
    backend_config = config.metrics.backends[0]
    assert backend_config.type == "bigtable"

    async def round_trip() -> list[tuple[int, float]]:
        backend = BigtableMetricBackend(backend_config)
        try:
            series = Series("guide", {"shell": "yes"})
            await backend.write(series, Points.of([(1000, 1.5)]))
            return [(p.timestamp, p.value) for p in await backend.fetch(series, DateRange(0, 2000))]
        finally:
            await backend.close()

    assert asyncio.run(round_trip()) == [(1000, 1.5)]


@pytest.mark.cassandra
def test_cassandra_guide_command() -> None:
    from cassandra.cluster import Cluster  # noqa: PLC0415 - only with Cassandra up

    seeds = os.environ["CASSANDRA_CONTACT_POINTS"]
    child = shell("-P", "cassandra", "-X", f"cassandra.seeds={seeds}", "-X", "datastax.configure")
    output = run_at_prompt(child, "configure", r"already there: [^\r\n]*\r")
    leave(child)
    assert "keyspace heroic" in output, output
    host, port = seeds.rsplit(":", 1)
    cluster = Cluster([(host, int(port))])
    try:
        tables = cluster.connect().execute(
            "SELECT table_name FROM system_schema.tables WHERE keyspace_name = 'heroic'"
        )
        assert "metrics" in {row.table_name for row in tables}
    finally:
        cluster.shutdown()


@pytest.mark.elasticsearch
def test_elasticsearch_guide_command() -> None:
    seeds = os.environ["ELASTICSEARCH_URL"].removeprefix("http://")
    child = shell(
        "-P", "elasticsearch-suggest", "-P", "elasticsearch-metadata",
        "-X", f"elasticsearch.seeds={seeds}",
    )  # fmt: skip
    output = run_at_prompt(child, "configure", r"(already there: [^\r\n]*\r[^\r]*){2}")
    leave(child)
    assert output.count("already there") == 2, output
    templates = template_names(os.environ["ELASTICSEARCH_URL"], "*")
    assert any(name.startswith("heroic-metadata") for name in templates), sorted(templates)
    assert any(name.startswith("heroic-suggest") for name in templates), sorted(templates)


def test_prompt_completes_keeps_history_and_survives_a_failure(tmp_path: Path) -> None:
    child = shell("-P", "memory", home=tmp_path)
    child.send("parse-q")
    child.expect_exact(" parse-query ")  # the completion menu offers the task
    child.send("\t")
    child.expect_exact("uery")  # Tab completed the line
    child.sendline(" average(")
    child.expect("error: parse-query: ")
    child.expect_exact(PROMPT)  # a failing task leaves the prompt open
    assert "metrics: memory#0" in run_at_prompt(child, "backends", "MemoryMetricBackend")
    assert "valid: " in run_at_prompt(child, "nosuch", r"unknown task 'nosuch'; valid: \S+")
    leave(child)
    history = (tmp_path / ".heroic_shell_history").read_text()
    assert "+backends" in history
    assert "+parse-query average(" in history
