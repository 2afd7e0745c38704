"""Result-group JSON pieces: hash, key/tags/tagCounts, commonTags (reference 2.6)."""

from __future__ import annotations

import mmh3

from heroic_api.services.results import (
    GroupHasher,
    SeriesSummary,
    common_of,
    common_values,
    group_hash,
    one_series_group,
    result_group,
)
from heroic_core.model import Series

Z = b"\0\0\0\0"


def test_hash_of_empty_shard_and_key_is_upstreams_constant() -> None:
    assert group_hash({}, {}) == "2362f9de"


def test_hash_covers_shard_entries_then_separator_then_key_entries() -> None:
    data = Z + b"site" + Z + b"test" + Z + Z + b"host" + Z + b"a"
    expected = format(mmh3.hash(data, 0, signed=False), "x")
    assert group_hash({"site": "test"}, {"host": "a"}) == expected


def test_hash_distinguishes_shard_from_key() -> None:
    assert group_hash({"host": "a"}, {}) != group_hash({}, {"host": "a"})


def test_hash_is_unpadded_lowercase_hex() -> None:
    value = group_hash({}, {"host": "a"})
    assert value == value.lower()
    assert int(value, 16) < 2**32
    assert not value.startswith("0")


def test_summary_splits_single_and_multi_valued_tags() -> None:
    summary = SeriesSummary.of(
        [
            Series("cpu", {"host": "a", "site": "x"}, {"pod": "p1"}),
            Series("cpu", {"host": "b", "site": "x"}, {"pod": "p2"}),
            Series("cpu", {"host": "c"}),
        ]
    )
    assert summary.to_json() == {
        "key": "cpu",
        "tags": {"site": "x"},
        "tagCounts": {"host": 3},
        "resource": {},
        "resourceCounts": {"pod": 2},
    }


def test_summary_key_is_null_when_series_keys_differ() -> None:
    summary = SeriesSummary.of([Series("cpu", {"host": "a"}), Series("mem", {"host": "a"})])
    assert summary.to_json()["key"] is None
    assert summary.to_json()["tags"] == {"host": "a"}


def test_result_group_field_order_matches_upstream() -> None:
    group = result_group(
        shard={},
        key={},
        summary=SeriesSummary.of([Series("k")]),
        metric_type="points",
        cadence=60_000,
        values=[[1, 2.0]],
    )
    assert list(group) == [
        "type",
        "hash",
        "shard",
        "cadence",
        "values",
        "key",
        "tags",
        "tagCounts",
        "resource",
        "resourceCounts",
    ]


def test_common_values_intersects_names_and_unions_values() -> None:
    groups = [{"host": {"b"}, "site": {"x"}}, {"host": {"a"}}, {"host": {"a", "c"}, "dc": {"y"}}]
    assert common_values(groups) == {"host": ["a", "b", "c"]}


def test_common_values_of_no_groups_is_empty() -> None:
    assert common_values([]) == {}


def test_a_one_series_summary_is_what_the_general_summary_says() -> None:
    series = Series("cpu", {"site": "x", "host": "a", "dc": "b"}, {"pod": "p", "az": "1"})
    one = SeriesSummary.of([series])
    assert one.to_json() == SeriesSummary.of([series, series]).to_json()
    assert list(one.to_json()["tags"]) == ["dc", "host", "site"]
    assert (one.tags, one.resource) == ({"dc": {"b"}, "host": {"a"}, "site": {"x"}},
                                        {"az": {"1"}, "pod": {"p"}})  # fmt: skip


def test_common_of_one_series_summaries_is_common_values_of_their_sets() -> None:
    series = [
        Series("cpu", {"host": "a", "dc": "x"}, {"pod": "p"}),
        Series("cpu", {"host": "b", "dc": "x", "role": "db"}, {}),
        Series("mem", {"host": "a", "dc": "y"}, {"pod": "q"}),
    ]
    ones = [SeriesSummary.of([s]) for s in series]
    mixed = [SeriesSummary.of(series[:2]), SeriesSummary.of([series[2]])]
    for summaries in (ones, ones[:1], mixed, []):
        for resource in (False, True):
            general = common_values([s.resource if resource else s.tags for s in summaries])
            assert common_of(summaries, resource=resource) == general
    assert common_of(ones, resource=False) == {"dc": ["x", "y"], "host": ["a", "b"]}


def test_a_one_entry_key_hashes_as_any_key() -> None:
    data = Z + b"site" + Z + b"test" + Z + Z + b"host" + Z + b"a"
    expected = format(mmh3.hash(data, 0, signed=False), "x")
    for _ in range(2):  # the second answer is remembered
        assert group_hash({"site": "test"}, {"host": "a"}) == expected
    assert group_hash({}, {"host": "a"}) != group_hash({}, {"host": "b"})


def test_a_one_series_group_is_result_group_of_its_summary() -> None:
    shard = {"site": "x"}
    for series in (Series("cpu", {"host": "a", "dc": "b"}, {"pod": "p"}), Series("k")):
        for key in ({}, {"host": "a"}, {"dc": "b", "host": "a"}):
            values = [(1, 2.0)]
            general = result_group(shard=shard, key=key, summary=SeriesSummary.of([series]),
                                   metric_type="points", cadence=60, values=values)  # fmt: skip
            made = one_series_group(
                GroupHasher(shard),
                shard,
                key,
                series,
                metric_type="points",
                cadence=60,
                values=values,
            )
            assert list(made.items()) == list(general.items())
            assert list(made["tags"].items()) == list(general["tags"].items())
