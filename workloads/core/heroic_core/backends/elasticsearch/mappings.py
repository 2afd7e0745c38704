"""Index templates: upstream's mappings and analysis settings per document type (ref. 9).

``metadata``: ``key``, ``tags``, ``tag_keys``, ``hash`` keywords (plus ``resource``, which
this implementation always stores so that series come back whole). Suggest ``series`` and
``tag``: ``bag_analyzer`` (keyword -> word_delimiter without numeric splits -> lowercase ->
edge n-grams 2..10 -> unique) and ``prefix_analyzer`` (keyword -> lowercase -> edge n-grams
2..20). ``edge_ngram`` is upstream's ``edgeNGram`` under its current name. Pure data.
"""

from __future__ import annotations

from typing import Any

from heroic_core.backends.elasticsearch.indices import IndexScheme

METADATA_TYPE = "metadata"
SERIES_TYPE = "series"
TAG_TYPE = "tag"
TEMPLATE_ORDER = 100

_KEYWORD: dict[str, Any] = {"type": "keyword", "doc_values": True}


def _analyzed(subfields: dict[str, Any], main: dict[str, Any]) -> dict[str, Any]:
    return {**main, "fields": subfields}


_PREFIX_TEXT = {"type": "text", "analyzer": "prefix_analyzer"}

METADATA_MAPPING: dict[str, Any] = {
    "properties": {
        "key": _KEYWORD,
        "tags": _KEYWORD,
        "tag_keys": _KEYWORD,
        "resource": _KEYWORD,
        "hash": _KEYWORD,
    }
}

SERIES_MAPPING: dict[str, Any] = {
    "properties": {
        "key": _analyzed(
            {"analyzed": {"type": "text", "analyzer": "bag_analyzer"}, "prefix": _PREFIX_TEXT},
            _KEYWORD,
        ),
        "tags": _KEYWORD,
        "tag_keys": _KEYWORD,
        "series_id": _KEYWORD,
    }
}

_TAG_TEXT = _analyzed(
    {"raw": _KEYWORD, "prefix": _PREFIX_TEXT}, {"type": "text", "analyzer": "bag_analyzer"}
)

TAG_MAPPING: dict[str, Any] = {
    "properties": {
        "key": _KEYWORD,
        "tags": _KEYWORD,
        "series_id": _KEYWORD,
        "tag_keys": _KEYWORD,
        "skey": _TAG_TEXT,
        "sval": _TAG_TEXT,
        "kv": _KEYWORD,
    }
}

SUGGEST_ANALYSIS: dict[str, Any] = {
    "analyzer": {
        "bag_analyzer": {
            "type": "custom",
            "tokenizer": "keyword",
            "filter": ["heroic_tag_word", "lowercase", "heroic_bag_edge_ngram", "unique"],
        },
        "prefix_analyzer": {
            "type": "custom",
            "tokenizer": "keyword",
            "filter": ["lowercase", "heroic_prefix_edge_ngram"],
        },
    },
    "filter": {
        "heroic_tag_word": {"type": "word_delimiter", "split_on_numerics": False},
        "heroic_bag_edge_ngram": {"type": "edge_ngram", "min_gram": 2, "max_gram": 10},
        "heroic_prefix_edge_ngram": {"type": "edge_ngram", "min_gram": 2, "max_gram": 20},
    },
}

METADATA_TYPES: dict[str, dict[str, Any]] = {METADATA_TYPE: METADATA_MAPPING}
SUGGEST_TYPES: dict[str, dict[str, Any]] = {SERIES_TYPE: SERIES_MAPPING, TAG_TYPE: TAG_MAPPING}


def templates(
    template_name: str,
    scheme: IndexScheme,
    mappings: dict[str, dict[str, Any]],
    analysis: dict[str, Any] | None = None,
) -> dict[str, dict[str, Any]]:
    """``<templateName>-<type>`` -> legacy index template body, one per document type."""
    settings: dict[str, Any] = {"index": scheme.settings}
    if analysis is not None:
        settings["analysis"] = analysis
    return {
        f"{template_name}-{doc_type}": {
            "index_patterns": [scheme.template_pattern(doc_type)],
            "order": TEMPLATE_ORDER,
            "settings": settings,
            "mappings": mapping,
        }
        for doc_type, mapping in mappings.items()
    }
