"""Elasticsearch documents for a series, as upstream writes them (reference 9.1, 9.2).

Metadata: id = series hash, ``{key, tags: ["k\\0v"], tag_keys, hash}``. Suggest: a ``series``
document (id = series hash, ``series_id`` instead of ``hash``) and one ``tag`` document per tag
(id = ``<hash>:<hex(javaHash(k) ^ javaHash(v))>``, plus ``skey``, ``sval``, ``kv``). Resource
is never indexed unless ``indexResourceIdentifiers`` asks for it. Pure functions only.
"""

from __future__ import annotations

from typing import Any

from heroic_core.backends.serial import java_sorted
from heroic_core.model import Series

TAG_DELIMITER = "\0"


def java_string_hash(text: str) -> int:
    """Java ``String.hashCode()`` as a signed 32-bit int (over UTF-16 code units)."""
    units = text.encode("utf-16-be", "surrogatepass")
    h = 0
    for i in range(0, len(units), 2):
        h = (31 * h + int.from_bytes(units[i : i + 2], "big")) & 0xFFFFFFFF
    return h - (1 << 32) if h & 0x80000000 else h


def tag_doc_id(series_id: str, key: str, value: str) -> str:
    """``Integer.toHexString(entry.hashCode())`` appended to the series hash."""
    entry_hash = (java_string_hash(key) ^ java_string_hash(value)) & 0xFFFFFFFF
    return f"{series_id}:{entry_hash:x}"


def join_tag(key: str, value: str) -> str:
    return f"{key}{TAG_DELIMITER}{value}"


def split_tag(text: str) -> tuple[str, str]:
    """``"k\\0v"`` -> ``(k, v)``; raises ``ValueError`` without a delimiter."""
    key, sep, value = text.partition(TAG_DELIMITER)
    if not sep:
        raise ValueError(f"invalid tag source: {text!r}")
    return key, value


def _context(series: Series) -> dict[str, Any]:
    tags = java_sorted(series.tags)
    return {
        "key": series.key,
        "tags": [join_tag(k, v) for k, v in tags],
        "tag_keys": [k for k, _ in tags],
    }


def metadata_document(series: Series, *, index_resource: bool = False) -> dict[str, Any]:
    doc = _context(series)
    if index_resource:
        doc["resource"] = [join_tag(k, v) for k, v in java_sorted(series.resource)]
    doc["hash"] = series.id
    return doc


def series_from_metadata(source: dict[str, Any]) -> Series:
    """Rebuild a series from a metadata (or suggest) document source."""
    tags = dict(split_tag(t) for t in source.get("tags") or ())
    resource = dict(split_tag(t) for t in source.get("resource") or ())
    return Series(str(source["key"]), tags, resource)


def suggest_series_document(series: Series) -> dict[str, Any]:
    doc = _context(series)
    doc["series_id"] = series.id
    return doc


def suggest_tag_documents(series: Series) -> list[tuple[str, dict[str, Any]]]:
    """``(id, body)`` of one ``tag`` document per tag of ``series``."""
    base = suggest_series_document(series)
    out: list[tuple[str, dict[str, Any]]] = []
    for key, value in java_sorted(series.tags):
        body = {**base, "skey": key, "sval": value, "kv": join_tag(key, value)}
        out.append((tag_doc_id(series.id, key, value), body))
    return out
