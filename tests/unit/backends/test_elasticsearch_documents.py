"""Elasticsearch index names, templates and documents (reference 9, 9.1, 9.2)."""

from __future__ import annotations

import pytest

from heroic_core.backends.elasticsearch.documents import (
    java_string_hash,
    metadata_document,
    series_from_metadata,
    suggest_series_document,
    suggest_tag_documents,
    tag_doc_id,
)
from heroic_core.backends.elasticsearch.indices import IndexScheme
from heroic_core.backends.elasticsearch.mappings import (
    METADATA_TYPES,
    SUGGEST_ANALYSIS,
    SUGGEST_TYPES,
    templates,
)
from heroic_core.config.elasticsearch import RotatingIndexConfig, SingleIndexConfig
from heroic_core.model import Series

WEEK = 7 * 86_400_000
NOW = 1_700_000_000_000
NEWEST = NOW - NOW % WEEK


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", 0), ("a", 97), ("hello", 99162322), ("Aa", 2112), ("polygenelubricants", -(2**31))],
)
def test_java_string_hash(text: str, expected: int) -> None:
    assert java_string_hash(text) == expected


@pytest.mark.parametrize(
    ("key", "value", "suffix"),
    [("a", "b", "3"), ("polygenelubricants", "", "80000000"), ("Aa", "BB", "0")],
)
def test_tag_doc_id_is_series_hash_and_unsigned_hex_of_entry_hash(
    key: str, value: str, suffix: str
) -> None:
    assert tag_doc_id("abc", key, value) == f"abc:{suffix}"


def test_metadata_document_layout() -> None:
    series = Series("cpu", {"role": "db", "host": "a"}, {"pod": "p1"})
    assert metadata_document(series) == {
        "key": "cpu",
        "tags": ["host\0a", "role\0db"],
        "tag_keys": ["host", "role"],
        "hash": series.id,
    }
    with_resource = metadata_document(series, index_resource=True)
    assert with_resource["resource"] == ["pod\0p1"]
    assert series_from_metadata(with_resource) == series


def test_series_from_metadata_splits_on_the_first_nul_only() -> None:
    series = series_from_metadata({"key": "k", "tags": ["a\0b\0c"]})
    assert series.tags == {"a": "b\0c"}


def test_suggest_documents_never_carry_resource() -> None:
    series = Series("cpu", {"host": "a", "role": "db"}, {"pod": "p1"})
    assert suggest_series_document(series) == {
        "key": "cpu",
        "tags": ["host\0a", "role\0db"],
        "tag_keys": ["host", "role"],
        "series_id": series.id,
    }
    tags = suggest_tag_documents(series)
    assert [doc_id for doc_id, _ in tags] == [
        tag_doc_id(series.id, "host", "a"),
        tag_doc_id(series.id, "role", "db"),
    ]
    assert {k: tags[0][1][k] for k in ("skey", "sval", "kv")} == {
        "skey": "host",
        "sval": "a",
        "kv": "host\0a",
    }


def test_rotating_indices_are_named_by_bucket_start() -> None:
    scheme = IndexScheme(RotatingIndexConfig())
    assert scheme.write_indices("metadata", NOW) == [f"heroic-metadata-{NEWEST}"]
    assert scheme.read_indices("tag", NOW) == [
        f"heroic-tag-{NEWEST}",
        f"heroic-tag-{NEWEST - WEEK}",
    ]
    assert scheme.template_pattern("series") == "heroic-series-*"


def test_rotating_read_indices_skip_negative_buckets() -> None:
    scheme = IndexScheme(RotatingIndexConfig.model_validate({"maxReadIndices": 5}))
    assert scheme.read_indices("metadata", WEEK + 5) == [
        "heroic-metadata-604800000",
        "heroic-metadata-0",
    ]


def test_dynamic_read_indices_follow_the_range_start() -> None:
    scheme = IndexScheme(RotatingIndexConfig.model_validate({"supportDynamicMaxReadIndices": True}))
    assert len(scheme.read_indices("metadata", NOW, NOW - 3 * WEEK)) == 4
    assert len(scheme.read_indices("metadata", NOW)) == 2


def test_single_index_names() -> None:
    scheme = IndexScheme(SingleIndexConfig(type="single", index="metrics"))
    assert scheme.write_indices("tag", NOW) == ["metrics-tag"]
    assert scheme.read_indices("tag", NOW) == ["metrics-tag"]
    assert scheme.template_pattern("tag") == "metrics-tag"


def test_suggest_templates_carry_analysis_and_index_settings() -> None:
    scheme = IndexScheme(RotatingIndexConfig.model_validate({"settings": {"number_of_shards": 3}}))
    bodies = templates("heroic-suggest", scheme, SUGGEST_TYPES, SUGGEST_ANALYSIS)
    assert sorted(bodies) == ["heroic-suggest-series", "heroic-suggest-tag"]
    tag = bodies["heroic-suggest-tag"]
    assert tag["index_patterns"] == ["heroic-tag-*"]
    assert tag["order"] == 100
    assert tag["settings"]["index"] == {"number_of_shards": 3}
    assert tag["settings"]["analysis"]["analyzer"]["bag_analyzer"]["tokenizer"] == "keyword"
    assert tag["mappings"]["properties"]["skey"]["fields"]["prefix"]["analyzer"] == (
        "prefix_analyzer"
    )


def test_metadata_template_has_keyword_fields_and_no_analysis() -> None:
    scheme = IndexScheme(RotatingIndexConfig())
    body = templates("heroic-metadata", scheme, METADATA_TYPES)["heroic-metadata-metadata"]
    assert body["index_patterns"] == ["heroic-metadata-*"]
    assert "analysis" not in body["settings"]
    props = body["mappings"]["properties"]
    assert {props[f]["type"] for f in ("key", "tags", "tag_keys", "hash")} == {"keyword"}
