"""Every search engine that serves suggest has the analysis modules its mappings need."""

from __future__ import annotations

import os
import uuid

import httpx
import pytest

from tests.integration.backends.search_engines import ENGINES, SearchEngine

WITH_ANALYSIS = [
    pytest.param(e, marks=getattr(pytest.mark, e.name), id=e.name) for e in ENGINES if e.suggest
]


@pytest.mark.parametrize("engine", WITH_ANALYSIS)
def test_edge_ngram_analyzer_indexes_and_finds_by_prefix(engine: SearchEngine) -> None:
    client = httpx.Client(base_url=os.environ[engine.url_variable])
    index = f"smoke-{uuid.uuid4().hex[:8]}"
    client.put(
        f"/{index}",
        json={
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
    ).raise_for_status()
    try:
        for doc_id, key in (("1", "cpu-usage"), ("2", "memory")):
            client.put(f"/{index}/_doc/{doc_id}?refresh=true", json={"key": key}).raise_for_status()
        query = {"query": {"match": {"key": "us"}}}
        hits = client.post(f"/{index}/_search", json=query).json()["hits"]
        assert [h["_id"] for h in hits["hits"]] == ["1"]
    finally:
        client.delete(f"/{index}")
        client.close()
