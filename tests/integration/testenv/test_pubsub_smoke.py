"""Pub/Sub fake round trip with google-cloud-pubsub."""

from __future__ import annotations

import os
import uuid

import pytest
from google.cloud import pubsub_v1

pytestmark = pytest.mark.pubsub


def test_topic_subscription_publish_pull_ack() -> None:
    project = os.environ.get("PUBSUB_PROJECT_ID", "heroic-testenv")
    publisher = pubsub_v1.PublisherClient()
    subscriber = pubsub_v1.SubscriberClient()
    suffix = uuid.uuid4().hex[:8]
    topic = publisher.topic_path(project, f"smoke-{suffix}")
    subscription = subscriber.subscription_path(project, f"smoke-{suffix}")
    publisher.create_topic(name=topic)
    subscriber.create_subscription(name=subscription, topic=topic, ack_deadline_seconds=10)
    try:
        publisher.publish(topic, b"point-1", origin="smoke").result(timeout=30)
        response = subscriber.pull(subscription=subscription, max_messages=10, timeout=30)
        messages = [m.message for m in response.received_messages]
        assert [(m.data, m.attributes["origin"]) for m in messages] == [(b"point-1", "smoke")]
        subscriber.acknowledge(
            subscription=subscription, ack_ids=[m.ack_id for m in response.received_messages]
        )
        again = subscriber.pull(
            subscription=subscription, max_messages=10, timeout=5, return_immediately=True
        )
        assert list(again.received_messages) == []
    finally:
        subscriber.delete_subscription(subscription=subscription)
        publisher.delete_topic(topic=topic)
