"""The optional Grafana dashboard ConfigMap: sidecar label, placement, and a dashboard whose
every query names metrics that our code registers."""

from __future__ import annotations

import json
import re
from typing import Any

import jmespath
import pytest
from helm_utils import CHART_DIR, NAMESPACE, RELEASE, RenderError, one, render_chart
from promql_names import queried, registered

pytestmark = pytest.mark.helm

ENABLED = {"grafana": {"dashboards": {"enabled": True}}}
TEMPLATE = "templates/grafana-dashboards.yaml"
_LABEL_VALUES = re.compile(r"^label_values\((?P<selector>.+),\s*(?P<label>\w+)\)$")


def _dashboard(values: dict[str, Any] | None = None) -> dict[str, Any]:
    config_map = one(render_chart(values or ENABLED, show_only=[TEMPLATE]), "ConfigMap")
    model: dict[str, Any] = json.loads(config_map["data"]["heroic.json"])
    return model


def _targets(model: dict[str, Any]) -> list[str]:
    exprs: list[str] = jmespath.search("panels[].targets[].expr", model)
    return exprs


def _variables(model: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {v["name"]: v for v in model["templating"]["list"]}


def _label_values(variable: dict[str, Any]) -> re.Match[str]:
    match = _LABEL_VALUES.match(variable["query"])
    assert match is not None, f"not a label_values() query: {variable['query']}"
    return match


def test_dashboards_are_off_by_default() -> None:
    assert not [d for d in render_chart() if d["kind"] == "ConfigMap"]


def test_enabled_renders_one_config_map_the_grafana_sidecar_picks_up() -> None:
    config_map = one(render_chart(ENABLED), "ConfigMap")
    assert config_map["metadata"]["name"] == f"{RELEASE}-heroic-dashboards"
    assert config_map["metadata"]["namespace"] == NAMESPACE
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert config_map["metadata"]["labels"]["app.kubernetes.io/component"] == "dashboards"
    assert "annotations" not in config_map["metadata"]
    assert set(config_map["data"]) == {p.name for p in (CHART_DIR / "dashboards").glob("*.json")}


def test_labels_annotations_and_namespace_are_configurable() -> None:
    values = {
        "grafana": {
            "dashboards": {
                "enabled": True,
                "labels": {"grafana_dashboard": None, "team": "obs"},
                "annotations": {"grafana_folder": "Heroic"},
                "namespace": "monitoring",
            }
        }
    }
    meta = one(render_chart(values, show_only=[TEMPLATE]), "ConfigMap")["metadata"]
    assert meta["namespace"] == "monitoring"
    assert meta["labels"]["team"] == "obs"
    assert "grafana_dashboard" not in meta["labels"]
    assert meta["annotations"] == {"grafana_folder": "Heroic"}


@pytest.mark.parametrize(
    ("dashboards", "message"),
    [
        ({"enable": True}, "at '/grafana/dashboards': additional properties 'enable'"),
        ({"namespace": "Monitoring"}, "'Monitoring' does not match"),
        ({"labels": {"grafana_dashboard": 1}}, "at '/grafana/dashboards/labels/grafana_dashboard'"),
    ],
)
def test_bad_dashboard_values_are_refused_naming_the_key(
    dashboards: dict[str, Any], message: str
) -> None:
    with pytest.raises(RenderError) as error:
        render_chart({"grafana": {"dashboards": dashboards}})
    assert message in error.value.stderr


def test_the_config_map_holds_the_committed_dashboard_file() -> None:
    committed = json.loads((CHART_DIR / "dashboards" / "heroic.json").read_text())
    assert _dashboard() == committed


def test_dashboard_has_panels_and_chooses_its_prometheus_datasource() -> None:
    model = _dashboard()
    assert model["uid"]
    assert model["title"]
    assert model["schemaVersion"] >= 39
    assert len(_targets(model)) >= 10
    datasource = _variables(model)["datasource"]
    assert (datasource["type"], datasource["query"]) == ("datasource", "prometheus")
    panels = [p for p in model["panels"] if p["type"] != "row"]
    assert {p["datasource"]["uid"] for p in panels} == {"${datasource}"}
    assert {t["datasource"]["uid"] for p in panels for t in p["targets"]} == {"${datasource}"}


def test_namespace_and_cluster_variables_list_label_values() -> None:
    variables = _variables(_dashboard())
    for name in ("namespace", "cluster"):
        assert _label_values(variables[name])["label"] == name
    assert "$namespace" in variables["cluster"]["query"]


def test_every_panel_selects_the_chosen_clusters_or_says_it_does_not() -> None:
    for panel in _dashboard()["panels"]:
        for target in panel.get("targets", []):
            scoped = '$namespace"' in target["expr"] and '$cluster"' in target["expr"]
            assert scoped or "not filtered by cluster" in panel["description"], panel["title"]


def test_every_metric_the_dashboard_queries_is_one_our_code_registers() -> None:
    model = _dashboard()
    variables = [v for v in _variables(model).values() if v["type"] == "query"]
    queries = _targets(model) + [_label_values(v)["selector"] for v in variables]
    used = set().union(*(queried(q) for q in queries))
    assert used, "no metric found in the dashboard's queries"
    assert sorted(used - registered()) == []


def test_panels_have_unique_ids_and_do_not_overlap() -> None:
    panels = _dashboard()["panels"]
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids))
    cells: set[tuple[int, int]] = set()
    for panel in panels:
        pos = panel["gridPos"]
        assert pos["x"] + pos["w"] <= 24, panel["title"]
        area = {(x, y) for x in range(pos["x"], pos["x"] + pos["w"])
                for y in range(pos["y"], pos["y"] + pos["h"])}  # fmt: skip
        assert not area & cells, panel["title"]
        cells |= area
