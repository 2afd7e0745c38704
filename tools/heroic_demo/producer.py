"""Demo metrics in ffwd JSON (Heroic's Spotify100 schema), produced to Kafka once a second:
two gauges per host, and per host a request-latency distribution (a t-digest of the second's
simulated latencies) for ``tdigest`` queries."""

from __future__ import annotations

import base64
import json
import math
import random
import threading
import time

from confluent_kafka import Producer

from heroic_core import tdigest

HOSTS = ("web-1", "web-2", "db-1")
KEYS = ("cpu-usage", "memory-used")
LATENCY_KEY = "request-latency"
#: Simulated requests per host and second; latencies in ms, lognormal around 20 ms per host.
REQUESTS = 200


def demo_message(key: str, host: str, now_ms: int) -> bytes:
    """One ffwd 1.1.0 message: a smooth wave per host, so queries show something."""
    phase = HOSTS.index(host) + KEYS.index(key) * 3
    value = 50 + 40 * math.sin(now_ms / 60_000 + phase)
    return json.dumps(
        {
            "version": "1.1.0",
            "key": key,
            "host": host,
            "time": now_ms,
            "attributes": {"site": "demo", "what": key},
            "value": round(value, 3),
        }
    ).encode()


def latency_message(host: str, now_ms: int, rng: random.Random) -> bytes:
    """One ffwd 2.0.0 message whose value is a t-digest of a second of request latencies."""
    median = 20.0 * (1 + HOSTS.index(host))
    sketch = tdigest.from_values(rng.lognormvariate(math.log(median), 0.5) for _ in range(REQUESTS))
    payload = base64.b64encode(tdigest.encode(sketch)).decode("ascii")
    return json.dumps(
        {
            "version": "2.0.0",
            "key": LATENCY_KEY,
            "host": host,
            "time": now_ms,
            "attributes": {"site": "demo", "what": LATENCY_KEY, "unit": "ms"},
            "value": {"distributionValue": payload},
        }
    ).encode()


class DemoProducer(threading.Thread):
    """Produces one message per host and key every second until stopped."""

    def __init__(self, servers: str, topic: str) -> None:
        super().__init__(name="demo-producer", daemon=True)
        self._producer: Producer | None = Producer({"bootstrap.servers": servers, "linger.ms": 50})
        self.topic = topic
        self.stopped = threading.Event()
        self.sent = 0

    def run(self) -> None:
        producer = self._producer
        if producer is None:
            return
        rng = random.Random(0)  # noqa: S311 - demo data, not crypto
        while not self.stopped.is_set():
            now = int(time.time() * 1000)
            for key in KEYS:
                for host in HOSTS:
                    producer.produce(self.topic, demo_message(key, host, now))
                    self.sent += 1
            for host in HOSTS:
                producer.produce(self.topic, latency_message(host, now, rng))
                self.sent += 1
            producer.poll(0)
            self.stopped.wait(1.0)
        producer.flush(10)
        # Drop the client now: a live one keeps reconnecting (and logging) once Kafka stops.
        self._producer = None
        del producer

    def stop(self, timeout: float = 15.0) -> None:
        """Stop producing and wait for the last messages to be delivered, so that the caller
        can stop Kafka afterwards without the client retrying against it."""
        self.stopped.set()
        if self.is_alive():
            self.join(timeout)
