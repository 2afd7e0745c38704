"""The JSON response class of the API node.

Must stay free of imports from the rest of the package (``errors`` builds on it).
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


class HeroicJSONResponse(JSONResponse):
    """Compact UTF-8 JSON, encoded by orjson (the query answers are large lists of points).

    Non-finite numbers must already be ``None``; orjson would write ``null`` for them anyway,
    never the ``NaN`` that the standard library writes and JSON parsers refuse."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return encode_json(content)


def encode_json(content: Any) -> bytes:
    """``content`` as the bytes a ``HeroicJSONResponse`` sends."""
    return orjson.dumps(content, option=_OPTIONS)


def encode_json_in_pieces(content: Any) -> bytes:
    """The same bytes as :func:`encode_json`, but each object in a list (a query answer's
    result group, say) encoded by a call of its own: one call over megabytes would hold the
    GIL for tens of milliseconds, and the event loop waits for the GIL."""
    return encode_json(_pieces(content))


def _pieces(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _pieces(v) for k, v in value.items()}
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [orjson.Fragment(encode_json(item)) for item in value]
    return value
