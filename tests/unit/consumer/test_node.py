"""Node assembly and command line: configurations the node cannot run are refused with a clear
message (exit code 2), write functions come from ``ingestion``, Kafka settings are safe for
at-least-once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from heroic_cli.main import parse
from heroic_consumer import cli
from heroic_consumer.batch_decode import DECODER_ENV
from heroic_consumer.node import (
    ConsumerNode,
    NodeConfigError,
    NodeOptions,
    functions_from,
    run_node,
)
from heroic_consumer.sources.kafka import KafkaSource, client_settings
from heroic_consumer.writer import Functions
from heroic_core.backends.factory import build_backends
from heroic_core.config import HeroicConfig, KafkaConsumerConfig
from tests.unit.consumer.helpers import KINDS

MEMORY = {
    "metrics": {"backends": [{"type": "memory"}]},
    "metadata": {"backends": [{"type": "memory"}]},
    "suggest": {"backends": [{"type": "memory"}]},
}
KAFKA = {
    "type": "kafka",
    "schema": "com.spotify.heroic.consumer.schemas.Spotify100",
    "topics": ["metrics"],
    "config": {"bootstrap.servers": "127.0.0.1:1", "group.id": "g"},
}


def _config(**sections: Any) -> HeroicConfig:
    return HeroicConfig.from_dict(MEMORY | sections)


def _node(config: HeroicConfig, **options: Any) -> ConsumerNode:
    return ConsumerNode(NodeOptions(config=config, **options), build_backends(config))


def test_node_without_consumers_is_refused() -> None:
    with pytest.raises(NodeConfigError, match="no consumers configured"):
        _node(_config())


def test_collectd_consumer_is_refused_by_name() -> None:
    collectd = {"type": "collectd"}
    with pytest.raises(NodeConfigError, match="consumer type collectd is not supported"):
        _node(_config(consumers=[collectd]))


def test_enabled_functions_without_backends_are_refused() -> None:
    config = HeroicConfig.from_dict(
        {"metadata": {"backends": [{"type": "memory"}]}, "consumers": [KAFKA]}
    )
    with pytest.raises(NodeConfigError, match=r"\(metrics\) have no backends"):
        _node(config, functions=Functions(True, False, False))


def test_functions_follow_ingestion_flags() -> None:
    config = _config(ingestion={"updateMetrics": False, "updateSuggestions": False})
    assert functions_from(config) == Functions(metrics=False, metadata=True, suggest=False)


def test_split_consumer_writes_only_its_functions() -> None:
    node = _node(
        _config(consumers=[KAFKA], ingestion={"updateMetrics": False}),
    )
    assert node.writer.functions.names() == ["metadata", "suggest"]
    assert node.writer.metrics == ()


def test_writes_flag_overrides_ingestion() -> None:
    node = _node(_config(consumers=[KAFKA]), functions=Functions.parse("suggest"))
    assert (len(node.writer.metrics), len(node.writer.metadata), len(node.writer.suggest)) == (
        0,
        0,
        1,
    )


@pytest.mark.parametrize("text", ["", "metric", "metrics,points"])
def test_functions_parse_rejects_unknown_names(text: str) -> None:
    with pytest.raises(ValueError, match="subset of metrics, metadata, suggest"):
        Functions.parse(text)


def test_kafka_settings_drop_legacy_keys_and_force_manual_commits() -> None:
    config = KafkaConsumerConfig.model_validate(
        KAFKA
        | {
            "config": {
                "bootstrap.servers": "b:9092",
                "group.id": "heroic",
                "zookeeper.connect": "zk:2181",
                "auto.commit.enable": "true",
                "enable.auto.commit": "true",
                "auto.offset.reset": "latest",
            }
        }
    )
    settings = client_settings(config)
    assert "zookeeper.connect" not in settings
    assert "auto.commit.enable" not in settings
    assert settings["enable.auto.commit"] == "false"
    assert settings["enable.auto.offset.store"] == "false"
    assert settings["auto.offset.reset"] == "latest"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"bootstrap.servers": "b:9092"}, "group.id"),
        ({"group.id": "g"}, "bootstrap.servers"),
    ],
)
def test_kafka_settings_require_group_and_brokers(config: dict[str, str], message: str) -> None:
    consumer = KafkaConsumerConfig.model_validate(KAFKA | {"config": config})
    with pytest.raises(ValueError, match=message):
        client_settings(consumer)


@pytest.mark.anyio
async def test_run_node_exits_2_on_an_unusable_configuration() -> None:
    assert await run_node(NodeOptions(config=_config())) == 2


def test_cli_exits_2_on_a_missing_config_file(tmp_path: Path) -> None:
    assert cli.run(cli.ConsumerSettings(config=str(tmp_path / "absent.yml"))) == 2


def test_cli_rejects_unknown_write_functions(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        parse(["consumer", "--writes", "metrics,points"])
    assert exited.value.code == 2
    assert "subset of metrics, metadata, suggest" in capsys.readouterr().err


def test_status_counts_consuming_loops_and_errors_in_upstreams_shape() -> None:
    node = _node(_config(consumers=[KAFKA, KAFKA]))
    assert node.status() == {
        "ok": False,
        "available": 2,
        "ready": 0,
        "errors": 0,
        "consumingThreads": 0,
        "totalThreads": 2,
    }
    node.pipelines[0].running = True
    node.stats.errors.labels("memory", "metrics").inc(3)
    status = node.status()
    assert (status["ok"], status["ready"], status["errors"], status["consumingThreads"]) == (
        False,
        1,
        3,
        1,
    )
    node.pipelines[1].running = True
    assert node.status()["ok"] is True
    node.stop.set()
    assert node.status()["ok"] is False
    assert node.status()["ready"] == 0


def test_a_refused_login_makes_the_node_unready_until_the_client_works() -> None:
    node = _node(_config(consumers=[KAFKA]))
    node.pipelines[0].running = True
    assert node.ready() == (True, "ok")
    source = node.pipelines[0].source
    assert isinstance(source, KafkaSource)
    source.health.error("_AUTHENTICATION", "SASL authentication error: Invalid username")
    ok, detail = node.ready()
    assert not ok
    assert detail == "kafka: _AUTHENTICATION: SASL authentication error: Invalid username"
    assert node.status()["ok"] is False
    source.health.working()
    assert node.ready() == (True, "ok")
    assert node.status()["ok"] is True


PUBSUB = {
    "type": "pubsub",
    "schema": "com.spotify.heroic.consumer.schemas.Spotify100",
    "project": "p",
    "topic": "t",
    "subscription": "s",
    "threadsPerSubscription": 3,
    "maxOutstandingElementCount": 50,
}


def test_pubsub_threads_are_pipelines_sharing_one_flow_control() -> None:
    node = _node(_config(consumers=[PUBSUB, KAFKA]))
    assert [len(group) for group in node.groups] == [3, 1]
    flows = {id(getattr(p.source, "flow", None)) for p in node.groups[0]}
    assert len(flows) == 1
    assert getattr(node.groups[0][0].source, "flow").max_messages == 50  # noqa: B009


def test_status_counts_consumers_as_available_and_pipelines_as_threads() -> None:
    node = _node(_config(consumers=[PUBSUB]))
    for pipeline in node.pipelines[:2]:
        pipeline.running = True
    status = node.status()
    assert (status["available"], status["ready"], status["ok"]) == (1, 0, False)
    assert (status["consumingThreads"], status["totalThreads"]) == (2, 3)
    node.pipelines[2].running = True
    assert node.status()["ready"] == 1
    assert node.status()["ok"] is True


def test_transaction_interval_without_transactional_is_warned_about_by_path(
    caplog: pytest.LogCaptureFixture,
) -> None:
    interval = KAFKA | {"transactionCommitInterval": 5000}
    with caplog.at_level("WARNING", logger="heroic_consumer.node"):
        _node(_config(consumers=[KAFKA, interval]))
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        "Setting consumers[1].transactionCommitInterval has no effect without transactional: "
        "true (offsets are then committed after every written batch)"
    ]


def test_query_serving_sections_are_warned_about_by_name(
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = _config(
        consumers=[KAFKA],
        cache={"type": "memory"},
        queryLogging={"type": "slf4j"},
        tracing={"probability": 1.0},
    )
    with caplog.at_level("WARNING", logger="heroic_consumer.node"):
        _node(config)
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        "Setting cache has no effect on a consumer node, which answers no queries",
        "Setting queryLogging has no effect on a consumer node, which answers no queries",
        "Setting tracing has no effect: the consumer node does not trace",
    ]


def test_transactional_kafka_commits_on_its_interval() -> None:
    config = _config(consumers=[KAFKA | {"transactional": True, "transactionCommitInterval": 7000}])
    source = _node(config).pipelines[0].source
    assert isinstance(source, KafkaSource)
    assert source.schedule.interval == 7.0
    plain = _node(_config(consumers=[KAFKA])).pipelines[0].source
    assert isinstance(plain, KafkaSource)
    assert plain.schedule.interval == 0.0


def test_cli_refuses_threads_per_topic_by_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "heroic.yml"
    path.write_text(json.dumps(MEMORY | {"consumers": [KAFKA | {"threadsPerTopic": 4}]}))
    assert cli.run(cli.ConsumerSettings(config=str(path))) == 2
    logged = json.loads(capsys.readouterr().err.strip().splitlines()[-1])["message"]
    assert "consumers[0].threadsPerTopic: 4 is not supported" in logged
    assert "replicas" in logged


@pytest.mark.parametrize("kind", KINDS)
def test_the_node_logs_which_batch_decoder_it_uses(
    kind: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DECODER_ENV, kind)
    with caplog.at_level("INFO", logger="heroic_consumer.node"):
        _node(_config(consumers=[KAFKA]))
    logged = [(r.getMessage(), r.decoder) for r in caplog.records if hasattr(r, "decoder")]
    assert logged == [(f"Decoding with the {kind} batch decoder", kind)]


def test_an_unknown_decoder_asked_for_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DECODER_ENV, "fortran")
    with pytest.raises(NodeConfigError, match="HEROIC_CONSUMER_DECODER must be one of"):
        _node(_config(consumers=[KAFKA]))
