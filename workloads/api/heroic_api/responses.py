"""The JSON response class of the API node.

Must stay free of imports from the rest of the package (``errors`` builds on it).
"""

from __future__ import annotations

from starlette.responses import JSONResponse


class HeroicJSONResponse(JSONResponse):
    """Compact UTF-8 JSON; non-finite numbers must already be ``None`` (JSON has no NaN)."""

    media_type = "application/json"
