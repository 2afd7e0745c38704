"""What a source's client reports about its connection: the current problem, for readiness,
and log lines that do not flood.

librdkafka retries a refused login or an unreachable broker by itself, several times a second,
calling its error callback each time. ``ClientHealth`` keeps the latest such problem (until
the client proves it works again: a partition assignment or a message) and logs a problem
when it first appears, then at most once a minute with how often it repeated. Pure apart from
the logging; the clock is injectable.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

#: librdkafka codes that mean "cannot consume now" (not a single failed request).
BLOCKING_CODES = frozenset(
    {"_AUTHENTICATION", "_ALL_BROKERS_DOWN", "_TRANSPORT", "_SSL", "_RESOLVE", "_NO_BROKERS"}
)
REPEAT_LOG_SECONDS = 60.0


@dataclass
class ClientHealth:
    """The latest blocking problem of one client, and rate-limited logging of every error."""

    log: logging.Logger
    clock: Callable[[], float] = time.monotonic
    problem: str | None = None
    _logged: dict[str, tuple[float, int]] = field(default_factory=dict)

    def error(self, code: str, text: str) -> None:
        """An error reported by the client (its error callback)."""
        if code in BLOCKING_CODES:
            self.problem = f"{code}: {text}"
        now = self.clock()
        last = self._logged.get(code)
        if last is not None and now - last[0] < REPEAT_LOG_SECONDS:
            self._logged[code] = (last[0], last[1] + 1)
            return
        repeated = last[1] if last is not None else 0
        self._logged[code] = (now, 0)
        suffix = f" (and {repeated} more times since the last report)" if repeated else ""
        self.log.warning("Kafka client error: %s: %s%s", code, text, suffix, extra={"code": code})

    def working(self) -> None:
        """The client did something only a connected, logged-in client can do (called for
        every batch of messages: nothing to do unless there was a problem)."""
        if self.problem is None:
            return
        self.log.info("Kafka client works again", extra={"after": self.problem})
        self.problem = None
        self._logged.clear()
