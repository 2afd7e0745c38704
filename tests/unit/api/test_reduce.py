"""Merging results of several metadata/suggest backends (reference 2.9 reduction rules)."""

from __future__ import annotations

from heroic_core.backends import reduce
from heroic_core.backends.results import (
    CountSeries,
    FindKeys,
    FindSeries,
    FindTags,
    KeySuggest,
    KeySuggestion,
    TagKeyCount,
    TagKeyCountSuggestion,
    TagSuggest,
    TagSuggestion,
    TagValuesSuggest,
    TagValuesSuggestion,
    TagValueSuggest,
)
from heroic_core.model import Series

A, B, C = Series("a"), Series("b", {"x": "1"}), Series("c")


def test_find_series_is_a_sorted_union_truncated_to_the_limit() -> None:
    merged = reduce.find_series([FindSeries((C, A)), FindSeries((A, B))], limit=2)
    assert merged == FindSeries((A, B), limited=True)


def test_find_series_keeps_a_backend_limited_flag() -> None:
    assert reduce.find_series([FindSeries((A,), limited=True)], limit=5).limited


def test_count_series_sums() -> None:
    merged = reduce.count_series([CountSeries(2), CountSeries(3, limited=True)])
    assert merged == CountSeries(5, limited=True)


def test_find_keys_counts_keys_seen_by_several_backends_as_duplicates() -> None:
    merged = reduce.find_keys([FindKeys(("a", "b"), 2, 1), FindKeys(("b", "c"), 2, 0)], None)
    assert merged == FindKeys(("a", "b", "c"), 3, 2)


def test_find_tags_merges_values_per_key() -> None:
    merged = reduce.find_tags(
        [FindTags({"h": ("a",)}, 1), FindTags({"h": ("b",), "s": ("x",)}, 2)], limit=None
    )
    assert merged == FindTags({"h": ("a", "b"), "s": ("x",)}, 2)


def test_key_suggest_keeps_the_best_score_and_sorts_by_score_then_key() -> None:
    merged = reduce.key_suggest(
        [
            KeySuggest((KeySuggestion(1.0, "b"), KeySuggestion(2.0, "a"))),
            KeySuggest((KeySuggestion(3.0, "b"), KeySuggestion(2.0, "c"))),
        ],
        limit=2,
    )
    assert merged == KeySuggest((KeySuggestion(3.0, "b"), KeySuggestion(2.0, "a")))


def test_tag_suggest_dedupes_pairs_and_orders_by_score_key_value() -> None:
    merged = reduce.tag_suggest(
        [
            TagSuggest((TagSuggestion(1.0, "h", "b"), TagSuggestion(1.0, "h", "a"))),
            TagSuggest((TagSuggestion(0.5, "h", "a"), TagSuggestion(2.0, "s", "x"))),
        ],
        limit=None,
    )
    assert merged == TagSuggest(
        (TagSuggestion(2.0, "s", "x"), TagSuggestion(1.0, "h", "a"), TagSuggestion(1.0, "h", "b"))
    )


def test_tag_value_suggest_unions_and_limits() -> None:
    merged = reduce.tag_value_suggest(
        [TagValueSuggest(("b", "a")), TagValueSuggest(("c",))], limit=2
    )
    assert merged == TagValueSuggest(("a", "b"), limited=True)


def test_tag_values_suggest_merges_per_key_and_applies_group_limit() -> None:
    merged = reduce.tag_values_suggest(
        [
            TagValuesSuggest((TagValuesSuggestion("h", ("a",), False),)),
            TagValuesSuggest(
                (TagValuesSuggestion("h", ("b",), False), TagValuesSuggestion("s", ("x",), True))
            ),
        ],
        limit=None,
        group_limit=1,
    )
    assert merged == TagValuesSuggest(
        (TagValuesSuggestion("h", ("a",), True), TagValuesSuggestion("s", ("x",), True))
    )


def test_tagkey_count_sums_counts_and_drops_exact_values_over_the_limit() -> None:
    merged = reduce.tagkey_count(
        [
            TagKeyCount(
                (TagKeyCountSuggestion("h", 2, ("a", "b")), TagKeyCountSuggestion("s", 1, ("x",)))
            ),
            TagKeyCount(
                (TagKeyCountSuggestion("h", 1, ("c",)), TagKeyCountSuggestion("s", 1, None))
            ),
        ],
        limit=None,
        exact_limit=2,
    )
    assert merged == TagKeyCount(
        (TagKeyCountSuggestion("h", 3, None), TagKeyCountSuggestion("s", 2, None))
    )


def test_tagkey_count_limit() -> None:
    merged = reduce.tagkey_count(
        [TagKeyCount((TagKeyCountSuggestion("b", 1), TagKeyCountSuggestion("a", 1)))],
        limit=1,
        exact_limit=10,
    )
    assert merged == TagKeyCount((TagKeyCountSuggestion("a", 1),), limited=True)
