"""Which engine answers and whether we serve it: product and version from the root document
or nodes info, the supported ranges, the engine a connection names, and which templates."""

from __future__ import annotations

import pytest

from heroic_core.backends.elasticsearch import engines
from heroic_core.backends.elasticsearch.engines import Engine
from heroic_core.backends.elasticsearch.templates import composable_body, conflicts, use_composable
from heroic_core.backends.errors import BackendRejectedError


def test_opensearch_names_itself_in_the_root_document() -> None:
    root = {"version": {"distribution": "opensearch", "number": "2.19.6"}}
    assert engines.from_root(root) == Engine("opensearch", (2, 19, 6))


def test_elasticsearch_root_document_has_no_distribution() -> None:
    root = {"version": {"number": "7.10.2", "build_flavor": "oss"}}
    assert engines.from_root(root) == Engine("elasticsearch", (7, 10, 2))


def test_nodes_info_with_the_product_header_is_elasticsearch() -> None:
    nodes = {"nodes": {"x": {"version": "9.2.4"}}}
    assert engines.from_nodes(nodes, "Elasticsearch") == Engine("elasticsearch", (9, 2, 4))
    with pytest.raises(BackendRejectedError, match="does not name itself"):
        engines.from_nodes(nodes, None)


@pytest.mark.parametrize(
    "engine",
    [
        Engine("elasticsearch", (7, 10, 2)),
        Engine("elasticsearch", (8, 19, 4)),
        Engine("elasticsearch", (9, 2, 4)),
        Engine("opensearch", (2, 19, 6)),
        Engine("opensearch", (3, 6, 0)),
    ],
)
def test_supported_engines_pass(engine: Engine) -> None:
    assert engines.check_supported(engine) is engine


@pytest.mark.parametrize(
    ("engine", "shown"),
    [
        (Engine("elasticsearch", (7, 9, 3)), "Elasticsearch 7.9.3"),
        (Engine("elasticsearch", (10, 0, 0)), "Elasticsearch 10.0.0"),
        (Engine("opensearch", (1, 3, 20)), "OpenSearch 1.3.20"),
        (Engine("opensearch", (4, 0, 0)), "OpenSearch 4.0.0"),
    ],
)
def test_too_old_or_too_new_is_refused_with_the_supported_range(engine: Engine, shown: str) -> None:
    with pytest.raises(BackendRejectedError) as caught:
        engines.check_supported(engine)
    assert shown in caught.value.message
    assert engines.SUPPORTED_TEXT in caught.value.message


def test_a_connection_naming_the_other_engine_is_refused() -> None:
    with pytest.raises(BackendRejectedError, match=r"server is OpenSearch 2\.19\.6"):
        engines.check_supported(Engine("opensearch", (2, 19, 6)), "elasticsearch")


def test_unreadable_version_is_refused() -> None:
    with pytest.raises(BackendRejectedError, match="unreadable version"):
        engines.from_root({"version": {"number": "banana"}})


def test_templates_auto_is_composable_and_legacy_can_be_asked_for() -> None:
    engine = Engine("elasticsearch", (7, 10, 2))
    assert use_composable(engine, "auto") is True
    assert use_composable(engine, "legacy") is False
    with pytest.raises(BackendRejectedError, match="no composable"):
        use_composable(Engine("elasticsearch", (7, 7, 0)), "composable")


def test_composable_body_carries_the_legacy_body() -> None:
    legacy = {"index_patterns": ["h-*"], "order": 100, "settings": {"a": 1}, "mappings": {"b": 2}}
    body = composable_body(legacy)
    assert body["priority"] == 100
    assert body["template"] == {"settings": {"a": 1}, "mappings": {"b": 2}}


def test_conflicts_name_the_field_and_both_types() -> None:
    ours = {"properties": {"key": {"type": "keyword", "fields": {"p": {"type": "text"}}}}}
    theirs = {"properties": {"key": {"type": "text", "fields": {"p": {"type": "text"}}}}}
    assert conflicts(ours, theirs) == ["field 'key' has type 'text', heroic needs 'keyword'"]
    assert conflicts(ours, {"properties": {"other": {"type": "long"}}}) == []
    assert conflicts(ours, ours) == []
