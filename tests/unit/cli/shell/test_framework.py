"""The shell's frame: profiles and -X parameters into a heroic.yml, the runner's errors and
exit codes, help. Tasks are tested in their own modules."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from heroic_cli.main import main
from heroic_cli.shell.config import build
from heroic_cli.shell.context import ShellContext, ShellIO
from heroic_cli.shell.errors import UsageError
from heroic_cli.shell.runner import run_task
from heroic_core.config import HeroicConfig
from heroic_core.config.metadata import MemoryMetadataConfig, MemorySuggestConfig

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_guide_bigtable_profile_builds_a_configured_bigtable_backend() -> None:
    built = build(
        None,
        ["bigtable"],
        ["bigtable.project=p", "bigtable.instance=i", "bigtable.credentials=default",
         "bigtable.configure"],
    )  # fmt: skip
    (backend,) = built.config.metrics.backends
    assert backend.type == "bigtable"
    assert (backend.project, backend.instance, backend.configure) == ("p", "i", True)
    assert backend.credentials.type == "default"


def test_guide_cassandra_profile_takes_datastax_configure() -> None:
    built = build(None, ["cassandra"], ["cassandra.seeds=a,b:9043", "datastax.configure"])
    (backend,) = built.config.metrics.backends
    assert backend.type == "datastax"
    assert backend.seeds == ["a", "b:9043"]
    assert backend.configure is True


def test_guide_elasticsearch_profiles_share_their_seeds() -> None:
    built = build(
        None, ["elasticsearch-suggest", "elasticsearch-metadata"], ["elasticsearch.seeds=es:9200"]
    )
    for section in (built.config.metadata, built.config.suggest):
        (backend,) = section.backends
        assert backend.type == "elasticsearch"
        assert not isinstance(backend, MemoryMetadataConfig | MemorySuggestConfig)
        assert backend.connection.client.seeds == ["es:9200"]
    assert built.config.metrics.backends == []


def test_profiles_add_backends_to_a_config_file(tmp_path: Path) -> None:
    file = tmp_path / "heroic.yml"
    file.write_text("metrics:\n  backends:\n    - type: memory\n")
    built = build(str(file), ["memory"], [])
    assert [b.type for b in built.config.metrics.backends] == ["memory", "memory"]
    assert built.source.startswith(str(file))


@pytest.mark.parametrize(
    ("profiles", "extra", "message"),
    [
        (["nope"], [], "unknown profile 'nope'; valid: bigtable, cassandra"),
        (["memory"], ["bigtable.project=p"], "unknown parameter -X 'bigtable.project'; valid:"),
        (["bigtable"], [], "needs -X bigtable.project"),
        (["bigtable"], ["bigtable.project=p", "bigtable.credentials=magic"], "credentials=magic"),
        (["cassandra"], ["cassandra.fetchSize=many"], "cassandra.fetchSize=many: not an integer"),
        (["elasticsearch-metadata"], ["elasticsearch.interval=soon"], "elasticsearch.interval"),
        (["memory"], ["configure=perhaps"], "configure=perhaps: not a boolean"),
    ],
)
def test_bad_profiles_and_parameters_name_themselves(
    profiles: list[str], extra: list[str], message: str
) -> None:
    with pytest.raises(UsageError, match=message.replace("(", r"\(")):
        build(None, profiles, extra)


def test_profiles_this_node_does_not_fully_do_warn() -> None:
    built = build(None, ["memory", "memory-cache"], [])
    assert built.warnings == [
        "memory-cache: the node's API (--server) caches answers; the query task does not"
    ]


def _context() -> tuple[ShellContext, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    return ShellContext(HeroicConfig.default(), ShellIO(out=out, err=err)), out, err


async def test_unknown_task_and_argument_are_usage_errors() -> None:
    ctx, _, err = _context()
    assert await run_task(ctx, ["nosuch"]) == 2
    assert "unknown task 'nosuch'; valid: " in err.getvalue()
    assert "configure" in err.getvalue()
    assert await run_task(ctx, ["configure", "--bogus"]) == 2
    assert (
        "configure: unrecognized arguments: --bogus; valid options: --group, --help, --no-data"
        in err.getvalue()
    )


async def test_help_lists_tasks_and_shows_one() -> None:
    ctx, out, _ = _context()
    assert await run_task(ctx, ["help"]) == 0
    assert "parse-query" in out.getvalue()
    assert await run_task(ctx, ["help", "configure"]) == 0
    assert "--no-data" in out.getvalue()
    assert await run_task(ctx, ["configure", "--help"]) == 0


async def test_a_failing_task_is_one_line_and_exit_1() -> None:
    ctx, _, err = _context()
    assert await run_task(ctx, ["parse-query", "average(", "from"]) == 1
    assert err.getvalue().startswith("error: parse-query: ")
    assert len(err.getvalue().strip().splitlines()) == 1


async def test_backends_and_configure_on_memory() -> None:
    ctx, out, _ = _context()
    assert await run_task(ctx, ["backends"]) == 0
    assert out.getvalue().splitlines()[0].startswith("metrics: ")
    assert await run_task(ctx, ["configure"]) == 0
    await ctx.close()


def test_command_line_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["shell", "-P", "memory", "--", "backends"]) == 0
    assert "MemoryMetricBackend" in capsys.readouterr().out
    assert main(["shell", "-P", "bogus", "--", "backends"]) == 2
    assert "unknown profile 'bogus'" in capsys.readouterr().err
    assert main(["shell", "-P", "memory", "--", "parse-query", "average("]) == 1


def test_help_lists_profiles_and_their_parameters(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["shell", "--help"])
    text = capsys.readouterr().out
    assert "-X bigtable.project=<project>" in text
    assert "elasticsearch-suggest" in text


async def test_upstream_options_without_effect_are_warned_about() -> None:
    ctx, _, err = _context()
    assert await run_task(ctx, ["keys", "--tracing", "--limit", "1"]) == 0
    assert "warning: keys: --tracing has no effect: key scans are not traced" in err.getvalue()
    ctx2, _, err2 = _context()
    assert await run_task(ctx2, ["keys", "--limit", "1"]) == 0
    assert "warning" not in err2.getvalue()
