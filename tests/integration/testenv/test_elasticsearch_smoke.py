"""Elasticsearch with the analysis modules Heroic's suggest mappings need."""

from __future__ import annotations

import os
import uuid

import pytest
from elasticsearch import Elasticsearch

pytestmark = pytest.mark.elasticsearch


def test_edge_ngram_analyzer_indexes_and_finds_by_prefix() -> None:
    client = Elasticsearch([os.environ["ELASTICSEARCH_URL"]])
    index = f"smoke-{uuid.uuid4().hex[:8]}"
    client.indices.create(
        index=index,
        body={
            "settings": {
                "analysis": {
                    "analyzer": {
                        "prefix": {
                            "tokenizer": "standard",
                            "filter": ["lowercase", "split", "edge"],
                        }
                    },
                    "filter": {
                        "edge": {"type": "edge_ngram", "min_gram": 1, "max_gram": 20},
                        "split": {"type": "word_delimiter"},
                    },
                }
            },
            "mappings": {
                "properties": {
                    "key": {"type": "text", "analyzer": "prefix", "search_analyzer": "standard"}
                }
            },
        },
    )
    try:
        client.index(index=index, id="1", body={"key": "cpu-usage"}, refresh=True)
        client.index(index=index, id="2", body={"key": "memory"}, refresh=True)
        hits = client.search(index=index, body={"query": {"match": {"key": "us"}}})["hits"]
        assert [h["_id"] for h in hits["hits"]] == ["1"]
    finally:
        client.indices.delete(index=index)
