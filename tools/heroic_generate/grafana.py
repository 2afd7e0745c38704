"""The Grafana JSON model of Heroic's dashboard (``charts/heroic/dashboards/heroic.json``). Pure.

``grafana_panels`` declares what to show (titles, units, PromQL); this module lays it out on
Grafana's 24-column grid and adds what every dashboard needs the same way (ids, the datasource
variable, the ``namespace`` and ``cluster`` variables), so no panel can get those wrong. It must
not name a metric of its own: a helm-test checks every metric the panels use against the metrics
our code registers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Model = dict[str, Any]

GRID_WIDTH = 24
SCHEMA_VERSION = 39
UID = "heroic-overview"
#: Every panel and variable query goes through the dashboard's datasource variable.
DATASOURCE: Model = {"type": "prometheus", "uid": "${datasource}"}


@dataclass(frozen=True)
class Target:
    """One PromQL query of a panel and the legend of its series."""

    expr: str
    legend: str


@dataclass(frozen=True)
class Panel:
    """A time series (or, with ``kind="stat"``, a single-value) panel."""

    title: str
    description: str
    unit: str
    targets: tuple[Target, ...]
    kind: Literal["timeseries", "stat"] = "timeseries"


@dataclass(frozen=True)
class Row:
    """A titled row of panels, laid out left to right, ``per_line`` to a line."""

    title: str
    panels: tuple[Panel, ...]
    per_line: int = 3
    height: int = 8


@dataclass(frozen=True)
class Variable:
    """A query variable filled from one PromQL ``label_values`` query."""

    name: str
    label: str
    query: str


@dataclass(frozen=True)
class Dashboard:
    """What the dashboard shows; ``model`` turns it into Grafana's JSON model."""

    title: str
    description: str
    variables: tuple[Variable, ...]
    rows: tuple[Row, ...]
    tags: tuple[str, ...] = field(default=("heroic",))


def model(dashboard: Dashboard) -> Model:
    """The Grafana dashboard JSON model (``schemaVersion`` 39, Grafana 10.4 and later)."""
    return {
        "uid": UID,
        "title": dashboard.title,
        "description": dashboard.description,
        "tags": list(dashboard.tags),
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "editable": True,
        "graphTooltip": 1,
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "1m",
        "timezone": "",
        "links": [],
        "annotations": {"list": []},
        "templating": {"list": [_datasource_variable(), *map(_variable, dashboard.variables)]},
        "panels": list(_layout(dashboard.rows)),
    }


def render(dashboard: Dashboard) -> str:
    """The JSON file's text: stable key order, two-space indent, a final newline."""
    return json.dumps(model(dashboard), indent=2, ensure_ascii=False) + "\n"


def _datasource_variable() -> Model:
    return {
        "name": "datasource",
        "label": "Data source",
        "type": "datasource",
        "query": "prometheus",
        "current": {},
        "hide": 0,
        "refresh": 1,
        "regex": "",
        "options": [],
    }


def _variable(variable: Variable) -> Model:
    # allValue ".*" so that "All" also matches values that appear after the list was loaded.
    return {
        "name": variable.name,
        "label": variable.label,
        "type": "query",
        "datasource": DATASOURCE,
        "definition": variable.query,
        "query": variable.query,
        "current": {},
        "hide": 0,
        "includeAll": True,
        "allValue": ".*",
        "multi": True,
        "refresh": 2,
        "regex": "",
        "sort": 1,
        "options": [],
    }


def _layout(rows: Sequence[Row]) -> Iterator[Model]:
    ids = iter(range(1, 1000))
    y = 0
    for row in rows:
        yield {
            "type": "row",
            "id": next(ids),
            "title": row.title,
            "collapsed": False,
            "gridPos": {"x": 0, "y": y, "w": GRID_WIDTH, "h": 1},
            "panels": [],
        }
        y += 1
        width = GRID_WIDTH // row.per_line
        for index, panel in enumerate(row.panels):
            line, column = divmod(index, row.per_line)
            position = {
                "x": column * width,
                "y": y + line * row.height,
                "w": width,
                "h": row.height,
            }
            yield _panel(panel, next(ids), position)
        lines = -(-len(row.panels) // row.per_line)
        y += lines * row.height


def _panel(panel: Panel, panel_id: int, position: Model) -> Model:
    return {
        "type": panel.kind,
        "id": panel_id,
        "title": panel.title,
        "description": panel.description,
        "datasource": DATASOURCE,
        "gridPos": position,
        "fieldConfig": {"defaults": _defaults(panel), "overrides": []},
        "options": _options(panel),
        "targets": [
            {
                "refId": chr(ord("A") + i),
                "datasource": DATASOURCE,
                "expr": target.expr,
                "legendFormat": target.legend,
                "range": True,
            }
            for i, target in enumerate(panel.targets)
        ],
    }


def _defaults(panel: Panel) -> Model:
    defaults: Model = {"unit": panel.unit, "min": 0}
    if panel.kind == "timeseries":
        defaults["custom"] = {"drawStyle": "line", "fillOpacity": 10, "showPoints": "never"}
    return defaults


def _options(panel: Panel) -> Model:
    if panel.kind == "stat":
        return {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "textMode": "value_and_name",
            "colorMode": "none",
            "graphMode": "area",
        }
    return {
        "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
        "tooltip": {"mode": "multi", "sort": "desc"},
    }
