"""HQL lexer: turns text into tokens exactly as upstream's ANTLR lexer does (reference 5.1).

ANTLR semantics: at each position the longest match over all rules wins, and on equal length
the rule defined first wins (so ``and`` is a keyword, ``android`` an identifier, ``200`` an
integer, ``10.0.0.1`` and ``foo-bar`` simple strings, ``5m`` a duration). Unknown characters
become ``ERROR`` tokens so the parser can report them. This module knows nothing of grammar.
"""

from __future__ import annotations

import re
import string
from bisect import bisect_right
from dataclasses import dataclass

KEYWORDS = ("let", "as", "true", "false", "where", "with", "from", "or", "and", "not", "in", "by")

# Fixed symbols in rule order; the mapping value is the token kind.
SYMBOLS = {
    "+": "+", "-": "-", "/": "/", "*": "*", "=": "=", "~": "~", "!~": "!~", "^": "^",
    "!^": "!^", "!": "!", "!=": "!=", ";": ";", ",": ",", "(": "(", ")": ")", "{": "{",
    "}": "}", "[": "[", "]": "]", "|": "|", "$key": "$key",
}  # fmt: skip

EOF = "EOF"
TIME = "TIME"
DATETIME = "DATETIME"
REFERENCE = "REFERENCE"
QUOTED = "QUOTED"
IDENTIFIER = "IDENTIFIER"
DURATION = "DURATION"
INTEGER = "INTEGER"
FLOAT = "FLOAT"
SIMPLE = "SIMPLE"
UNTERMINATED = "UNTERMINATED"
ERROR = "ERROR"
_SKIP = "SKIP"

_TIME = r"[0-9]+:[0-9]+(?::[0-9]+(?:\.[0-9]+)?)?"
_STRING_CHARS = r"(?:[^\"\\]|\\[btnfr\"'\\]|\\u[0-9a-f]{4})*"

_LETTERS = string.ascii_letters
_DIGITS = string.digits

# (kind, pattern, characters a match can start with) in ANTLR rule order; keywords and symbols
# come first. ``ERROR`` (any one character) is the fallback, not listed.
_RULES: list[tuple[str, re.Pattern[str], str]] = [
    *((kw, re.compile(re.escape(kw)), kw[0]) for kw in KEYWORDS),
    *((kind, re.compile(re.escape(sym)), sym[0]) for sym, kind in SYMBOLS.items()),
    (TIME, re.compile(_TIME), _DIGITS),
    (DATETIME, re.compile(r"[0-9]+-[0-9]+-[0-9]+(?: " + _TIME + ")?"), _DIGITS),
    (REFERENCE, re.compile(r"\$[a-zA-Z][a-zA-Z0-9]*"), "$"),
    (QUOTED, re.compile('"' + _STRING_CHARS + '"'), '"'),
    (IDENTIFIER, re.compile(r"[a-zA-Z][a-zA-Z0-9]*"), _LETTERS),
    # Duration is ``Minus? Integer Unit`` and Integer is ``Minus? Digits``: "--5m" is one
    (DURATION, re.compile(r"-?-?[0-9]+(?:ms|s|m|H|h|d|w|M|y)"), _DIGITS + "-"),
    (INTEGER, re.compile(r"-?[0-9]+"), _DIGITS + "-"),
    (FLOAT, re.compile(r"-?[0-9]+\.[0-9]*|-?\.[0-9]+"), _DIGITS + "-."),
    (SIMPLE, re.compile(r"[a-zA-Z0-9:/_\-.]+"), _LETTERS + _DIGITS + ":/_-."),
    (_SKIP, re.compile(r"#[^\r\n]*"), "#"),
    (_SKIP, re.compile(r"[ \t\n\r]+"), " \t\n\r"),
    (UNTERMINATED, re.compile('"' + _STRING_CHARS), '"'),
]
# The rules that can match at a character, in rule order: trying only those is what makes
# lexing linear with a small constant (a query may be hundreds of kilobytes).
_BY_FIRST: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
for _kind, _pattern, _firsts in _RULES:
    for _char in _firsts:
        _BY_FIRST.setdefault(_char, []).append((_kind, _pattern))


@dataclass(frozen=True, slots=True)
class Token:
    """One token; ``line`` is 1-based, ``col``/``end_col`` 0-based (``end_col`` inclusive)."""

    kind: str
    text: str
    line: int
    col: int
    end_line: int
    end_col: int


class _Positions:
    """Maps offsets to (line, column) like ANTLR (``\\n`` starts a new line)."""

    def __init__(self, text: str) -> None:
        self._starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]

    def at(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1]


def _longest(text: str, pos: int) -> tuple[str, int]:
    best_kind, best_end = ERROR, pos + 1
    best_len = 0
    for kind, pattern in _BY_FIRST.get(text[pos], ()):
        m = pattern.match(text, pos)
        if m is not None and m.end() - pos > best_len:
            best_kind, best_end, best_len = kind, m.end(), m.end() - pos
    return best_kind, best_end


def tokenize(text: str) -> list[Token]:
    """All tokens of ``text`` (comments and whitespace skipped), ending with an EOF token."""
    positions = _Positions(text)
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        kind, end = _longest(text, pos)
        if kind != _SKIP:
            line, col = positions.at(pos)
            end_line, end_col = positions.at(end - 1)
            tokens.append(Token(kind, text[pos:end], line, col, end_line, end_col))
        pos = end
    line, col = positions.at(len(text))
    tokens.append(Token(EOF, "<EOF>", line, col, line, col))
    return tokens
