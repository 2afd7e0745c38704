"""Bigtable bulk writes are split into requests under the mutation limit, keeping entry order."""

from __future__ import annotations

from google.cloud.bigtable.data import RowMutationEntry, SetCell

from heroic_core.backends.bigtable.backend import chunk_by_mutations


def _entry(key: int, cells: int) -> RowMutationEntry:
    return RowMutationEntry(
        str(key).encode(), [SetCell("points", i.to_bytes(4, "big"), b"v") for i in range(cells)]
    )


def _shape(chunks: list[list[RowMutationEntry]]) -> list[list[int]]:
    return [[len(e.mutations) for e in chunk] for chunk in chunks]


def test_entries_are_grouped_up_to_the_limit_in_order() -> None:
    entries = [_entry(i, n) for i, n in enumerate([4, 3, 3, 5, 1, 10])]
    chunks = list(chunk_by_mutations(entries, 10))
    assert _shape(chunks) == [[4, 3, 3], [5, 1], [10]]
    assert [e.row_key for chunk in chunks for e in chunk] == [e.row_key for e in entries]


def test_everything_under_the_limit_is_one_request() -> None:
    assert _shape(list(chunk_by_mutations([_entry(i, 2) for i in range(5)], 100))) == [[2] * 5]


def test_no_entries_is_no_request() -> None:
    assert list(chunk_by_mutations([], 10)) == []
