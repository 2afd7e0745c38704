"""Strict JSON decoding of request bodies, as upstream's Jackson mapper reads them.

Python's ``json`` module is laxer than Jackson and fails in ways that are not
``JSONDecodeError``; every such case is a client error here, never a 500:

* ``NaN``, ``Infinity`` and ``-Infinity`` are not JSON (Jackson rejects them by default):
  ``json-parse-error`` at the token.
* Integers longer than Python's conversion limit (``ValueError``) and documents nested deeper
  than the interpreter can decode (``RecursionError``): ``json-parse-error``.
* ``\\uD800``-style escapes that leave a lone UTF-16 surrogate: the string could never be
  encoded to UTF-8 (series hashes, responses, backends), so ``json-error`` at its path.

This module only parses; it must not interpret the decoded document.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from heroic_api.errors import JsonParseError
from heroic_core.errors import JsonMappingError, join_path

#: A string literal (skipped) or one of the tokens Python accepts but JSON does not.
_NON_STANDARD = re.compile(r'"(?:[^"\\]|\\.)*"|(NaN|-?Infinity)', re.DOTALL)
#: A string literal (skipped) or an integer too long to convert.
_LONG_NUMBER = re.compile(
    r'"(?:[^"\\]|\\.)*"|(-?[0-9]{' + str(sys.get_int_max_str_digits() + 1) + ",})", re.DOTALL
)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class _NonStandardConstantError(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise _NonStandardConstantError(name)


def _position(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset``."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _locate(text: str, pattern: re.Pattern[str]) -> tuple[int, int]:
    for match in pattern.finditer(text):
        if match.group(1) is not None:
            return _position(text, match.start(1))
    return 1, 1


def loads(text: str) -> Any:
    """Decode ``text``; malformed or non-standard JSON raises ``JsonParseError``."""
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise JsonParseError(exc.msg, exc.lineno, exc.colno) from None
    except _NonStandardConstantError as exc:
        line, col = _locate(text, _NON_STANDARD)
        raise JsonParseError(f"Non-standard token '{exc}': not a JSON number", line, col) from None
    except RecursionError:
        raise JsonParseError("JSON document is nested too deeply", 1, 1) from None
    except ValueError:
        line, col = _locate(text, _LONG_NUMBER)
        raise JsonParseError("Number is too long", line, col) from None
    if _SURROGATE_ESCAPE.search(text):
        _check_strings(document)
    return document


def _check_strings(document: Any) -> None:
    """Reject strings holding lone surrogates (iteratively: documents may be deep)."""
    stack: list[tuple[Any, str]] = [(document, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            _encodable(value, path)
        elif isinstance(value, list):
            stack.extend((item, f"{path}[{i}]") for i, item in enumerate(value))
        elif isinstance(value, dict):
            for key, item in value.items():
                _encodable(key, path)
                stack.append((item, join_path(path, key)))


def _encodable(text: str, path: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise JsonMappingError(
            "Invalid string: a \\u escape leaves a lone UTF-16 surrogate", path
        ) from None
