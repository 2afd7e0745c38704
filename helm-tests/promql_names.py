"""Metric names: those a Grafana dashboard queries, and those our code registers.

``queried`` parses PromQL with ``promql_parser`` after putting example values in for Grafana's
variables; ``registered`` reads the metric objects of the API node, the consumer node and the
operator as prometheus_client exposes them. Reads only: it starts no server.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

import promql_parser
from prometheus_client import CollectorRegistry
from prometheus_client.metrics import MetricWrapperBase

from heroic_api.metrics import RequestMetrics
from heroic_consumer.stats import ConsumerStats
from heroic_operator import metrics as operator_metrics

_VARIABLE = re.compile(r"\$\{?(\w+)(?::\w+)?\}?")
_DURATIONS = {"__rate_interval", "__interval", "__range"}
_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
# What each metric type adds to a family's name in the exposition.
_SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "gaugehistogram": ("_bucket", "_gcount", "_gsum"),
    "summary": ("", "_count", "_sum", "_created"),
    "info": ("_info",),
    "stateset": ("",),
    "unknown": ("",),
}


class UncheckableQueryError(ValueError):
    """A query names metrics in a way these helpers cannot list (a regex that is no list)."""


def with_example_values(query: str) -> str:
    """``query`` with Grafana's variables replaced: durations by ``5m``, the rest by ``x``."""
    return _VARIABLE.sub(lambda m: "5m" if m.group(1) in _DURATIONS else "x", query)


def queried(expr: str) -> set[str]:
    """Every metric name a PromQL expression (with Grafana variables) selects."""
    names: set[str] = set()

    def visit(node: promql_parser.Expr) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            names.update(_selector_names(node))

    promql_parser.walk(promql_parser.parse(with_example_values(expr)), visit)
    return names


def _selector_names(selector: promql_parser.VectorSelector) -> Iterator[str]:
    if selector.name:
        yield selector.name
    for matcher in selector.matchers.matchers:
        if matcher.name != "__name__":
            continue
        alternatives = matcher.value.split("|")
        if matcher.op not in (promql_parser.MatchOp.Equal, promql_parser.MatchOp.Re) or not all(
            _NAME.fullmatch(a) for a in alternatives
        ):
            raise UncheckableQueryError(f"cannot list the metrics of {selector}: {matcher}")
        yield from alternatives


def registered() -> set[str]:
    """Every series name the API node, the consumer node and the operator can expose."""
    registries = [RequestMetrics().registry, ConsumerStats().registry]
    operator = [m for m in vars(operator_metrics).values() if isinstance(m, MetricWrapperBase)]
    return set(_exposed(registries)) | set(_exposed(operator))


def _exposed(collectors: Iterable[CollectorRegistry | MetricWrapperBase]) -> Iterator[str]:
    for collector in collectors:
        for family in collector.collect():
            yield from (family.name + suffix for suffix in _SUFFIXES[family.type])
