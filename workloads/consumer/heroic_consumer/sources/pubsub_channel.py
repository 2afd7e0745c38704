"""The gRPC channel of the Pub/Sub subscriber, with upstream's ``maxInboundMessageSize`` and
``keepAlive`` (seconds) applied.

google-cloud-pubsub builds its channel with a fixed option list (no receive limit, 30 s
keepalive); to honour the two settings the consumer builds the channel itself and hands the
client a transport over it: plaintext without credentials for an emulator, otherwise the
library's own secure channel with application-default credentials. Nothing else here.
"""

from __future__ import annotations

from typing import Any

import grpc
from google.pubsub_v1.services.subscriber.transports.grpc import SubscriberGrpcTransport

from heroic_core.config import PubSubConsumerConfig

#: What google-cloud-pubsub sets besides the two options the config controls.
_LIBRARY_OPTIONS: list[tuple[str, int]] = [
    ("grpc.max_send_message_length", -1),
    ("grpc.max_metadata_size", 4 * 1024 * 1024),
]


def channel_options(config: PubSubConsumerConfig) -> list[tuple[str, int]]:
    """The gRPC channel options for ``config``."""
    return [
        *_LIBRARY_OPTIONS,
        ("grpc.max_receive_message_length", config.max_inbound_message_size),
        ("grpc.keepalive_time_ms", config.keep_alive * 1000),
    ]


def subscriber_transport(config: PubSubConsumerConfig, endpoint: str | None) -> Any:
    """A subscriber transport over a channel with the config's options (``endpoint``: an
    emulator's host:port)."""
    options = channel_options(config)
    if endpoint:
        channel = grpc.insecure_channel(endpoint, options=options)
    else:
        channel = SubscriberGrpcTransport.create_channel(options=options)
    return SubscriberGrpcTransport(channel=channel)
