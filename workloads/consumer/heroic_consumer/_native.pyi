"""Type stub of the compiled batch decoder (workloads/consumer/native, Rust)."""

from collections.abc import Iterable

#: ``(locals, timestamps, values, messages, distinct, fresh, declined, distributions)``:
#: per point the batch-local series index (int32), time (int64), value (float64) and message
#: index (int32), each column as native-endian bytes; the table id of each batch-local index;
#: ``(id, key, tags with host, resource, series id)`` per identity new in this batch (the
#: maps sorted, the series id upstream's Murmur3 hash); the indexes of the
#: messages left to the reference decoder; ``(message, local, time, payload)`` per
#: distribution point.
Decoded = tuple[
    bytes,
    bytes,
    bytes,
    bytes,
    list[int],
    list[tuple[int, str, dict[str, str], dict[str, str], str]],
    list[int],
    list[tuple[int, int, int, bytes]],
]

class SeriesTable:
    """Raw series identities -> ids, oldest evicted first; ids are reused."""

    def __init__(self) -> None: ...
    def __len__(self) -> int: ...
    def intern(self, key: bytes) -> tuple[int, bool]: ...
    def evict(self, count: int) -> list[int]: ...

def decode_spotify100(table: SeriesTable, payloads: Iterable[bytes]) -> Decoded: ...
def decode_spotify100_proto(
    table: SeriesTable, payloads: Iterable[bytes], distributions: bool
) -> Decoded: ...
