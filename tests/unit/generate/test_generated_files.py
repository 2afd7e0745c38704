"""Every committed generated file is what the spec models generate now (regenerated in memory)."""

from __future__ import annotations

from pathlib import Path

import pytest

from heroic_generate.__main__ import main
from heroic_generate.files import (
    CHART_CRD,
    COMMAND,
    CRD_FILE,
    DASHBOARD,
    REFERENCE,
    REPO_ROOT,
    VALUES_SCHEMA,
    expected_files,
    out_of_date,
    strays,
)

EXPECTED = expected_files()


def test_every_generated_file_is_covered() -> None:
    assert {CRD_FILE, CHART_CRD, VALUES_SCHEMA, REFERENCE, DASHBOARD} <= set(EXPECTED)


@pytest.mark.parametrize("path", sorted(EXPECTED), ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_committed_file_is_the_generated_one(path: Path) -> None:
    assert path.read_text() == EXPECTED[path], (
        f"{path.relative_to(REPO_ROOT)} is stale: run {COMMAND}"
    )


def test_the_chart_holds_no_other_crd() -> None:
    assert strays() == [], f"run {COMMAND}"


def test_check_mode_lists_stale_files(tmp_path: Path) -> None:
    current, stale, missing = tmp_path / "current", tmp_path / "stale", tmp_path / "missing"
    current.write_text("a")
    stale.write_text("old")
    assert out_of_date({current: "a", stale: "new", missing: "b"}) == [stale, missing]


def test_check_mode_passes_on_the_committed_tree() -> None:
    assert main(["--check"]) == 0
