"""Hypothesis strategies for the fuzz tests: JSON values, filters, aggregations, ranges, HQL.

Each strategy mixes well-formed documents (so the deeper code runs) with every kind of
malformation the decoders must reject cleanly: unknown operators, wrong arities, wrong
types, hostile numbers and deep nesting. Shared by ``tests/unit/core`` and
``tests/unit/api``; strategies only, no assertions.
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

#: A fixed "now" for generated ranges (ms); the API tests' clock uses the same value.
NOW = 1_700_000_040_000
DAY = 86_400_000

Json = Any


def fuzz_settings(max_examples: int) -> settings:
    """Deterministic, bounded settings for CI.

    For a deeper local hunt: ``HEROIC_FUZZ_SCALE=20`` multiplies the examples and
    ``HEROIC_FUZZ_RANDOM=1`` draws new inputs on every run instead of the fixed sequence.
    """
    scale = int(os.environ.get("HEROIC_FUZZ_SCALE", "1"))
    return settings(
        max_examples=max_examples * scale,
        deadline=None,
        derandomize=not os.environ.get("HEROIC_FUZZ_RANDOM"),
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


HOSTILE_INTS = st.sampled_from(
    [0, -1, 1, 2**31 - 1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 10**30]
)
HOSTILE_FLOATS = st.sampled_from([0.5, -0.0, 1e300, -1e300, 1.5e-300, 2.0**63, 1e19])
NUMBERS = st.one_of(
    HOSTILE_INTS, HOSTILE_FLOATS, st.integers(-(10**6), 10**6), st.floats(allow_nan=False)
)
NAMES = st.sampled_from(["host", "site", "role", "what", "", "é", "a b", "\x00", "$key"])
TEXT = st.one_of(NAMES, st.text(max_size=8))

SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, TEXT)
JSON_VALUES: st.SearchStrategy[Json] = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=12,
)


# -- filters ---------------------------------------------------------------------------------

FILTER_OPS = ["and", "or", "not", "key", "=", "+", "^", "~", "true", "false", "q"]
REGEXES = st.sampled_from(["a.*", "(", "[a-", "a{2,1}", "(?P<x>a)", "\\", "*", "(?i)A", ".+"])
HQL_FILTERS = st.sampled_from(
    ["a = b", "a =", "!a = b and c ^ d", "a in [b, c]", "a not in b", 'a ~ "("', "$key = x"]
)


def _leaf_filters() -> st.SearchStrategy[Json]:
    return st.one_of(
        st.tuples(st.just("key"), TEXT).map(list),
        st.tuples(st.just("="), NAMES, TEXT).map(list),
        st.tuples(st.just("+"), NAMES).map(list),
        st.tuples(st.just("^"), NAMES, TEXT).map(list),
        st.tuples(st.just("~"), NAMES, REGEXES).map(list),
        st.sampled_from([["true"], ["false"]]),
        st.tuples(st.just("q"), HQL_FILTERS).map(list),
        # wrong arities and types, unknown operators, not arrays at all
        st.lists(st.one_of(st.sampled_from(FILTER_OPS), SCALARS), max_size=4),
        st.tuples(st.sampled_from([*FILTER_OPS, "$key", "!=", "AND", "regex"]), SCALARS).map(list),
        st.fixed_dictionaries(
            {"type": st.sampled_from(["matchTag", "hasTag", "regex", "raw", "and", "nope", 1])},
            optional={"tag": TEXT, "value": st.one_of(TEXT, REGEXES), "filter": TEXT},
        ),
        SCALARS,
    )


def _filter_branches(inner: st.SearchStrategy[Json]) -> st.SearchStrategy[Json]:
    return st.one_of(
        st.lists(inner, max_size=4).map(lambda xs: ["and", *xs]),
        st.lists(inner, max_size=4).map(lambda xs: ["or", *xs]),
        inner.map(lambda x: ["not", x]),
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: ["not", *xs]),
        st.lists(inner, max_size=3).map(lambda xs: {"type": "and", "filters": xs}),
        inner.map(lambda x: {"type": "not", "filter": x}),
    )


FILTERS: st.SearchStrategy[Json] = st.recursive(_leaf_filters(), _filter_branches, max_leaves=10)

# -- aggregations ----------------------------------------------------------------------------

AGGREGATION_TYPES = [
    "empty", "group", "collapse", "chain", "opts", "quantile", "cardinality", "delta",
    "deltaPerSecond", "notNegative", "topk", "bottomk", "abovek", "belowk", "pointsabove",
    "pointsbelow", "sum", "sum2", "average", "min", "max", "count", "stddev", "spread", "tpl",
    "group-unique", "ratePerSecond", "tdigest",
]  # fmt: skip
UNITS = st.sampled_from(["MILLISECONDS", "seconds", "MINUTES", "HOURS", "DAYS", "WEEKS", "", 3])
DURATIONS = st.one_of(
    st.sampled_from(["1m", "10s", "1H", "1w", "0ms", "-5m", "3600", "abc", "1e400", "", "5y"]),
    st.sampled_from([1, 60_000, 0, -1, 10**12, 2**63, 10**30, 0.5, True]),
    st.fixed_dictionaries(
        {"duration": st.one_of(st.integers(-2, 10**6), HOSTILE_INTS, TEXT), "unit": UNITS}
    ),
    SCALARS,
)
SAMPLING = st.fixed_dictionaries(
    {}, optional={"unit": UNITS, "value": DURATIONS, "extent": DURATIONS, "size": DURATIONS}
)
METHODS = st.fixed_dictionaries(
    {"type": st.sampled_from(["exact", "hll", "hllp", "nope", 2])},
    optional={"precision": NUMBERS, "includeKey": st.one_of(st.booleans(), SCALARS)},
)


def _aggregation_fields(inner: st.SearchStrategy[Json]) -> st.SearchStrategy[dict[str, Json]]:
    return st.fixed_dictionaries(
        {"type": st.one_of(st.sampled_from(AGGREGATION_TYPES), SCALARS)},
        optional={
            "size": DURATIONS,
            "extent": DURATIONS,
            "sampling": st.one_of(SAMPLING, SCALARS),
            "of": st.one_of(st.lists(st.one_of(NAMES, SCALARS), max_size=3), SCALARS, inner),
            "each": st.one_of(inner, st.lists(inner, max_size=3)),
            "chain": st.one_of(st.lists(inner, max_size=3), SCALARS),
            "aggregation": inner,
            "k": NUMBERS,
            "q": NUMBERS,
            "error": NUMBERS,
            "threshold": NUMBERS,
            "method": st.one_of(METHODS, SCALARS),
            "bogus": SCALARS,
        },
    )


def _simple_aggregations() -> st.SearchStrategy[Json]:
    """Mostly valid leaf aggregations, so that evaluation (not just decoding) runs."""
    sampling = st.sampled_from(AGGREGATION_TYPES[16:]).flatmap(
        lambda name: st.fixed_dictionaries(
            {"type": st.just(name)},
            optional={"size": st.sampled_from(["1m", "5m", "1H", 1, 1000, "1d"])},
        )
    )
    return st.one_of(
        sampling,
        st.sampled_from(
            [
                {"type": "quantile", "q": 0.9, "size": "1m"},
                {"type": "topk", "k": 1},
                {"type": "bottomk", "k": 0},
                {"type": "abovek", "k": 1.5},
                {"type": "pointsbelow", "threshold": 2},
                {"type": "delta"},
                {"type": "deltaPerSecond"},
                {"type": "notNegative"},
                {"type": "cardinality", "method": {"type": "exact", "includeKey": True}},
                {"type": "cardinality", "method": {"type": "hll", "precision": 0.01}},
                {"type": "cardinality", "method": {"type": "hllp", "precision": 4}},
            ]
        ),
    )


def _grouping(kind: str, of: list[str] | None, each: Json) -> Json:
    out: dict[str, Json] = {"type": kind, "each": each}
    if of is not None:
        out["of"] = of
    return out


def _aggregation_branches(inner: st.SearchStrategy[Json]) -> st.SearchStrategy[Json]:
    return st.one_of(
        st.builds(
            _grouping, st.sampled_from(["group", "collapse"]), st.lists(NAMES, max_size=2), inner
        ),
        st.lists(inner, min_size=1, max_size=3).map(lambda xs: {"type": "chain", "chain": xs}),
        st.builds(lambda s, a: {"type": "opts", "sampling": s, "aggregation": a}, SAMPLING, inner),
        _aggregation_fields(inner),
    )


AGGREGATIONS: st.SearchStrategy[Json] = st.recursive(
    st.one_of(_simple_aggregations(), _aggregation_fields(st.none())),
    _aggregation_branches,
    max_leaves=6,
)

# -- ranges ----------------------------------------------------------------------------------

SENSIBLE_RANGES = st.builds(
    lambda back, span: {"type": "absolute", "start": NOW - back, "end": NOW - back + span},
    st.sampled_from([DAY, 3_600_000, 600_000, 7 * DAY]),
    st.sampled_from([DAY, 3_600_000, 600_000, 60_000, 1]),
)
RANGES = st.one_of(
    SENSIBLE_RANGES,
    st.fixed_dictionaries(
        {"type": st.sampled_from(["absolute", "relative", "ABSOLUTE", "nope", 1])},
        optional={
            "start": st.one_of(NUMBERS, TEXT, st.just(NOW)),
            "end": st.one_of(NUMBERS, TEXT, st.just(NOW), st.just(NOW + 100 * 365 * DAY)),
            "unit": UNITS,
            "value": st.one_of(NUMBERS, TEXT),
        },
    ),
    SCALARS,
)

OPTIONS = st.fixed_dictionaries(
    {},
    optional={
        "bucketStrategy": st.one_of(st.sampled_from(["start", "END", "middle"]), SCALARS),
        "tracing": st.one_of(st.sampled_from(["NONE", "detailed", "x"]), SCALARS),
        "fetchSize": NUMBERS,
        "dataLimit": st.one_of(NUMBERS, st.just(1)),
        "aggregationLimit": st.one_of(NUMBERS, st.just(2)),
        "groupLimit": st.one_of(NUMBERS, st.just(1)),
        "seriesLimit": st.one_of(NUMBERS, st.just(1)),
        "failOnLimits": st.one_of(st.booleans(), SCALARS),
    },
)
FEATURES = st.lists(
    st.sampled_from(
        [
            "com.spotify.heroic.shift_range",
            "-com.spotify.heroic.shift_range",
            "-end_bucket_stategy",
            "deterministic_aggregations",
            "distributed_aggregations",
            "cache_query",
            "nope",
            "-",
            "",
        ]
    ),
    max_size=3,
)

# -- HQL -------------------------------------------------------------------------------------

HQL_SEEDS = [
    "average(5m) from points(1h)",
    "sum(1m) by host from points($now - 1d, $now) where role = db and !site ^ lon",
    '* from points(1h) where $key = "cpu" or host in [a, b] and +site',
    "average by host | sum by site from points(2h)",
    "quantile(1m, q=0.99) from points({2023-11-14 00:00}, {2023-11-14 12:00})",
    "cardinality(1m, method=hllp(precision=4)) from points(30m)",
    'group([host, site], sum(1m)) from points(1h) where a !~ "b.*"',
    "topk(3) from points(1d) with size=5m as x=1",
    "opts(sum(1m), size=10m) from points(3h)",
    "sum(1ms) from points(0, 3153600000000)",
    "let $a = * from points(1h); $a",
    "chain(average(1m), notNegative) from points(1h) where a not in [b]",
]
HQL_TOKENS = [
    "let", "as", "true", "false", "where", "with", "from", "or", "and", "not", "in", "by",
    "+", "-", "/", "*", "=", "~", "!~", "^", "!^", "!", "!=", ";", ",", "(", ")", "{", "}",
    "[", "]", "|", "$key", "$now", "$x", "12:30", "2023-11-14", "2023-02-30 25:00",
    '"q\\u00e9"', '"\\ud800"', '"unterminated', "host", "points", "spreads", "nope", "sum",
    "average", "quantile", "group", "cardinality", "topk", "opts", "5m", "1H", "-1d", "3w",
    "0ms", "2147483648s", "9223372036854775807", "-9223372036854775808", "99999999999999999999",
    "1.5", ".5", "-0.", "10.0.0.1", "cpu-idle", "#comment\n", "\n", "\t", "size", "extent",
    "q", "precision", "method", "hll", "hllp", "exact", "@", "\x00", "é",
]  # fmt: skip

TOKEN_SOUP = st.lists(st.sampled_from(HQL_TOKENS), max_size=20).flatmap(
    lambda tokens: st.sampled_from([" ", ""]).map(lambda sep: sep.join(tokens))
)


@st.composite
def mutated_hql(draw: st.DrawFn) -> str:
    """A seed query with a few characters deleted, inserted or replaced."""
    text = draw(st.sampled_from(HQL_SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["delete", "insert", "replace"]))
        piece = draw(st.one_of(st.sampled_from(HQL_TOKENS), st.characters()))
        if op == "delete":
            text = text[:pos] + text[pos + 1 :]
        elif op == "insert":
            text = text[:pos] + piece + text[pos:]
        else:
            text = text[:pos] + piece + text[pos + len(piece) :]
    return text


# -- mostly valid documents (so that evaluation, not only decoding, is exercised) -------------

VALID_FILTERS: st.SearchStrategy[Json] = st.recursive(
    st.one_of(
        st.tuples(st.just("="), NAMES, st.sampled_from(["a", "b", "lon", "db", ""])).map(list),
        st.tuples(st.just("^"), NAMES, st.sampled_from(["l", "", "d"])).map(list),
        st.tuples(st.just("~"), NAMES, st.sampled_from(["a|b", ".*", "l.n", "(?i)DB"])).map(list),
        st.tuples(st.just("+"), NAMES).map(list),
        st.tuples(st.just("key"), st.sampled_from(["cpu", "odd", ""])).map(list),
        st.sampled_from([["true"], ["false"]]),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda xs: ["and", *xs]),
        st.lists(inner, max_size=3).map(lambda xs: ["or", *xs]),
        inner.map(lambda x: ["not", x]),
    ),
    max_leaves=6,
)
VALID_SIZES = st.sampled_from(["1m", "5m", "1H", "1d", 1, 1000, 60_000, "3600", "1w", "7m"])


def _valid_branches(inner: st.SearchStrategy[Json]) -> st.SearchStrategy[Json]:
    tags = st.one_of(st.none(), st.lists(st.sampled_from(["host", "site", "x"]), max_size=2))
    return st.one_of(
        st.builds(_grouping, st.sampled_from(["group", "collapse"]), tags, inner),
        st.lists(inner, min_size=1, max_size=3).map(lambda xs: {"type": "chain", "chain": xs}),
        st.builds(
            lambda size, child: {"type": "opts", "sampling": {"value": size}, "aggregation": child},
            VALID_SIZES,
            inner,
        ),
    )


VALID_AGGREGATIONS: st.SearchStrategy[Json] = st.recursive(
    _simple_aggregations(), _valid_branches, max_leaves=4
)
VALID_OPTIONS = st.fixed_dictionaries(
    {},
    optional={
        "bucketStrategy": st.sampled_from(["start", "end"]),
        "tracing": st.sampled_from(["NONE", "DETAILED", True, False]),
        "dataLimit": st.sampled_from([1, 10, 1000, None]),
        "aggregationLimit": st.sampled_from([1, 100, 10**6, None]),
        "groupLimit": st.sampled_from([0, 1, 2, None]),
        "seriesLimit": st.sampled_from([0, 1, 2, None]),
        "failOnLimits": st.booleans(),
    },
)
VALID_FEATURES = st.lists(
    st.sampled_from(
        [
            "-com.spotify.heroic.shift_range",
            "-end_bucket_stategy",
            "deterministic_aggregations",
            "distributed_aggregations",
        ]
    ),
    max_size=2,
)

# -- HQL generated from the grammar ----------------------------------------------------------

_HQL_STRINGS = st.sampled_from(["host", "site", "role", '"a b"', "cpu-idle", "10.0.0.1", '""'])
_HQL_DURATIONS = st.sampled_from(["1ms", "1s", "1m", "5m", "1h", "1H", "1d", "0s", "-1m"])
_HQL_SAMPLING = ["sum", "average", "min", "max", "count", "stddev", "spread", "sum2"]


@st.composite
def hql_filter(draw: st.DrawFn, depth: int = 0) -> str:
    """A filter from the HQL grammar (reference 5.2)."""
    if depth < 2 and draw(st.booleans()):
        left, right = draw(hql_filter(depth + 1)), draw(hql_filter(depth + 1))
        return draw(st.sampled_from([f"{left} and {right}", f"{left} or {right}",
                                     f"({left})", f"!{left}"]))  # fmt: skip
    key, value = draw(_HQL_STRINGS), draw(_HQL_STRINGS)
    op = draw(st.sampled_from(["=", "!=", "^", "!^", "~", "!~"]))
    return draw(
        st.sampled_from(
            [f"{key} {op} {value}", f"+{key}", f"$key = {value}", f"$key != {value}",
             f"{key} in [{value}, x]", f"{key} not in [{value}]", "true", "false",
             f"{key} in {value}"]
        )
    )  # fmt: skip


@st.composite
def hql_aggregation(draw: st.DrawFn, depth: int = 0) -> str:
    """An aggregation expression: calls, ``by``, ``|`` and keyword arguments."""
    name = draw(st.sampled_from(_HQL_SAMPLING))
    leaf = draw(
        st.sampled_from(
            [name, f"{name}({draw(_HQL_DURATIONS)})",
             f"{name}(size={draw(_HQL_DURATIONS)}, extent={draw(_HQL_DURATIONS)})",
             f"quantile({draw(_HQL_DURATIONS)}, q=0.{draw(st.integers(0, 99))})",
             f"topk({draw(st.integers(-1, 5))})", f"abovek({draw(st.integers(-1, 5))}.5)",
             "notNegative", "delta", "deltaPerSecond", "cardinality(1m, method=exact)",
             f"cardinality(method=hllp(precision={draw(st.integers(-1, 40))}))"]
        )
    )  # fmt: skip
    if depth < 2 and draw(st.booleans()):
        other = draw(hql_aggregation(depth + 1))
        return draw(st.sampled_from([f"{leaf} by host", f"{leaf} by [host, site]",
                                     f"{leaf} by *", f"{leaf} | {other}",
                                     f"opts({other}, size={draw(_HQL_DURATIONS)})",
                                     f"group([site], {other})"]))  # fmt: skip
    return leaf


@st.composite
def hql_query(draw: st.DrawFn) -> str:
    """``select [from] [where]`` with ranges near ``$now``."""
    select = draw(st.one_of(st.just("*"), hql_aggregation()))
    source = draw(st.sampled_from(["points", "points", "spreads"]))
    range_ = draw(
        st.sampled_from(
            ["1h", "1d", "10m", "$now - 1d, $now", "$now - 2h, $now - 1h", "0, $now",
             "{2023-11-14}, {2023-11-14 12:00}", "1ms", "$now, $now - 1h", "7d"]
        )
    )  # fmt: skip
    text = f"{select} from {source}({range_})"
    if draw(st.booleans()):
        text += f" where {draw(hql_filter())}"
    return text


VALID_HQL = hql_query()
HQL = st.one_of(
    st.sampled_from(HQL_SEEDS),
    VALID_HQL,
    mutated_hql(),
    TOKEN_SOUP,
    st.text(max_size=40),
    st.builds(
        lambda n, s: s * n, st.integers(100, 2000), st.sampled_from(["(", "-", "!", "[", "{"])
    ),
)
