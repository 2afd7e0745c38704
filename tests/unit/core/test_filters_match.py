"""Filter matching against series: key and tags only, never resource (4.1)."""

from __future__ import annotations

import pytest

from heroic_core.filters import (
    FALSE,
    TRUE,
    And,
    Filter,
    HasTag,
    MatchKey,
    MatchTag,
    Not,
    Or,
    Regex,
    StartsWith,
)
from heroic_core.model import Series

SERIES = Series("system.cpu", {"host": "db1", "site": "lon", "role": ""}, {"pod": "p-1"})

MATCHES = [
    (MatchKey("system.cpu"), True),
    (MatchKey("system"), False),
    (MatchTag("host", "db1"), True),
    (MatchTag("host", "db"), False),
    (MatchTag("pod", "p-1"), False),  # resource is not visible to filters
    (MatchTag("role", ""), True),
    (HasTag("site"), True),
    (HasTag("pod"), False),
    (HasTag("missing"), False),
    (StartsWith("host", "db"), True),
    (StartsWith("host", "db1"), True),
    (StartsWith("host", "db12"), False),
    (StartsWith("missing", ""), False),
    (StartsWith("role", ""), True),
    (Regex("host", "db[0-9]"), True),
    (Regex("host", "db"), False),  # whole-value match, like Java's matches()
    (Regex("host", "b1"), False),
    (Regex("host", ".*b1"), True),
    (Regex("host", "db1|web1"), True),
    (Regex("missing", ".*"), False),
    (Not(MatchTag("host", "db1")), False),
    (Not(HasTag("missing")), True),
    (And((HasTag("host"), MatchTag("site", "lon"))), True),
    (And((HasTag("host"), MatchTag("site", "ams"))), False),
    (And(()), True),
    (Or((MatchTag("site", "ams"), MatchTag("site", "lon"))), True),
    (Or((MatchTag("site", "ams"), MatchKey("x"))), False),
    (Or(()), False),
    (TRUE, True),
    (FALSE, False),
]


@pytest.mark.parametrize(("f", "expected"), MATCHES, ids=[str(f) for f, _ in MATCHES])
def test_filter_matches_series(f: Filter, expected: bool) -> None:
    assert f.matches(SERIES) is expected


def test_invalid_regex_is_rejected_on_construction() -> None:
    with pytest.raises(ValueError, match="invalid regex"):
        Regex("host", "(")


def test_filters_are_hashable_values() -> None:
    assert {MatchTag("a", "b"), MatchTag("a", "b"), StartsWith("a", "b")} == {
        MatchTag("a", "b"),
        StartsWith("a", "b"),
    }
    assert Regex("a", "b") == Regex("a", "b")
    assert MatchTag("a", "b") != StartsWith("a", "b")
