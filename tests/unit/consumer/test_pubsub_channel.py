"""The Pub/Sub subscriber channel carries the config's receive limit and keepalive."""

from __future__ import annotations

from heroic_consumer.sources.pubsub_channel import channel_options
from heroic_core.config import PubSubConsumerConfig


def test_channel_options_follow_max_inbound_message_size_and_keep_alive() -> None:
    config = PubSubConsumerConfig.model_validate({
        "type": "pubsub", "schema": "com.spotify.heroic.consumer.schemas.Spotify100",
        "project": "p", "topic": "t", "subscription": "s",
        "maxInboundMessageSize": 4096, "keepAlive": 45,
    })  # fmt: skip
    options = dict(channel_options(config))
    assert options["grpc.max_receive_message_length"] == 4096
    assert options["grpc.keepalive_time_ms"] == 45_000
