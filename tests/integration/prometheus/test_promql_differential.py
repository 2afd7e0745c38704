"""Our ``/api/v1`` answers against real Prometheus 2.42 on the same data (``corpus`` says which
queries where; ``compare`` how answers are matched). Skips while our node lacks the query API.
"""

from __future__ import annotations

from typing import Any

import pytest

from .corpus import ERRORS, Case, ErrorCase, runs
from .dataset import Dataset
from .evaluations import WINDOWS, Evaluation, Window
from .peers import Peers

pytestmark = pytest.mark.prometheus

RUNS = list(runs())
POSTED = ("rate(http_requests_total[5m])", "sum by (zone) (node_temperature)")


def _endpoint(evaluation: Evaluation) -> str:
    return "/api/v1/query_range" if isinstance(evaluation, Window) else "/api/v1/query"


@pytest.mark.parametrize(
    ("case", "evaluation"), RUNS, ids=[f"{c.query} [{e.name}]" for c, e in RUNS]
)
def test_query_answers_like_prometheus(
    peers: Peers, dataset: Dataset, case: Case, evaluation: Evaluation
) -> None:
    params = {"query": case.text(dataset), **evaluation.params(dataset)}
    peers.assert_same(_endpoint(evaluation), params, tolerance=case.tolerance, ordered=case.ordered)


@pytest.mark.parametrize("query", POSTED)
@pytest.mark.parametrize("evaluation", [WINDOWS[1], None], ids=["range", "instant"])
def test_form_post_answers_like_prometheus(
    peers: Peers, dataset: Dataset, query: str, evaluation: Window | None
) -> None:
    params = evaluation.params(dataset) if evaluation else {"time": f"{dataset.end_ms / 1000}"}
    path = "/api/v1/query_range" if evaluation else "/api/v1/query"
    peers.assert_same(path, {"query": query, **params}, method="POST")


@pytest.mark.parametrize("case", ERRORS, ids=[f"{e.endpoint}: {e.query}" for e in ERRORS])
def test_bad_request_is_refused_like_prometheus(
    peers: Peers, dataset: Dataset, case: ErrorCase
) -> None:
    peers.assert_same_error(*case.request(dataset))


METADATA: list[tuple[str, dict[str, Any]]] = [
    ("/api/v1/series", {"match[]": "node_temperature"}),
    ("/api/v1/series", {"match[]": ['http_requests_total{code="500"}', "instance_info"]}),
    ("/api/v1/series", {"match[]": '{__name__=~"request_.*",le=~"0.*"}'}),
    ("/api/v1/labels", {}),
    ("/api/v1/labels", {"match[]": "node_temperature"}),
    ("/api/v1/label/instance/values", {}),
    ("/api/v1/label/__name__/values", {}),
    ("/api/v1/label/le/values", {"match[]": "request_duration_seconds_bucket"}),
]


@pytest.mark.parametrize(("path", "params"), METADATA, ids=[f"{p} {q}" for p, q in METADATA])
def test_metadata_answers_like_prometheus(
    peers: Peers, dataset: Dataset, path: str, params: dict[str, Any]
) -> None:
    # The whole data range: Prometheus selects series by chunk, so a narrower range could keep
    # or drop a series that starts late by a chunk's span, which no promise of ours covers.
    whole = {"start": f"{dataset.start_ms / 1000}", "end": f"{dataset.end_ms / 1000}"}
    assert peers.assert_same_list(path, {**params, **whole})
