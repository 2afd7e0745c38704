"""What the metric stores keeping one row (or partition) per series and period share: how
many of them one fetch may read, and which part of a range one row holds.

A fetch of ``(start, end]`` reads one row per period the range touches; a range such as
``0..2^62`` would plan about 2^30 requests and exhaust memory before the first one is sent.
"""

from __future__ import annotations

from heroic_core.errors import RequestError
from heroic_core.model import DateRange

#: Rows one fetch of one series may read: about 1,360 years of Bigtable rows (2^32 ms each),
#: 680 of Cassandra partitions; no real query comes near it.
MAX_FETCH_ROWS = 10_000


def check_rows(range: DateRange, width: int, store: str) -> None:
    """Refuse a range that would read more than ``MAX_FETCH_ROWS`` rows ``width`` ms wide."""
    first = max(range.start + 1, 0)
    if range.end < first:
        return
    rows = range.end // width - first // width + 1
    if rows > MAX_FETCH_ROWS:
        raise RequestError(
            f"range ({range.start}, {range.end}] spans {rows} {store} rows of one series; "
            f"at most {MAX_FETCH_ROWS} are read per fetch"
        )


def row_window(base: int, width: int, range: DateRange) -> DateRange | None:
    """The part of ``(range.start, range.end]`` inside the row ``[base, base + width)``, or
    None when they do not meet."""
    start = max(range.start, base - 1)
    end = min(range.end, base + width - 1)
    return DateRange(start, end) if start < end else None
