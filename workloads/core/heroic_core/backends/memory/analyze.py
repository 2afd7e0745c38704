"""Text matching for the memory suggest backend, modelled on the Elasticsearch analyzers.

Upstream's Elasticsearch suggest index (reference 9.2) matches a partial input three ways:
a *token* equal to an edge n-gram (2..10 chars) of a word of the text (``bag_analyzer``: split
on non-alphanumerics and on lower→upper case changes, lowercased), a *prefix* of the whole
lowercased text (2..20 chars, ``prefix_analyzer``), and the *exact* text. We score those with
the boosts upstream's queries give them (1, 1.5, 2). Scores only rank results; they are not
Elasticsearch's BM25 numbers. Pure functions only.
"""

from __future__ import annotations

import re
from functools import lru_cache

_WORD_SPLIT = re.compile(r"[^a-zA-Z0-9]+|(?<=[a-z0-9])(?=[A-Z])")

TOKEN_SCORE = 1.0
PREFIX_SCORE = 1.5
EXACT_SCORE = 2.0


@lru_cache(maxsize=65536)
def bag_tokens(text: str) -> frozenset[str]:
    """Edge n-grams (length 2..10) of each lowercased word of ``text``."""
    out: set[str] = set()
    for word in _WORD_SPLIT.split(text):
        lower = word.lower()
        out.update(lower[:n] for n in range(2, min(len(lower), 10) + 1))
    return frozenset(out)


def is_prefix_match(query: str, text: str) -> bool:
    """``query`` (lowercased, 2..20 chars) is a prefix of lowercased ``text``."""
    lower = query.lower()
    return 2 <= len(lower) <= 20 and text.lower().startswith(lower)


def field_score(query: str, text: str) -> float:
    """Score of ``text`` for the tag-suggest field query ``query`` (0 = no match).

    Every whitespace-separated token of the query that is a bag token adds 1, a prefix match
    adds 1.5 and an exact match adds 2.
    """
    tokens = bag_tokens(text)
    score = sum(TOKEN_SCORE for token in query.lower().split() if token in tokens)
    if is_prefix_match(query, text):
        score += PREFIX_SCORE
    if text == query:
        score += EXACT_SCORE
    return score


def key_score(query: str, key: str) -> float:
    """Score of a series key for key-suggest: the whole lowercased query as a bag token (1),
    as a prefix (1.5), or equal to the key (2)."""
    lower = query.lower()
    score = TOKEN_SCORE if lower in bag_tokens(key) else 0.0
    if is_prefix_match(query, key):
        score += PREFIX_SCORE
    if key == lower:
        score += EXACT_SCORE
    return score
