"""Bigtable emulator round trip with google-cloud-bigtable."""

from __future__ import annotations

import uuid

import pytest
from google.cloud.bigtable import Client
from google.cloud.bigtable.row_set import RowSet

pytestmark = pytest.mark.bigtable


def test_table_family_mutate_rows_and_read_rows() -> None:
    client = Client(project="heroic-testenv", admin=True)
    instance = client.instance("heroic")
    table = instance.table(f"smoke-{uuid.uuid4().hex[:8]}")
    table.create(column_families={"points": None})
    try:
        assert "points" in table.list_column_families()
        rows = []
        for key in (b"row-a", b"row-b"):
            row = table.direct_row(key)
            row.set_cell("points", b"\x00\x01", key + b"-value")
            rows.append(row)
        assert [status.code for status in table.mutate_rows(rows)] == [0, 0]
        row_set = RowSet()
        row_set.add_row_range_from_keys(start_key=b"row-", end_key=b"row-z")
        read = {
            r.row_key: r.cells["points"][b"\x00\x01"][0].value
            for r in table.read_rows(row_set=row_set)
        }
        assert read == {b"row-a": b"row-a-value", b"row-b": b"row-b-value"}
    finally:
        table.delete()
