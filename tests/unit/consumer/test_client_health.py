"""ClientHealth: the latest blocking problem for readiness, and logging that does not flood."""

from __future__ import annotations

import logging

import pytest

from heroic_consumer.sources.client_health import REPEAT_LOG_SECONDS, ClientHealth


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_refused_login_is_the_problem_until_the_client_works(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    health = ClientHealth(logging.getLogger("test.kafka"), clock)
    assert health.problem is None
    health.error("_AUTHENTICATION", "Invalid username or password")
    assert health.problem == "_AUTHENTICATION: Invalid username or password"
    health.error("_NOT_COORDINATOR", "a single failed request")  # not blocking
    assert health.problem == "_AUTHENTICATION: Invalid username or password"
    with caplog.at_level(logging.INFO):
        health.working()
    assert health.problem is None
    assert "works again" in caplog.text


def test_repeated_errors_are_logged_once_a_minute_with_a_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    health = ClientHealth(logging.getLogger("test.kafka"), clock)
    with caplog.at_level(logging.WARNING):
        for _ in range(200):  # librdkafka retries several times a second
            health.error("_AUTHENTICATION", "refused")
            clock.now += 0.25
        clock.now += REPEAT_LOG_SECONDS
        health.error("_AUTHENTICATION", "refused")
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2 + int(200 * 0.25 // REPEAT_LOG_SECONDS)
    assert lines[0] == "Kafka client error: _AUTHENTICATION: refused"
    assert lines[-1].startswith("Kafka client error: _AUTHENTICATION: refused (and ")
    assert "more times since the last report" in lines[-1]


def test_messages_flowing_do_not_reset_the_rate_limit(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    health = ClientHealth(logging.getLogger("test.kafka"), clock)
    with caplog.at_level(logging.WARNING):
        for _ in range(10):  # a non-blocking error between batches of messages
            health.error("_NOT_COORDINATOR", "moved")
            health.working()
            clock.now += 1
    assert len(caplog.records) == 1
