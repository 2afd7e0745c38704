"""What every batch decoder shares: ``DecodedBatch`` (columns and rejected messages), the
``BatchDecoder`` protocol and ``ReferencePath``, which hands one message to the reference
decoder of ``decode.py`` (the meaning and every error's wording) when a fast path declines it.
No I/O, no logging.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from heroic_consumer.columns import Columns
from heroic_consumer.decode import DecodeError, Decoder, DistributionSample
from heroic_consumer.series_cache import SeriesCache

MALFORMED = "malformed"
UNSUPPORTED = "unsupported"
UNSUPPORTED_DISTRIBUTION = (
    "distribution points cannot be stored: no metric backend of this consumer stores them "
    "(only bigtable and memory do)"
)


@dataclass(slots=True)
class DecodedBatch:
    """The columns of the accepted messages and ``(index, reason, category)`` per rejected
    one (``index`` into the payloads given to ``decode``)."""

    columns: Columns = field(default_factory=Columns)
    rejected: list[tuple[int, str, str]] = field(default_factory=list)


class BatchDecoder(Protocol):
    """Decodes the bodies of one fetched batch."""

    #: "native" (compiled) or "python": what the consumer logs at start.
    kind: str

    def decode(self, payloads: Sequence[bytes]) -> DecodedBatch: ...


class ReferencePath:
    """Messages through the reference decoder of ``decode.py``."""

    def __init__(self, cache: SeriesCache, reference: Decoder, distributions: bool) -> None:
        self.cache = cache
        self.reference = reference
        self.distributions = distributions

    def slow(self, index: int, payload: bytes, out: DecodedBatch) -> None:
        try:
            samples = self.reference(payload)
        except DecodeError as exc:
            out.rejected.append((index, str(exc), MALFORMED))
            return
        if not self.distributions and any(type(s) is DistributionSample for s in samples):
            out.rejected.append((index, UNSUPPORTED_DISTRIBUTION, UNSUPPORTED))
            return
        columns, of = out.columns, self.cache.of
        for sample in samples:
            if isinstance(sample, DistributionSample):
                columns.distributions.append((of(sample.series), sample.timestamp, sample.value))
            else:
                columns.append(of(sample.series), sample.timestamp, sample.value)
