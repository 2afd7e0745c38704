"""A fetch of one series reads at most ``MAX_FETCH_ROWS`` rows: an absurd range is a clear
request error, not millions of planned requests (a 0..2^62 range exhausted memory)."""

from __future__ import annotations

import pytest

from heroic_core.backends.bigtable import rowkey
from heroic_core.backends.cassandra import keys
from heroic_core.backends.rows import MAX_FETCH_ROWS
from heroic_core.errors import RequestError
from heroic_core.model import DateRange


@pytest.mark.parametrize(
    ("windows", "width", "store"),
    [(rowkey.windows, rowkey.PERIOD, "Bigtable"), (keys.windows, keys.ROW_WIDTH, "Cassandra")],
)
def test_a_range_of_too_many_rows_is_refused(windows: object, width: int, store: str) -> None:
    assert callable(windows)
    widest = DateRange(0, width * (MAX_FETCH_ROWS - 1))
    assert len(list(windows(widest))) == MAX_FETCH_ROWS
    with pytest.raises(RequestError, match=rf"spans {MAX_FETCH_ROWS + 1} {store} rows"):
        list(windows(DateRange(0, width * MAX_FETCH_ROWS)))
    with pytest.raises(RequestError, match="at most 10000 are read per fetch"):
        list(windows(DateRange(0, 2**62)))
