"""helm renders a chart with the binary the chart tests use."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.helm


def test_helm_template_renders_a_small_chart(tmp_path: Path) -> None:
    chart = tmp_path / "demo"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: demo\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("greeting: hello\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-demo\n"
        "data:\n  greeting: {{ .Values.greeting | quote }}\n"
    )
    out = subprocess.run(
        [os.environ["HELM"], "template", "rel", str(chart), "--set", "greeting=hi"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    docs = [d for d in yaml.safe_load_all(out) if d]
    assert [(d["kind"], d["metadata"]["name"], d["data"]) for d in docs] == [
        ("ConfigMap", "rel-demo", {"greeting": "hi"})
    ]
