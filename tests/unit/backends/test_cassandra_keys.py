"""Cassandra ``metric_key`` bytes, partition windows and CQL text (reference 8.2)."""

from __future__ import annotations

import pytest

from heroic_core.backends.cassandra import schema
from heroic_core.backends.cassandra.keys import (
    ROW_WIDTH,
    OffsetWindow,
    decode_metric_key,
    metric_key,
    windows,
)
from heroic_core.backends.errors import BackendRejectedError
from heroic_core.model import DateRange, Series

# sstr("key") | 2 tags: sstr(k) sstr(v) ... | 0 resource entries | cvarlong(base)
TAGS_HEX = "020466726f6d0331323302746f0434353637"


@pytest.mark.parametrize(
    ("series", "base", "expected"),
    [
        (Series("key", {"from": "123", "to": "4567"}), 1, "036b6579" + TAGS_HEX + "00" + "01"),
        (
            Series("key", {"from": "123", "to": "4567"}, {"r": "x"}),
            ROW_WIDTH,
            "036b6579" + TAGS_HEX + "01" + "0172" + "0178" + "fffefefe06",
        ),
    ],
)
def test_metric_key_bytes(series: Series, base: int, expected: str) -> None:
    assert metric_key(series, base).hex() == expected
    assert decode_metric_key(bytes.fromhex(expected)) == (series, base)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (10, 20, [OffsetWindow(0, 10, 20)]),
        (20, 20, []),
        (-1, 0, [OffsetWindow(0, -1, 0)]),
        (ROW_WIDTH - 1, ROW_WIDTH, [OffsetWindow(ROW_WIDTH, -1, 0)]),
        (
            ROW_WIDTH - 2,
            ROW_WIDTH + 3,
            [OffsetWindow(0, ROW_WIDTH - 2, ROW_WIDTH - 1), OffsetWindow(ROW_WIDTH, -1, 3)],
        ),
    ],
)
def test_windows_select_start_exclusive_end_inclusive(
    start: int, end: int, expected: list[OffsetWindow]
) -> None:
    assert list(windows(DateRange(start, end))) == expected


def test_create_keyspace_renders_replication_from_config() -> None:
    cql = schema.create_keyspace("heroic", {"class": "NetworkTopologyStrategy", "dc1": 3})
    assert cql == (
        "CREATE KEYSPACE IF NOT EXISTS heroic WITH REPLICATION = "
        "{'class': 'NetworkTopologyStrategy', 'dc1': '3'}"
    )


def test_create_table_matches_upstream_columns() -> None:
    assert schema.create_table("heroic") == (
        "CREATE TABLE IF NOT EXISTS heroic.metrics (metric_key blob, "
        "data_timestamp_offset int, data_value double, "
        "PRIMARY KEY (metric_key, data_timestamp_offset))"
    )


@pytest.mark.parametrize("name", ["", "1abc", "a-b", "a;DROP KEYSPACE x", "k" * 49])
def test_invalid_keyspace_names_are_rejected(name: str) -> None:
    with pytest.raises(BackendRejectedError, match="invalid cassandra keyspace name"):
        schema.check_keyspace(name)


def test_replication_without_class_is_rejected() -> None:
    with pytest.raises(BackendRejectedError, match="needs a 'class'"):
        schema.create_keyspace("heroic", {"replication_factor": 1})


def test_replication_values_are_quoted_literals() -> None:
    assert schema.replication_map({"class": "x'y"}) == "{'class': 'x''y'}"
