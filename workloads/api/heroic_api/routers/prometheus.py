"""The Prometheus HTTP query API (``/api/v1``): what Grafana's Prometheus datasource, alerting
and recording-rule engines speak. Routes only; the logic is in ``services.prometheus``.

Parameters come from the query string and, for POST, from a form-encoded body, as
Prometheus reads them; answers are ``{"status": "success", "data": ...}`` and errors are
Prometheus' error bodies (``routing.PrometheusRoute``).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import Depends
from starlette.requests import Request
from starlette.responses import Response

from heroic_api.dependencies import BackendsDep, NowDep, SettingsDep
from heroic_api.responses import HeroicJSONResponse
from heroic_api.routing import prometheus_router
from heroic_api.services.prometheus.api import PrometheusAPI
from heroic_core.promql.parse import parse

router = prometheus_router("prometheus")

_FORM = "application/x-www-form-urlencoded"


class Params:
    """A request's parameters: query string first, then a form body's."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.pairs = pairs

    def get(self, name: str) -> str | None:
        for key, value in self.pairs:
            if key == name:
                return value
        return None

    def all(self, name: str) -> list[str]:
        return [value for key, value in self.pairs if key == name]


async def get_params(request: Request) -> Params:
    pairs = list(request.query_params.multi_items())
    if request.method == "POST":
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        body = await request.body()
        if body and content_type == _FORM:
            pairs += parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    return Params(pairs)


async def get_api(settings: SettingsDep, backends: BackendsDep, now: NowDep) -> PrometheusAPI:
    return PrometheusAPI(settings, backends, now)


ParamsDep = Annotated[Params, Depends(get_params)]
ApiDep = Annotated[PrometheusAPI, Depends(get_api)]


def success(data: Any, warnings: list[str] | None = None) -> Response:
    body: dict[str, Any] = {"status": "success", "data": data}
    if warnings:
        body["warnings"] = warnings
    return HeroicJSONResponse(body)


_BOTH = ["GET", "POST"]


@router.api_route("/api/v1/query", methods=_BOTH, summary="PromQL instant query")
async def query(api: ApiDep, p: ParamsDep) -> Response:
    return success(await api.query(p.get("query") or "", p.get("time"), p.get("timeout")))


@router.api_route("/api/v1/query_range", methods=_BOTH, summary="PromQL range query")
async def query_range(api: ApiDep, p: ParamsDep) -> Response:
    data = await api.query_range(
        p.get("query") or "", p.get("start"), p.get("end"), p.get("step"), p.get("timeout")
    )
    return success(data)


@router.api_route("/api/v1/series", methods=_BOTH, summary="Series matching selectors")
async def series(api: ApiDep, p: ParamsDep) -> Response:
    found, warnings = await api.series(
        p.all("match[]"), p.get("start"), p.get("end"), p.get("limit")
    )
    return success(found, warnings)


@router.api_route("/api/v1/labels", methods=_BOTH, summary="Label names")
async def labels(api: ApiDep, p: ParamsDep) -> Response:
    found, warnings = await api.label_names(
        p.all("match[]"), p.get("start"), p.get("end"), p.get("limit")
    )
    return success(found, warnings)


@router.get("/api/v1/label/{name}/values", summary="Values of one label")
async def label_values(name: str, api: ApiDep, p: ParamsDep) -> Response:
    found, warnings = await api.label_values(
        name, p.all("match[]"), p.get("start"), p.get("end"), p.get("limit")
    )
    return success(found, warnings)


@router.get("/api/v1/metadata", summary="Metric metadata (names; Heroic keeps no types)")
async def metadata(api: ApiDep, p: ParamsDep) -> Response:
    return success(await api.metadata(p.get("metric"), p.get("limit")))


@router.get("/api/v1/status/buildinfo", summary="Build information")
async def buildinfo(api: ApiDep) -> Response:
    return success(api.buildinfo())


@router.api_route("/api/v1/format_query", methods=_BOTH, summary="Format a PromQL query")
async def format_query(p: ParamsDep) -> Response:
    return success(parse(p.get("query") or "").prettify())


# Heroic evaluates no rules and stores no exemplars: these answer "none", as Grafana expects
# from a Prometheus without them, instead of a 404 its UI shows as an error.
@router.get("/api/v1/rules", summary="Recording and alerting rules (none)")
async def rules() -> Response:
    return success({"groups": []})


@router.get("/api/v1/alerts", summary="Active alerts (none)")
async def alerts() -> Response:
    return success({"alerts": []})


@router.api_route("/api/v1/query_exemplars", methods=_BOTH, summary="Exemplars (none stored)")
async def query_exemplars(p: ParamsDep) -> Response:
    parse(p.get("query") or "")  # a bad query is still a 400
    return success([])
