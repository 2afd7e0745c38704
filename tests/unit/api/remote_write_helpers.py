"""Building remote-write requests for the tests: ``WriteRequest``s from the descriptor, Snappy
bodies, and the headers Prometheus sends."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any

import cramjam

from heroic_api.services.prometheus.remote_proto import WriteRequest

#: What Prometheus' remote-write 1.0 sender puts on every request.
V1_HEADERS = {
    "Content-Type": "application/x-protobuf",
    "Content-Encoding": "snappy",
    "X-Prometheus-Remote-Write-Version": "0.1.0",
}
#: Prometheus' staleness marker as a float (a NaN with a payload).
STALE_NAN: float = struct.unpack("<d", struct.pack("<Q", 0x7FF0000000000002))[0]

Labels = Sequence[tuple[str, str]]
Samples = Sequence[tuple[int, float]]


def request(*series: tuple[Labels, Samples], exemplars: int = 0, histograms: int = 0) -> Any:
    """A ``WriteRequest`` of ``(labels, [(timestamp, value)])`` series; the first series gets
    ``exemplars`` exemplars and ``histograms`` (opaque) native histograms."""
    message = WriteRequest()
    for index, (labels, samples) in enumerate(series):
        entry = message.timeseries.add()
        for name, value in labels:
            entry.labels.add(name=name, value=value)
        for timestamp, sample in samples:
            entry.samples.add(timestamp=timestamp, value=sample)
        if index == 0:
            for i in range(exemplars):
                exemplar = entry.exemplars.add(value=1.0, timestamp=i)
                exemplar.labels.add(name="trace_id", value="t")
            entry.histograms.extend([b"\x08\x05"] * histograms)  # count_int: 5
    return message


def body(*series: tuple[Labels, Samples], **extra: int) -> bytes:
    """The Snappy-compressed serialized ``request(*series, **extra)``."""
    return snappy(request(*series, **extra).SerializeToString())


def snappy(data: bytes) -> bytes:
    return bytes(cramjam.snappy.compress_raw(data))
