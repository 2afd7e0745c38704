"""How the shell prints a series: upstream's DSL form (``key {tag=value, ..} {resource}``), its
JSON form, and the analytics form (``{"id": <hash of key and tags>, "series": "<json>"}``).
Pure formatting: no I/O."""

from __future__ import annotations

import json
import re
from typing import Any

from heroic_core.model import Series

# Words made of these characters need no quotes, as in upstream's DSL dump.
_BARE = re.compile(r"[A-Za-z0-9:/.\-]+")


def dsl_string(text: str) -> str:
    """``text`` bare when it is one plain word, else quoted with escapes."""
    if _BARE.fullmatch(text):
        return text
    return json.dumps(text, ensure_ascii=False)


def _pairs(values: dict[str, str]) -> str:
    return ", ".join(f"{dsl_string(k)}={dsl_string(v)}" for k, v in values.items())


def dsl(series: Series) -> str:
    """``key {tags} {resource}``."""
    return f"{dsl_string(series.key)} {{{_pairs(series.tags)}}} {{{_pairs(series.resource)}}}"


def json_text(value: Any) -> str:
    """One line of JSON with sorted keys (what ``ShellIO.json`` prints)."""
    return json.dumps(value, sort_keys=True)


def analytics(series: Series) -> dict[str, str]:
    """The analytics schema: the hash of key and tags, and the series as a JSON string."""
    return {"id": series.tag_hash(), "series": json_text(series.to_json())}
