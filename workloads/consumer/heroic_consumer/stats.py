"""Prometheus metrics of the consumer node, in a registry of its own (served on ``/metrics``).

Counts what the issue asks for (consumed, written per backend, malformed, errors, lag) plus the
state a probe or an operator needs (in-flight batches, paused, uncommitted). Only counting
here: no I/O, no decisions.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

_PREFIX = "heroic_consumer"


class ConsumerStats:
    """Every metric of one consumer process."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        reg = self.registry
        self.consumed = Counter(
            f"{_PREFIX}_messages_consumed",
            "Messages fetched from the source",
            ["source"],
            registry=reg,
        )
        self.samples = Counter(
            f"{_PREFIX}_samples_decoded",
            "Samples (points) decoded from good messages",
            ["source"],
            registry=reg,
        )
        self.malformed = Counter(
            f"{_PREFIX}_messages_malformed",
            "Messages rejected by the schema (category malformed or unsupported)",
            ["source", "category"],
            registry=reg,
        )
        self.dead_lettered = Counter(
            f"{_PREFIX}_messages_dead_lettered",
            "Rejected messages published to the dead-letter topic",
            ["source"],
            registry=reg,
        )
        self.filtered = Counter(
            f"{_PREFIX}_samples_filtered", "Samples dropped by ingestion.filter", registry=reg
        )
        self.committed = Counter(
            f"{_PREFIX}_messages_committed",
            "Messages committed/acknowledged after their writes",
            ["source"],
            registry=reg,
        )
        self.written = Counter(
            f"{_PREFIX}_writes",
            "Successful backend writes (one per series and batch)",
            ["backend", "function"],
            registry=reg,
        )
        self.points_written = Counter(
            f"{_PREFIX}_points_written",
            "Points written per metric backend",
            ["backend"],
            registry=reg,
        )
        self.errors = Counter(
            f"{_PREFIX}_errors",
            "Failed operations (each is retried with backoff)",
            ["backend", "function"],
            registry=reg,
        )
        self.lag = Gauge(
            f"{_PREFIX}_lag",
            "Messages not yet committed, per partition",
            ["source", "partition"],
            registry=reg,
        )
        self.in_flight = Gauge(
            f"{_PREFIX}_in_flight_batches", "Batches being written", registry=reg
        )
        self.uncommitted = Gauge(
            f"{_PREFIX}_uncommitted_messages",
            "Messages consumed and not yet committed",
            registry=reg,
        )
        self.paused = Gauge(
            f"{_PREFIX}_paused",
            "1 while consumption is paused (backpressure or outage)",
            registry=reg,
        )
        self.held = Gauge(
            f"{_PREFIX}_held",
            "1 while paused on request (the shell's pause task), until resumed",
            registry=reg,
        )
        self.backend_down = Gauge(
            f"{_PREFIX}_backend_failing", "1 while writes to the backend are being retried",
            ["backend"], registry=reg,
        )  # fmt: skip

    def error_count(self) -> int:
        """Failed operations so far, over every backend and function."""
        return int(
            sum(
                sample.value
                for metric in self.errors.collect()
                for sample in metric.samples
                if sample.name.endswith("_total")
            )
        )

    def set_lag(self, source: str, lag: dict[str, int]) -> None:
        """Replace the per-partition lag gauges of ``source``."""
        for labels in [k for k in _label_sets(self.lag) if k[0] == source]:
            self.lag.remove(*labels)
        for partition, value in lag.items():
            self.lag.labels(source, partition).set(value)


def _label_sets(gauge: Gauge) -> list[tuple[str, ...]]:
    """The label values currently exported by ``gauge``."""
    return [
        tuple(sample.labels[name] for name in ("source", "partition"))
        for metric in gauge.collect()
        for sample in metric.samples
    ]
