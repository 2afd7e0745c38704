"""The PromQL corpus of the differential tests, and which evaluations each query gets.

Every range query runs over the whole data at a 60 s step and over one other window, and every
instant query at the middle and at one other instant, taking the others in turn (a case may name
its own windows); so every window and instant of ``evaluations`` meets every kind of query
without the cost of the full product. Queries may refer to ``{mid}`` (an absolute time for
``@``).

Must not talk to anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum

from .compare import STRICT, Tolerance
from .dataset import Dataset
from .evaluations import INSTANTS, MID, WINDOWS, Evaluation, Window


class Mode(Enum):
    """Which endpoints a case runs on."""

    BOTH = "both"
    INSTANT = "instant"  # range-vector results, sort/sort_desc: /api/v1/query only


@dataclass(frozen=True)
class Case:
    """One query; ``empty`` marks one whose answer is empty everywhere by design."""

    query: str
    mode: Mode = Mode.BOTH
    tolerance: Tolerance = STRICT
    ordered: bool = False
    empty: bool = False
    windows: tuple[str, ...] = ()

    def text(self, dataset: Dataset) -> str:
        """The query with ``{mid}`` replaced (not ``str.format``: selectors hold braces)."""
        return self.query.replace("{mid}", MID.params(dataset)["time"])


@dataclass(frozen=True)
class ErrorCase:
    """A request both must refuse with the same ``errorType``; params override the evaluation."""

    query: str
    endpoint: str = "query"
    params: tuple[tuple[str, str], ...] = ()

    def request(self, dataset: Dataset) -> tuple[str, dict[str, str]]:
        """Path and parameters: the whole data at 60 s for ranges, else the middle."""
        where = WINDOWS[0] if self.endpoint == "query_range" else MID
        params = {"query": self.query, **where.params(dataset), **dict(self.params)}
        return f"/api/v1/{self.endpoint}", params


# Prometheus fits deriv/predict_linear from running sums of x, y, x·y and x² (x relative to the
# evaluation time), which rounds differently from a centred fit: against numpy's centred least
# squares on this data it differed by up to 2.0e-10 (deriv) and 3.4e-10 (predict_linear)
# relative, so regressions compare at 1e-8 rather than the default 1e-9.
REGRESSION = Tolerance(rel=1e-8, abs=1e-12)
COUNTER_WINDOWS = ("whole-60s", "reset-and-gap-15s", "hourly-past-the-edges")

H = "http_requests_total"
T = "node_temperature"
B = "request_duration_seconds_bucket"
RATE = f"rate({H}[5m])"

SELECTORS = [
    Case(T),
    Case(f'{T}{{instance="n1"}}'),
    Case(f'{T}{{instance!="n1"}}'),
    Case(f'{T}{{instance=~"n[12]"}}'),
    Case(f'{T}{{instance!~"n[12]"}}'),
    Case(f'{H}{{code="500",path=~"/a.*"}}'),
    Case('{__name__=~"node_.*|instance_info"}'),
    Case(f'{{__name__="{H}",instance=~"i0|i2",code!="500"}}'),
    Case(f'{H}{{instance=~"i.*",path!~"/health"}}'),
    Case(f'{H}{{region=""}}'),
    Case(f'{T}{{zone=""}}', empty=True),
    Case(f'{T}{{zone=~"a|"}}'),
    Case(f"{T} offset 10m"),
    Case(f"{T} offset -5m"),
    Case(f"{T} @ start()"),
    Case(f"{T} @ end()"),
    Case(f"{T} @ {{mid}}"),
    Case(f"rate({H}[5m] @ {{mid}})"),
    Case(f"rate({H}[5m] offset 30m)", windows=COUNTER_WINDOWS),
    Case(f"{T}[5m]", Mode.INSTANT),
    Case(f"{H}[2m] offset 1m", Mode.INSTANT),
    Case(f"{T}[3m] @ {{mid}}", Mode.INSTANT),
]
COUNTERS = [
    Case(RATE, windows=COUNTER_WINDOWS),
    Case(f"rate({H}[1m])", windows=COUNTER_WINDOWS),
    Case(f"rate({H}[30m])", windows=COUNTER_WINDOWS),
    Case(f"irate({H}[5m])", windows=COUNTER_WINDOWS),
    Case(f"increase({H}[10m])", windows=COUNTER_WINDOWS),
    Case(f"increase({H}[1h])"),
    Case(f"resets({H}[30m])", windows=COUNTER_WINDOWS),
    Case(f"changes({H}[5m])"),
    Case(f"changes({T}[10m])"),
    Case(f"delta({T}[10m])"),
    Case(f"idelta({T}[5m])"),
    Case(f"deriv({T}[15m])", tolerance=REGRESSION),
    Case(f"predict_linear({T}[30m], 600)", tolerance=REGRESSION),
    Case("rate(request_duration_seconds_count[5m])", windows=COUNTER_WINDOWS),
]
OVER_TIME = [
    Case(f"avg_over_time({T}[10m])"),
    Case(f"min_over_time({T}[10m])"),
    Case(f"max_over_time({T}[10m])"),
    Case(f"sum_over_time({H}[2m])"),
    Case(f"count_over_time({T}[10m])"),
    Case(f"quantile_over_time(0.9, {T}[15m])"),
    Case(f"quantile_over_time(0, {T}[15m])"),
    Case(f"stddev_over_time({T}[20m])"),
    Case(f"stdvar_over_time({T}[20m])"),
    Case(f"last_over_time({T}[10m])"),
    Case(f"present_over_time({T}[10m])"),
    Case(f'absent_over_time({T}{{instance="n2"}}[5m])'),
    Case("absent_over_time(nonexistent_metric[5m])"),
    Case(f'absent({T}{{instance="n2"}})'),
    Case('absent(nonexistent_metric{job="x",instance=~"y"})'),
    Case(f"absent({T})"),  # 1 only before and after the data
    Case(f"timestamp({T})"),
    Case(f"timestamp({T} offset 1m)"),
    Case("time()"),
    Case(f"time() - timestamp({T})"),
    Case("vector(1)"),
    Case("vector(time())"),
    Case(f"scalar(sum({T}))"),
    Case(f"scalar({T})"),
    Case(f"{T} > bool scalar(avg({T}))"),
]
AGGREGATIONS = [
    Case(f"sum({RATE})"),
    Case(f"sum by (instance) ({RATE})"),
    Case(f"sum without (instance) ({RATE})"),
    Case(f"sum({T}) by (zone)"),
    Case(f"avg by (zone) ({T})"),
    Case(f"avg without (instance, code) ({RATE})"),
    Case(f"min by (job) ({T})"),
    Case(f"max without (zone) ({T})"),
    Case(f"count by (code) ({H})"),
    Case(f"count({T})"),
    Case(f"stddev({T})"),
    Case(f"stdvar by (zone) ({T})"),
    Case(f"topk(2, {T})"),
    Case(f"topk by (instance) (1, {B})"),
    Case(f"bottomk(2, {T})"),
    Case(f"bottomk without (instance) (1, {T})"),
    Case(f"quantile(0.5, {T})"),
    Case(f"quantile by (job) (0.9, {RATE})"),
    Case(f'count_values("samples", count_over_time({T}[5m]))'),
    Case(f'count_values by (zone) ("celsius", round({T}))'),
    Case(f"group({T})"),
    Case(f"group by (zone) ({T})"),
    Case(f"sum by (le) (rate({B}[5m]))"),
    Case('max by (__name__) ({__name__=~"node_temperature|instance_info"})'),
]
BINARY = [
    Case(f"{T} + 1"),
    Case(f"2 * {T} - 3"),
    Case(f"{T} / 0"),
    Case(f"-{T}"),
    Case(f"{T} % 7"),
    Case(f"{T} ^ 0.5"),
    Case(f"1 - {T} / 100"),
    Case("1 + 2 * 3"),
    Case("2 ^ 3 ^ 2"),
    Case("time() % 3600"),
    Case(f"{T} > 50"),
    Case(f"{T} > bool 50"),
    Case(f"50 < bool {T}"),
    Case(f"{T} == bool {T}"),
    Case(f"{T} != bool {T} offset 1m"),
    Case(f"{T} >= {T} offset 5m"),
    Case(f"{T} <= on(instance) {T} offset 5m"),
    Case(f"{RATE} / ignoring(code) group_left sum without (code) ({RATE})"),
    Case(f"{RATE} * on(instance) group_left(region) instance_info"),
    Case(f"instance_info * on(instance) group_right(region) {RATE}"),
    Case(f"sum by (instance) ({RATE}) * on(instance) instance_info"),
    Case(f'rate({H}{{code="500"}}[5m]) / ignoring(code) rate({H}{{code="200"}}[5m])'),
    Case(f"{T} - ignoring(zone) {T} offset 10m"),
    Case(f"{T} > on(zone) group_left avg by (zone) ({T})"),
    Case(f"{T} and {T} > 50"),
    Case(f'{T}{{zone="a"}} or {T}{{instance="n1"}}'),
    Case(f'{T} unless {T}{{zone="b"}}'),
    Case(f'{H} unless on(instance) instance_info{{region="us"}}'),
    Case(f'sum by (instance) ({RATE}) and on(instance) instance_info{{region="eu"}}'),
    Case(f"vector(1) and on() {T}"),
    Case(f'absent({T}{{instance="n2"}}) or vector(0)'),
]
MATH = [
    Case(f"abs(delta({T}[10m]))"),
    Case(f"ceil({T})"),
    Case(f"floor({T})"),
    Case(f"round({T})"),
    Case(f"round({T}, 0.25)"),
    Case(f"exp({T} / 20)"),
    Case(f"ln({T})"),
    Case(f"ln(-{T})"),
    Case(f"log2({RATE})"),
    Case(f"log10({H})"),
    Case(f"sqrt({T})"),
    Case(f"clamp({T}, 40, 60)"),
    Case(f"clamp_min({T}, 50)"),
    Case(f"clamp_max({T}, 50)"),
    Case(f"sgn(deriv({T}[10m]))"),
]
SORTING = [
    Case(f"sort({T})", Mode.INSTANT, ordered=True),
    Case(f"sort_desc({T})", Mode.INSTANT, ordered=True),
    Case(f"sort_desc(sum by (instance) ({RATE}))", Mode.INSTANT, ordered=True),
]
HISTOGRAMS = [
    Case(f"histogram_quantile(0.9, sum by (le) (rate({B}[5m])))", windows=COUNTER_WINDOWS),
    Case(f"histogram_quantile(0.5, rate({B}[10m]))"),
    Case(f"histogram_quantile(0.99, sum by (le, instance) (increase({B}[15m])))"),
    Case(f"histogram_quantile(1.5, sum by (le) (rate({B}[5m])))"),
    Case("rate(request_duration_seconds_sum[5m]) / rate(request_duration_seconds_count[5m])"),
]
LABELS = [
    Case(f'label_replace({T}, "host", "$1", "instance", "n(.*)")'),
    Case(f'label_replace({T}, "zone", "", "zone", ".*")'),
    Case(f'label_replace({H}, "kind", "$1-$2", "code", "(.)(.*)")'),
    Case(f'label_replace({T}, "instance", "x", "instance", "nomatch")'),
    Case(f'label_join({T}, "id", "/", "job", "instance", "zone")'),
    Case(f'label_join({RATE}, "route", "", "path")'),
]
SUBQUERIES = [
    Case(f"max_over_time({RATE}[30m:1m])"),
    Case(f"avg_over_time({T}[10m:])"),
    Case(f"min_over_time(deriv({T}[5m])[20m:2m])", tolerance=REGRESSION),
    Case(f"rate({H}[5m:30s])"),
    Case(f"max_over_time({T}[1h:5m] offset 10m)"),
    Case(f"sum_over_time(sum({T})[15m:1m] @ {{mid}})"),
    Case(f"quantile_over_time(0.5, irate({H}[2m])[20m:1m])"),
]
CASES = (
    SELECTORS + COUNTERS + OVER_TIME + AGGREGATIONS + BINARY + MATH + SORTING + HISTOGRAMS
    + LABELS + SUBQUERIES
)  # fmt: skip

# Evaluated where there is data (``MID``), so that errors found while evaluating (422
# ``execution`` in Prometheus) happen at all. Left out on purpose: an invalid legacy label name
# such as label_replace(..., "1bad", ...), which Prometheus 2 refuses but our node's default
# allow-utf-8 names (Prometheus 3's rule) accept.
ERRORS = [
    ErrorCase(f"rate({T}[5m]"),
    ErrorCase(f"sum by (instance {T}"),
    ErrorCase(f'{T}{{instance="n1"'),
    ErrorCase("foo bar"),
    ErrorCase("{}"),
    ErrorCase(f"rate({T})"),
    ErrorCase("histogram_quantile(0.9)"),
    ErrorCase(f"topk({T}, {T})"),
    ErrorCase(f"{T}[5m:0s]"),
    ErrorCase(f"{T} @ 1e30"),
    ErrorCase(f"{T}[5m]", "query_range"),
    ErrorCase(f"{T}", "query_range", (("step", "0"),)),
    ErrorCase(f"{T}", "query_range", (("step", "1"),)),  # more than 11,000 points
    ErrorCase(f"{T}", "query", (("time", "yesterday"),)),
    ErrorCase(f'label_replace({T}, "dst", "$1", "instance", "(.*")'),
    ErrorCase(f'label_replace({T}, "instance", "x", "instance", ".*")'),  # duplicate series
    ErrorCase(f"{T} + ignoring(instance) {T}"),  # many-to-many
    ErrorCase(f"{RATE} * on(instance) instance_info + on(job) {T}"),  # many-to-one unmarked
]


def _windows(names: tuple[str, ...]) -> list[Window]:
    known = {w.name: w for w in WINDOWS}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown windows {unknown} (known: {sorted(known)})")
    return [known[n] for n in names]


def evaluations(case: Case, index: int) -> list[Evaluation]:
    """Where ``case`` (the ``index``-th) runs: its own windows, else the default pair(s)."""
    chosen: list[Evaluation] = []
    if case.mode is Mode.BOTH:
        chosen += _windows(case.windows) or [WINDOWS[0], WINDOWS[1 + index % (len(WINDOWS) - 1)]]
    chosen += [INSTANTS[0], INSTANTS[1 + index % (len(INSTANTS) - 1)]]
    return chosen


def runs() -> Iterator[tuple[Case, Evaluation]]:
    """Every (case, evaluation) pair of the corpus."""
    for index, case in enumerate(CASES):
        for evaluation in evaluations(case, index):
            yield case, evaluation
