"""Benchmark: worst-case costs of hostile query texts and filters (they run on the event loop).

Prints the time to lex and parse the longest accepted HQL text (256 KiB of ``a = b and ...``,
and of quoted ``k = "v"`` terms), and to decode the deepest accepted JSON filter (alternating
``and``/``or``, 100 levels) and one just past the limit (rejected after decoding).

Run: ``.venv/bin/python benchmarks/bench_hql_parse.py [--repeat R]``
"""

from __future__ import annotations

import argparse
import contextlib
import time
from collections.abc import Callable
from typing import Any

from benchlib import Result, record

from heroic_core.errors import HeroicError
from heroic_core.hql import parse_filter, parse_filter_json
from heroic_core.hql.lexer import tokenize
from heroic_core.hql.parser import MAX_LENGTH
from heroic_core.limits import MAX_FILTER_DEPTH


def _best(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        with contextlib.suppress(HeroicError):
            fn()
        best = min(best, time.perf_counter() - started)
    return best


def _fill(term: str) -> str:
    count = (MAX_LENGTH - 5) // len(term)
    return term * count + "c = d"


def _alternating(depth: int) -> Any:
    document: Any = ["=", "a", "b"]
    for level in range(depth - 1):
        document = ["and" if level % 2 else "or", document, ["+", f"t{level}"]]
    return document


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    plain, quoted = _fill("a = b and "), _fill('key = "some value" and ')
    cases: list[tuple[str, Callable[[], object]]] = [
        (f"lex {len(plain)} chars of 'a = b and'", lambda: tokenize(plain)),
        (f"parse {len(plain)} chars of 'a = b and'", lambda: parse_filter(plain)),
        (f"parse {len(quoted)} chars of quoted terms", lambda: parse_filter(quoted)),
        (
            f"decode JSON filter {MAX_FILTER_DEPTH} levels deep",
            lambda: parse_filter_json(_alternating(MAX_FILTER_DEPTH)),
        ),
        (
            f"reject JSON filter {MAX_FILTER_DEPTH + 50} levels deep",
            lambda: parse_filter_json(_alternating(MAX_FILTER_DEPTH + 50)),
        ),
    ]
    for name, fn in cases:
        record(Result("hql_parse", name, "ms", [_best(fn, args.repeat) * 1000],
                      lower_is_better=True, notes={"best_of": args.repeat}))  # fmt: skip


if __name__ == "__main__":
    main()
