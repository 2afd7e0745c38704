"""Filter translation and suggest request bodies for Elasticsearch (reference 9.1, 9.2)."""

from __future__ import annotations

from typing import Any

import pytest

from heroic_core.backends.elasticsearch import suggest_queries as q
from heroic_core.backends.elasticsearch.cache import RateLimiter, WriteCache
from heroic_core.backends.elasticsearch.filters import filter_query, lucene_regex
from heroic_core.errors import RequestError
from heroic_core.filters import (
    FALSE,
    TRUE,
    And,
    Filter,
    HasTag,
    MatchKey,
    MatchTag,
    Not,
    Or,
    Regex,
    StartsWith,
)

MATCH_ALL: dict[str, Any] = {"match_all": {}}


@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        (TRUE, MATCH_ALL),
        (FALSE, {"bool": {"must_not": [MATCH_ALL]}}),
        (MatchTag("host", "a"), {"term": {"tags": "host\0a"}}),
        (StartsWith("host", "db"), {"prefix": {"tags": "host\0db"}}),
        (HasTag("role"), {"term": {"tag_keys": "role"}}),
        (MatchKey("cpu"), {"term": {"key": "cpu"}}),
        (Not(HasTag("x")), {"bool": {"must_not": [{"term": {"tag_keys": "x"}}]}}),
        (
            And((MatchKey("cpu"), HasTag("x"))),
            {"bool": {"must": [{"term": {"key": "cpu"}}, {"term": {"tag_keys": "x"}}]}},
        ),
        (
            Or((MatchKey("a"), MatchKey("b"))),
            {
                "bool": {
                    "should": [{"term": {"key": "a"}}, {"term": {"key": "b"}}],
                    "minimum_should_match": 1,
                }
            },
        ),
        (
            Regex("host", "db-[0-9]+"),
            {"regexp": {"tags": {"value": "host\0db-[0-9]+", "flags": "NONE"}}},
        ),
        (
            Regex("a.b", "^x|y$"),
            {"regexp": {"tags": {"value": "a\\.b\0x|y", "flags": "NONE"}}},
        ),
    ],
    ids=lambda v: str(v)[:40],
)
def test_filter_query(filter: Filter, expected: dict[str, Any]) -> None:
    assert filter_query(filter) == expected


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("a.*", "a.*"),
        ("^abc$", "abc"),
        ("ab\\$", "ab\\$"),
        ('say "hi"', 'say \\"hi\\"'),
        ("a~b&c<d>@#", "a\\~b\\&c\\<d\\>\\@\\#"),
        ("[^a-z$]", "[^a-z$]"),
    ],
)
def test_lucene_regex_translation(pattern: str, expected: str) -> None:
    assert lucene_regex(pattern) == expected


@pytest.mark.parametrize(
    ("pattern", "what"),
    [
        ("(?i)abc", r"\(\?"),
        ("a(?=b)", r"\(\?"),
        ("\\bword", "escape"),
        ("(a)\\1", "backreferences"),
        ("a*+", "possessive"),
        ("a^b", "anchors"),
    ],
)
def test_java_only_regex_is_a_clear_client_error(pattern: str, what: str) -> None:
    with pytest.raises(RequestError, match="cannot be run on Elasticsearch"):
        lucene_regex(pattern)


def test_tag_suggest_requires_key_and_value_with_key_boosted() -> None:
    body = q.tag_suggest(TRUE, 10, "Role", "web")
    must = body["query"]["bool"]["must"]
    assert must[0] == {
        "bool": {
            "should": [
                {"term": {"skey": "role"}},
                {"term": {"skey.prefix": {"value": "role", "boost": 1.5}}},
                {"term": {"skey.raw": {"value": "Role", "boost": 2.0}}},
            ],
            "boost": 2.0,
        }
    }
    assert must[1]["bool"]["should"][0] == {"term": {"sval": "web"}}
    assert body["collapse"] == {"field": "kv"}
    assert body["size"] == 10


def test_tag_suggest_with_equal_key_and_value_matches_either() -> None:
    body = q.tag_suggest(TRUE, 5, "db", "db")
    assert set(body["query"]["bool"]) == {"should"}


def test_tag_suggest_splits_words_on_whitespace() -> None:
    should = q.field_match("sval", "Web  Server\tX")["bool"]["should"]
    assert should[:3] == [{"term": {"sval": w}} for w in ("web", "server", "x")]


def test_tag_suggest_without_input_matches_all_and_applies_filter() -> None:
    body = q.tag_suggest(MatchKey("cpu"), 5, None, None)
    assert body["query"] == {"bool": {"must": [MATCH_ALL], "filter": [{"term": {"key": "cpu"}}]}}


def test_key_suggest_matches_analyzed_prefix_and_exact_lowercase() -> None:
    body = q.key_suggest(TRUE, 3, "Sys")
    should = body["query"]["bool"]["must"][0]["bool"]["should"]
    assert should == [
        {"term": {"key.analyzed": "sys"}},
        {"term": {"key.prefix": {"value": "sys", "boost": 1.5}}},
        {"term": {"key": {"value": "sys", "boost": 2.0}}},
    ]
    assert body["collapse"] == {"field": "key"}


def test_tag_value_suggest_asks_for_one_more_sorted_value() -> None:
    body = q.tag_value_suggest(TRUE, 2, "host")
    assert body["query"] == {"bool": {"must": [{"term": {"skey.raw": "host"}}]}}
    assert body["aggs"]["values"]["terms"] == {
        "field": "sval.raw",
        "size": 3,
        "order": {"_key": "asc"},
    }


def test_tag_values_suggest_excludes_keys_and_bounds_groups() -> None:
    body = q.tag_values_suggest(MatchKey("cpu"), 4, ["host"])
    assert body["query"]["bool"]["must_not"] == [{"term": {"skey.raw": "host"}}]
    values = body["aggs"]["keys"]["aggs"]["values"]["terms"]
    assert values["size"] == 5


def test_tagkey_count_has_cardinality_and_exact_values() -> None:
    body = q.tagkey_count(TRUE, 2, 10)
    keys = body["aggs"]["keys"]
    assert keys["terms"]["size"] == 3
    assert keys["aggs"]["cardinality"] == {"cardinality": {"field": "sval.raw"}}
    assert keys["aggs"]["values"]["terms"]["size"] == 11
    assert "values" not in q.tagkey_count(TRUE, None, None)["aggs"]["keys"]["aggs"]


def test_write_cache_skips_recent_keys_until_they_expire() -> None:
    now = [0.0]
    cache = WriteCache(ttl=10, max_size=2, clock=lambda: now[0])
    assert cache.acquire("a") is True
    assert cache.acquire("a") is False
    now[0] = 11
    assert cache.acquire("a") is True
    cache.forget("a")
    assert cache.acquire("a") is True


def test_write_cache_evicts_oldest_beyond_max_size() -> None:
    cache = WriteCache(ttl=100, max_size=2, clock=lambda: 0.0)
    for key in ("a", "b", "c"):
        cache.acquire(key)
    assert len(cache) == 2
    assert cache.acquire("a") is True


def test_rate_limiter_spaces_writes_after_a_one_second_burst() -> None:
    limiter = RateLimiter(rate=2, clock=lambda: 100.0)
    delays = [limiter.reserve() for _ in range(5)]
    assert delays == [0.0, 0.0, 0.0, 0.5, 1.0]
