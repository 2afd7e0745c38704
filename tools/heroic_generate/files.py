"""What every generated file must hold, computed in memory from the spec models and the few
hand-written sources (the operator's RBAC rules, the chart's own part of its values schema, the
Grafana dashboard's panels)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from heroic_generate import chart, grafana, grafana_panels, reference
from heroic_operator import crd, naming

#: The one command that rewrites every generated file.
COMMAND = "make generate"

REPO_ROOT = Path(__file__).resolve().parents[2]
CRD_FILE = REPO_ROOT / "crds" / f"{naming.PLURAL}.{naming.GROUP}.yaml"
REFERENCE = REPO_ROOT / "docs" / "heroiccluster-reference.md"
CHART_DIR = REPO_ROOT / "charts" / "heroic"
CHART_CRD_DIR = CHART_DIR / "files" / "crds"
CHART_CRD = CHART_CRD_DIR / CRD_FILE.name
VALUES_SCHEMA = CHART_DIR / "values.schema.json"
RBAC_SOURCE = REPO_ROOT / "operator" / "rbac" / "rbac.yaml"
RBAC_COPY = CHART_DIR / "files" / "operator-rbac.yaml"
DASHBOARD = CHART_DIR / "dashboards" / "heroic.json"


def expected_files() -> dict[Path, str]:
    """Every generated file with the content it must have."""
    text = crd.render()
    definition = yaml.safe_load(text)
    values = chart.values_schema(json.loads(VALUES_SCHEMA.read_text()), definition)
    return {
        CRD_FILE: text,
        CHART_CRD: text,
        VALUES_SCHEMA: chart.dump_json(values),
        RBAC_COPY: RBAC_SOURCE.read_text(),
        REFERENCE: reference.render(definition),
        DASHBOARD: grafana.render(grafana_panels.DASHBOARD),
    }


def out_of_date(expected: dict[Path, str]) -> list[Path]:
    """The files whose committed content differs from ``expected``."""
    return [p for p, text in expected.items() if not p.exists() or p.read_text() != text]


def strays() -> list[Path]:
    """Files in the chart's CRD directory that are no copy of the CRD."""
    return [p for p in CHART_CRD_DIR.glob("*") if p != CHART_CRD]
