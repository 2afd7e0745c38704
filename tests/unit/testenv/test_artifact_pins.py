"""Every artifact of the test environment has its pin in versions.toml, and its recipe exists.

A missing pin would otherwise surface only as a KeyError when someone first builds the artifact.
"""

from __future__ import annotations

import pytest

from heroic_testenv.builds import ARTIFACTS, RECIPES
from heroic_testenv.paths import versions


@pytest.mark.parametrize("name", sorted(ARTIFACTS))
def test_artifact_has_a_pinned_version_and_a_recipe(name: str) -> None:
    recipe, _ = ARTIFACTS[name]
    assert str(versions()[name]["version"]), f"{name}: empty version in versions.toml"
    assert recipe.is_file(), recipe


@pytest.mark.parametrize(
    "name", sorted(n for n, (recipe, _) in ARTIFACTS.items() if recipe == RECIPES / "debian.py")
)
def test_debian_artifact_names_its_package(name: str) -> None:
    assert versions()[name]["package"], f"{name}: no Debian package named in versions.toml"
