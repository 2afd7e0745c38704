"""Exception types shared by every part of the Python Heroic.

Each type corresponds to one kind of upstream error so that the API layer can map it to one
HTTP error body (reference 2.2) in a single place. This module must stay small and stable: it
holds no HTTP knowledge and imports nothing of ours.
"""

from __future__ import annotations


class HeroicError(Exception):
    """Base class of our domain errors; ``message`` is what clients see."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


def join_path(base: str, segment: str) -> str:
    """Append a path segment the way upstream prints JSON paths (``a.b[0].{and}``)."""
    if not base:
        return segment
    if not segment:
        return base
    if segment.startswith("["):
        return base + segment
    return f"{base}.{segment}"


class JsonMappingError(HeroicError):
    """A JSON document has the wrong shape (400 ``json-error`` with ``path``).

    ``path`` is dotted, with ``[i]`` for array indexes, e.g. ``filter.{and}[0].{=}``.
    """

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.path = path

    def prefixed(self, segment: str) -> JsonMappingError:
        """A copy whose path has ``segment`` in front (used while unwinding decoders)."""
        if not segment:
            return self
        return JsonMappingError(self.message, join_path(segment, self.path))


class QueryParseError(HeroicError):
    """An HQL text could not be parsed or evaluated (400 ``parse-error``).

    ``line`` is 1-based, ``col`` 0-based (ANTLR's char position in line); the ``*_end``
    fields locate the last character of the offending span. ``message`` is
    ``"<line>:<col>: <detail>"`` as upstream prints it; ``detail`` is the bare text.
    """

    def __init__(
        self,
        detail: str,
        line: int,
        col: int,
        line_end: int | None = None,
        col_end: int | None = None,
    ) -> None:
        super().__init__(f"{line}:{col}: {detail}")
        self.detail = detail
        self.line = line
        self.col = col
        self.line_end = line if line_end is None else line_end
        self.col_end = col if col_end is None else col_end


class RequestError(HeroicError):
    """A request is well-formed but semantically invalid (bad range, unknown aggregation...)."""
