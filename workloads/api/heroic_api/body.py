"""Request-body readers: JSON (with upstream's parse-error positions) and plain-text HQL.

Bodies are read by hand (not by FastAPI's body parameters) so that malformed JSON maps to
upstream's ``json-parse-error`` with line/col, an empty body to "missing request body", and
``text/plain`` bodies to HQL. This module knows content types and JSON syntax only; it must not
interpret the decoded documents.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from heroic_api import strict_json
from heroic_api.errors import JsonParseError, UnsupportedMediaTypeError
from heroic_core.errors import HeroicError, JsonMappingError

if TYPE_CHECKING:  # the services use decode_json without pulling in the web framework
    from starlette.requests import Request

JSON_TYPES = ("application/json", "text/json")
TEXT_TYPES = ("text/plain",)


def content_type(request: Request) -> str:
    """The bare media type of the request (``""`` when absent), lower-cased."""
    raw = request.headers.get("content-type", "")
    return raw.split(";", 1)[0].strip().lower()


def is_json_type(media_type: str) -> bool:
    """True for a JSON media type, or for no content type at all (curl's default is JSON)."""
    return (
        media_type in ("", "application/x-www-form-urlencoded")
        or media_type in JSON_TYPES
        or media_type.endswith("+json")
    )


def decode_json(raw: bytes) -> Any:
    """Parse a JSON document; empty → ``json-error`` "missing request body", bad → parse error.

    Strict as upstream's Jackson: see :mod:`heroic_api.strict_json`.
    """
    if not raw.strip():
        raise JsonMappingError("missing request body", "")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JsonParseError(f"Invalid UTF-8 in request body: {exc.reason}", 1, 1) from exc
    return strict_json.loads(text)


@dataclass(frozen=True, slots=True)
class TextBody:
    """A ``text/plain`` body (HQL), told apart from a JSON document that is a string."""

    text: str


async def read_json(request: Request) -> Any:
    """The request body as JSON (see :func:`decode_json`), rejecting non-JSON content types."""
    return decode_json(await read_json_bytes(request))


async def read_json_bytes_or_text(request: Request) -> bytes | TextBody:
    """A ``text/plain`` body as :class:`TextBody`, any other as the raw bytes of a JSON
    document (see :func:`read_json_bytes`)."""
    media_type = content_type(request)
    if media_type in TEXT_TYPES:
        return TextBody(await read_text(request))
    return await _json_bytes(request, media_type)


async def read_json_bytes(request: Request) -> bytes:
    """The raw body of a JSON request (for a typed decoder), rejecting non-JSON content types;
    whoever cannot decode it falls back to :func:`decode_json` for the error."""
    return await _json_bytes(request, content_type(request))


async def _json_bytes(request: Request, media_type: str) -> bytes:
    if not is_json_type(media_type):
        raise UnsupportedMediaTypeError(f"Unsupported media type: {media_type}")
    return await request.body()


async def read_text(request: Request) -> str:
    """The request body as text; empty → "missing request body"."""
    raw = await request.body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HeroicError(f"request body is not UTF-8: {exc.reason}") from exc
    if not text.strip():
        raise JsonMappingError("missing request body", "")
    return text


def expect_object(value: Any, path: str = "") -> dict[str, Any]:
    """``value`` if it is a JSON object, else a ``json-error`` at ``path``."""
    if not isinstance(value, dict):
        raise JsonMappingError(f"expected a JSON object, got {json_type(value)}", path)
    return value


def json_type(value: Any) -> str:
    """The JSON type name of a decoded value, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
