"""The differential corpus checked against Prometheus alone, so that it stays meaningful while our
node cannot answer it yet: Prometheus accepts every query where the corpus runs it, answers
something (a comparison of two empty answers proves nothing) unless a case is empty by design,
refuses every error case, and the data really has the events the windows are placed across.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .compare import Result, normalise
from .corpus import CASES, ERRORS, Case, ErrorCase, evaluations
from .dataset import GAP_MS, LATE_START_MS, MINUTE_MS, RESET_AT_MS, SHORT_GAP_MS, Dataset
from .evaluations import Window
from .peers import success

pytestmark = pytest.mark.prometheus


def _ask(prometheus: httpx.Client, endpoint: str, params: dict[str, str]) -> httpx.Response:
    return prometheus.get(f"/api/v1/{endpoint}", params=params)


def _instant(prometheus: httpx.Client, query: str, at_ms: int) -> Result:
    response = _ask(prometheus, "query", {"query": query, "time": f"{at_ms / 1000:.3f}"})
    return normalise(success(response, "Prometheus", query))


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c.query for c in CASES])
def test_prometheus_answers_corpus_query(
    prometheus: httpx.Client, dataset: Dataset, index: int
) -> None:
    case: Case = CASES[index]
    samples = 0
    for evaluation in evaluations(case, index):
        endpoint = "query_range" if isinstance(evaluation, Window) else "query"
        params = {"query": case.text(dataset), **evaluation.params(dataset)}
        data = success(_ask(prometheus, endpoint, params), "Prometheus", params["query"])
        samples += normalise(data).sample_count
    assert (samples == 0) == case.empty, f"{case.query}: {samples} samples, empty={case.empty}"


@pytest.mark.parametrize("case", ERRORS, ids=[f"{e.endpoint}: {e.query}" for e in ERRORS])
def test_prometheus_refuses_error_case(
    prometheus: httpx.Client, dataset: Dataset, case: ErrorCase
) -> None:
    path, params = case.request(dataset)
    response = prometheus.get(path, params=params)
    body: dict[str, Any] = response.json()
    assert response.status_code in {400, 422}, body
    assert body["status"] == "error"
    assert body["errorType"] in {"bad_data", "execution"}


def test_data_has_the_events_the_windows_cross(prometheus: httpx.Client, dataset: Dataset) -> None:
    start = dataset.start_ms
    resets = _instant(prometheus, 'resets(http_requests_total{instance="i1"}[2m])',
                      start + RESET_AT_MS + MINUTE_MS)  # fmt: skip
    assert resets.series
    assert all(s[0][1] >= 1 for _, s in resets.series)

    def instances(query: str, at_ms: int) -> set[str]:
        return {dict(labels)["instance"] for labels, _ in _instant(prometheus, query, at_ms).series}

    gap_start, gap_end = GAP_MS
    assert "n2" in instances("node_temperature", start + gap_start + 3 * MINUTE_MS)
    assert "n2" not in instances("node_temperature", start + gap_start + 8 * MINUTE_MS)
    assert "n2" in instances("node_temperature", start + gap_end + MINUTE_MS)
    assert "n1" in instances("node_temperature", start + SHORT_GAP_MS[1] - 10_000)
    assert "n3" not in instances("node_temperature", start + LATE_START_MS - MINUTE_MS)
