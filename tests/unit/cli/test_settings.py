"""Process settings of every ``heroic`` command: flags over ``HEROIC_*`` variables over defaults,
one argparse error (exit code 2) naming flag and variable, and ``--help`` naming both."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from typing import Any

import kopf
import pytest

from heroic_cli.main import SUBCOMMANDS, parse
from heroic_operator.process import cli as operator_cli

#: The variables a developer's shell or the test environment could set, cleared per test.
OUR_VARIABLES = ("WATCH_NAMESPACES", "POD_NAMESPACE", "POD_NAME")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("HEROIC_") or name in OUR_VARIABLES:
            monkeypatch.delenv(name)


def settings(*argv: str) -> Any:
    return parse(argv)[1]


@pytest.mark.parametrize(
    ("command", "variable", "field", "expected"),
    [
        ("api", ("HEROIC_API_PORT", "9001"), "port", 9001),
        ("api", ("HEROIC_API_LOG_LEVEL", "debug"), "log_level", "DEBUG"),
        ("node", ("HEROIC_NODE_CONSUMER_PORT", "9002"), "consumer_port", 9002),
        ("consumer", ("HEROIC_CONSUMER_BATCH_SIZE", "7"), "batch_size", 7),
        ("consumer", ("HEROIC_CONSUMER_DEAD_LETTER_TOPIC", "dlq"), "dead_letter_topic", "dlq"),
        ("configure", ("HEROIC_CONFIGURE_ONLY", "kafka, pubsub"), "only", ["kafka", "pubsub"]),
        ("configure", ("HEROIC_CONFIGURE_VERBOSE", "true"), "verbose", True),
        ("operator", ("HEROIC_OPERATOR_WORKERS", "3"), "workers", 3),
        ("operator", ("HEROIC_OPERATOR_LEADER_ELECT", "1"), "leader_elect", True),
        ("operator", ("WATCH_NAMESPACES", "a,b"), "namespaces", ["a", "b"]),
        ("operator", ("POD_NAMESPACE", "heroic"), "lease_namespace", "heroic"),
        ("operator", ("POD_NAME", "heroic-0"), "identity", "heroic-0"),
    ],
)
def test_a_variable_sets_a_value(
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    variable: tuple[str, str],
    field: str,
    expected: object,
) -> None:
    if field == "leader_elect":
        monkeypatch.setenv("POD_NAMESPACE", "heroic")
    assert getattr(settings(command), field) != expected
    monkeypatch.setenv(*variable)
    assert getattr(settings(command), field) == expected


@pytest.mark.parametrize(
    ("argv", "variable", "field", "expected"),
    [
        (("api", "--port", "9000"), "HEROIC_API_PORT", "port", 9000),
        (
            ("consumer", "--dead-letter-topic=flag"),
            "HEROIC_CONSUMER_DEAD_LETTER_TOPIC",
            "dead_letter_topic",
            "flag",
        ),
        (("configure", "--only", "kafka"), "HEROIC_CONFIGURE_ONLY", "only", ["kafka"]),
        (("operator", "-n", "a", "--namespace", "b"), "WATCH_NAMESPACES", "namespaces", ["a", "b"]),
        (("operator", "--workers=5"), "HEROIC_OPERATOR_WORKERS", "workers", 5),
    ],
)
def test_a_flag_beats_its_variable(
    monkeypatch: pytest.MonkeyPatch, argv: tuple[str, ...], variable: str, field: str, expected: Any
) -> None:
    monkeypatch.setenv(variable, "1")
    assert getattr(settings(*argv), field) == expected


def test_defaults_without_flags_or_variables() -> None:
    api, operator = settings("api"), settings("operator")
    assert (api.port, api.log_level) == (None, "INFO")
    assert (operator.port, operator.workers, operator.namespaces) == (8080, 8, [])


def test_an_empty_variable_is_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEROIC_OPERATOR_PORT", "")
    assert settings("operator").port == 8080


def test_all_namespaces_flag_beats_watch_namespaces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCH_NAMESPACES", "a")
    assert settings("operator", "-A").operator_config().namespaces == []


def test_namespace_flag_beats_the_all_namespaces_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEROIC_OPERATOR_ALL_NAMESPACES", "true")
    assert settings("operator", "-n", "a").operator_config().namespaces == ["a"]


@pytest.mark.parametrize(
    ("argv", "env", "expected"),
    [
        (("api",), {"HEROIC_API_PORT": "abc"}, "--port / HEROIC_API_PORT: invalid value 'abc'"),
        (("api", "--port", "abc"), {}, "--port / HEROIC_API_PORT: invalid value 'abc'"),
        (("node", "--log-level", "loud"), {}, "--log-level / HEROIC_NODE_LOG_LEVEL"),
        (("consumer",), {"HEROIC_CONSUMER_BATCH_SIZE": "0"}, "HEROIC_CONSUMER_BATCH_SIZE"),
        (("configure", "--only", "mysql"), {}, "--only / HEROIC_CONFIGURE_ONLY"),
        (
            ("operator",),
            {"WATCH_NAMESPACES": "a", "HEROIC_OPERATOR_ALL_NAMESPACES": "1"},
            "use either --namespace",
        ),
        (("operator", "--leader-elect"), {}, "--leader-elect needs --lease-namespace"),
    ],
)
def test_an_invalid_value_is_one_error_naming_flag_and_variable(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: tuple[str, ...],
    env: dict[str, str],
    expected: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as exited:
        parse(argv)
    assert exited.value.code == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
    assert len(errors) == 1
    assert errors[0].startswith(f"heroic {argv[0]}: error: ")
    assert expected in errors[0]


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("api", ["--port PORT", "HEROIC_API_PORT", "default: INFO; env: HEROIC_API_LOG_LEVEL"]),
        ("node", ["HEROIC_NODE_CONSUMER_PORT", "default: 0"]),
        ("consumer", ["HEROIC_CONSUMER_DEAD_LETTER_TOPIC", "default: heroic.yml"]),
        ("configure", ["-v, --verbose", "HEROIC_CONFIGURE_VERBOSE", "default: 30"]),
        (
            "operator",
            [
                "--namespace NS, -n NS",
                "-A",
                "HEROIC_OPERATOR_NAMESPACES or WATCH_NAMESPACES",
                "HEROIC_OPERATOR_LEASE_NAMESPACE or POD_NAMESPACE",
                "default: 8080; env: HEROIC_OPERATOR_PORT",
                "HEROIC_OPERATOR_IDENTITY / POD_NAME",
            ],
        ),
    ],
)
def test_help_names_each_variable_and_default(
    capsys: pytest.CaptureFixture[str], command: str, expected: list[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        parse([command, "--help"])
    assert exited.value.code == 0
    # argparse wraps help at the terminal's width: compare with the line breaks undone.
    text = " ".join(capsys.readouterr().out.split())
    for part in expected:
        assert part in text


def test_every_command_has_settings() -> None:
    for command in SUBCOMMANDS:
        assert parse([command])[1] is not None


@pytest.fixture
def root_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name in operator_cli.NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)


@pytest.mark.usefixtures("root_logging")
def test_the_operator_logs_json_lines(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = {"name": "c"}

    class NoOperator:
        def __init__(self, config: object) -> None:
            self.config = config

        async def run(self) -> None:
            kopf_extra = {"settings": kopf.OperatorSettings(), "k8s_skip": False}
            logging.getLogger("kopf.objects").warning("x", extra=kopf_extra | {"k8s_ref": ref})

    monkeypatch.setattr(operator_cli, "Operator", NoOperator)
    assert operator_cli.run(settings("operator", "--log-level", "info")) == 0
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert lines[0]["level"] == "INFO"
    assert lines[0]["logger"] == "heroic_operator"
    assert lines[0]["message"].startswith("heroic operator ")
    # kopf's per-object records: the object they name, not kopf's whole settings object.
    assert lines[1]["k8s_ref"] == {"name": "c"}
    assert "settings" not in lines[1]
    assert "k8s_skip" not in lines[1]
