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
        return orjson.dumps(content, option=_OPTIONS)
