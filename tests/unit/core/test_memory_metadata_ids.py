"""The memory metadata backend indexes series by id; series that share an id (upstream's id
has no separators, so key "a" with tag bc=d and key "ab" with tag c=d hash alike) stay apart."""

from __future__ import annotations

import pytest

from heroic_core.backends.memory import MemoryMetadataBackend
from heroic_core.filters import TRUE, And, Filter, MatchKey, MatchTag, Or
from heroic_core.model import DateRange, Series

RANGE = DateRange(0, 1000)
FIRST = Series("a", {"bc": "d"})
SECOND = Series("ab", {"c": "d"})
OTHER = Series("a", {"bc": "e"})

pytestmark = pytest.mark.anyio


async def found(backend: MemoryMetadataBackend, filter: Filter) -> list[Series]:
    return list((await backend.find_series(filter, RANGE)).series)


def test_the_two_series_share_an_id() -> None:
    assert FIRST.id == SECOND.id
    assert FIRST != SECOND


async def test_series_sharing_an_id_are_both_kept_and_told_apart() -> None:
    backend = MemoryMetadataBackend()
    await backend.write_many([(FIRST, RANGE), (SECOND, RANGE), (OTHER, RANGE)])
    assert await found(backend, TRUE) == sorted([FIRST, SECOND, OTHER])
    assert await found(backend, MatchKey("a")) == sorted([FIRST, OTHER])
    assert await found(backend, MatchKey("ab")) == [SECOND]
    assert await found(backend, MatchTag("bc", "d")) == [FIRST]
    assert await found(backend, MatchTag("c", "d")) == [SECOND]
    assert await found(backend, And((MatchKey("ab"), MatchTag("bc", "d")))) == []
    assert await found(backend, Or((MatchKey("ab"), MatchTag("bc", "e")))) == sorted(
        [SECOND, OTHER]
    )
    assert (await backend.count_series(MatchKey("ab"), RANGE)).count == 1


async def test_writing_a_series_again_keeps_one_entry() -> None:
    backend = MemoryMetadataBackend()
    await backend.write(FIRST, RANGE)
    await backend.write(Series("a", {"bc": "d"}), RANGE)  # equal, another object
    await backend.write(SECOND, RANGE)
    await backend.write(Series("ab", {"c": "d"}), RANGE)
    assert await found(backend, TRUE) == sorted([FIRST, SECOND])


@pytest.mark.parametrize("doomed", [FIRST, SECOND])
async def test_deleting_one_of_two_series_sharing_an_id_keeps_the_other(doomed: Series) -> None:
    backend = MemoryMetadataBackend()
    await backend.write_many([(FIRST, RANGE), (SECOND, RANGE)])
    kept = SECOND if doomed is FIRST else FIRST
    assert await backend.delete_series(MatchKey(doomed.key), RANGE) == 1
    assert await found(backend, TRUE) == [kept]
    assert await found(backend, MatchKey(kept.key)) == [kept]
    tag, value = next(iter(kept.tags.items()))
    assert await found(backend, MatchTag(tag, value)) == [kept]
    assert await found(backend, MatchKey(doomed.key)) == []
    gone_tag, gone_value = next(iter(doomed.tags.items()))
    assert await found(backend, MatchTag(gone_tag, gone_value)) == []
    await backend.write(doomed, RANGE)  # and it can come back
    assert await found(backend, TRUE) == sorted([FIRST, SECOND])


async def test_a_deleted_series_leaves_no_index_entry_behind() -> None:
    backend = MemoryMetadataBackend()
    await backend.write_many([(FIRST, RANGE), (OTHER, RANGE)])
    assert await backend.delete_series(MatchTag("bc", "d"), RANGE) == 1
    assert await backend.delete_series(MatchTag("bc", "d"), RANGE) == 0
    assert await found(backend, MatchKey("a")) == [OTHER]
    assert ("bc", "d") not in backend._by_tag


HOSTS = [Series("cpu", {"host": f"h{i}", "site": "lon"}) for i in range(3)]


async def test_tags_of_one_series_and_of_several_are_both_found() -> None:
    backend = MemoryMetadataBackend()
    await backend.write_many([(s, RANGE) for s in HOSTS])
    assert await found(backend, MatchTag("host", "h1")) == [HOSTS[1]]
    assert await found(backend, MatchTag("site", "lon")) == HOSTS
    assert await found(backend, And((MatchTag("host", "h1"), MatchTag("site", "lon")))) == [
        HOSTS[1]
    ]
    assert await found(backend, Or((MatchTag("host", "h0"), MatchTag("host", "h2")))) == [
        HOSTS[0],
        HOSTS[2],
    ]
    assert await found(backend, And((MatchTag("host", "h0"), MatchTag("host", "h2")))) == []
    assert await found(backend, MatchKey("cpu")) == HOSTS
    assert (await backend.count_series(MatchTag("host", "h2"), RANGE)).count == 1


async def test_an_entry_grows_from_one_series_to_two_and_shrinks_back() -> None:
    backend = MemoryMetadataBackend()
    first, second = Series("k", {"t": "v", "a": "1"}), Series("k", {"t": "v", "a": "2"})
    await backend.write(first, RANGE)
    await backend.write(Series("k", {"t": "v", "a": "1"}), RANGE)  # equal, another object
    assert await found(backend, MatchTag("t", "v")) == [first]
    await backend.write(second, RANGE)
    assert await found(backend, MatchTag("t", "v")) == [first, second]
    assert await found(backend, MatchKey("k")) == [first, second]
    assert await backend.delete_series(MatchTag("a", "1"), RANGE) == 1
    assert await found(backend, MatchTag("t", "v")) == [second]
    assert await found(backend, MatchKey("k")) == [second]
    assert await backend.delete_series(MatchTag("a", "2"), RANGE) == 1
    assert await found(backend, MatchTag("t", "v")) == []
    assert backend._by_tag == {}
    assert backend._by_key == {}
    await backend.write(second, RANGE)
    assert await found(backend, MatchTag("t", "v")) == [second]
