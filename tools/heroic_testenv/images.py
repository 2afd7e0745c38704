"""Container images for a real node, built without Docker or a registry: heroic, elasticsearch,
pause.

``ensure_image(name)`` returns an :class:`ImageArchive`: the image's reference and a
docker-archive in the cache that ``ctr -n k8s.io images import`` (or ``docker load``) reads.
Each image is a cache entry like the other artifacts (``image-<name>/<version>-<hash>/``), so an
unchanged image costs no work. The heroic image's tag is a digest of everything it is built from
(pyproject.toml, workloads/, operator/, the Containerfile, its base and wheelhouse), so a code
change gives a new tag. Bases are Debian packages (mmdebstrap), Python dependencies a wheelhouse
that pip fills on this machine, and the project itself a wheel built here too, whose cargo
compiles the consumer's decoder (the image's build stage has neither Rust nor network); the
builds themselves (buildah, recipes/images.py) need no network. See docs/testing.md, "Images
without Docker".
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from heroic_testenv import artifacts, builds
from heroic_testenv.paths import PACKAGE_DIR, REPO_ROOT, cache_root, version, versions
from heroic_testenv.recipes import images as recipe

RECIPE = PACKAGE_DIR / "recipes" / "images.py"
IMAGES_DIR = REPO_ROOT / "images"
NAMES = ("heroic", "elasticsearch", "pause")
DEV_REF = "localhost/heroic:dev"
# What the heroic image is built from (the build context of .dockerignore, and the build file).
# The project's own files among them (what its wheel is built from).
PROJECT_SOURCES = ("pyproject.toml", "workloads", "operator")
HEROIC_SOURCES = (*PROJECT_SOURCES, "Containerfile", ".dockerignore")
EXTRAS = ("backends", "operator", "render")
# What .dockerignore keeps out of the build context stays out of the tag too.
SKIPPED_NAMES = frozenset({"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", "target"})
SKIPPED_SUFFIXES = (".pyc", ".egg-info", ".so")
# Each code change makes a new heroic image (~0.5 GB archive): the older ones are removed but
# for the newest few (other checkouts may still use them).
KEEP_OLDER = {"image-heroic": 2, "image-elasticsearch": 1, "image-pause": 1, "wheelhouse": 1}


@dataclass(frozen=True)
class ImageArchive:
    """A built image: ``ref`` (e.g. localhost/heroic:3f2a...) and a docker-archive naming it."""

    name: str
    ref: str
    archive: Path
    size_bytes: int


@dataclass(frozen=True)
class _Plan:
    component: str
    target: Path
    ref: str
    build: Callable[[Path], None]


def digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _skipped(name: str) -> bool:
    return name in SKIPPED_NAMES or name.endswith(SKIPPED_SUFFIXES)


def source_files(root: Path, sources: Iterable[str]) -> list[Path]:
    """The files of ``sources`` (files or directories under ``root``) a build context holds."""
    files: list[Path] = []
    for source in sources:
        path = root / source
        if path.is_file():
            files.append(path)
        for where, dirs, names in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not _skipped(d))
            files += [Path(where) / n for n in sorted(names) if not _skipped(n)]
    return files


def source_digest(root: Path, sources: Iterable[str]) -> str:
    """sha256 over each file's path (relative to ``root``) and content."""
    total = hashlib.sha256()
    for path in source_files(root, sources):
        total.update(path.relative_to(root).as_posix().encode() + b"\0")
        total.update(hashlib.sha256(path.read_bytes()).digest())
    return total.hexdigest()


def heroic_tag(root: Path, *inputs: str) -> str:
    """The heroic image's tag: 12 hex digits over its sources under ``root`` and ``inputs``
    (the base image, the wheelhouse and the recipe, which change the image too)."""
    return digest(source_digest(root, HEROIC_SOURCES), *inputs)[:12]


def requirements(pyproject: dict[str, Any], extras: Sequence[str]) -> list[str]:
    """What pip needs to install the project with ``extras`` offline: its dependencies, those
    of the extras and its build backend's (pip builds the project itself in the image)."""
    project = pyproject["project"]
    wanted = list(project.get("dependencies", []))
    for extra in extras:
        wanted += project["optional-dependencies"][extra]
    wanted += pyproject["build-system"]["requires"]
    own = project["name"].lower().replace("_", "-")
    return [r for r in wanted if not r.lower().replace("_", "-").startswith(f"{own}[")]


def _pin(key: str) -> str:
    return str(versions()["images"][key])


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _prune(component: str, current: Path, keep: int) -> None:
    """Remove the entries of ``component`` other than ``current`` and the newest ``keep``
    complete ones, with their tags in buildah's store (unless ``current`` has the same tag).
    Runs while ``current`` is being built, under the component's lock, so no other entry of it
    is being built: an incomplete one failed."""
    entries = [d for d in (cache_root() / component).glob("*") if d != current]
    complete = [d for d in entries if (d / ".complete").exists()]
    complete.sort(key=lambda d: (d / ".complete").stat().st_mtime, reverse=True)
    for old in [d for d in entries if d not in complete[:keep]]:
        ref = _ref(old)
        if ref and ref != _ref(current):
            recipe.remove_image(ref)
        shutil.rmtree(old, ignore_errors=True)


def _ref(entry: Path) -> str:
    """The reference an entry's build recorded ("" for none)."""
    try:
        return (entry / "ref").read_text().strip()
    except OSError:
        return ""


def _base(kind: str) -> tuple[str, Path]:
    """The reference and cache entry of base ``kind`` (python, jre), not built yet."""
    target = artifacts.entry_dir(f"image-base-{kind}", _pin("version"), [RECIPE])
    return f"localhost/heroic-testenv/{kind}:{target.name}", target


def _ensure_base(kind: str) -> str:
    ref, target = _base(kind)
    marker = target / ".complete"
    if marker.exists() and not recipe.image_exists(ref):
        marker.unlink()  # buildah's store was cleaned: build the base again
    sources = recipe.debian_sources(_pin("suite"), _pin("mirror"), _pin("security_mirror"))
    artifacts.ensure(
        f"image-base-{kind}",
        target,
        lambda t: recipe.build_base(t, kind, ref, _pin("suite"), sources),
    )
    return ref


def wheelhouse_key(wanted: Sequence[str]) -> str:
    """The wheelhouse's version: the Python and the requirements (not all of pyproject.toml,
    whose dev dependencies and test settings change more often than what the image needs)."""
    return f"cp{''.join(map(str, recipe.PYTHON))}-{digest(*wanted)[:8]}"


def _wheelhouse() -> tuple[Path, list[str]]:
    with (REPO_ROOT / "pyproject.toml").open("rb") as f:
        wanted = requirements(tomllib.load(f), EXTRAS)
    return artifacts.entry_dir("wheelhouse", wheelhouse_key(wanted), [RECIPE]), wanted


def _ensure_wheelhouse() -> Path:
    target, wanted = _wheelhouse()

    def build(target: Path) -> None:
        recipe.build_wheelhouse(target, wanted, recipe.PYTHON)
        _prune("wheelhouse", target, KEEP_OLDER["wheelhouse"])

    return artifacts.ensure("wheelhouse", target, build) / "wheels"


def _heroic() -> _Plan:
    base, _ = _base("python")
    tag = heroic_tag(REPO_ROOT, base, _wheelhouse()[0].name, _file_digest(RECIPE))
    ref = f"localhost/heroic:{tag}"

    def build(target: Path) -> None:
        wheels = _ensure_wheelhouse()
        base_ref = _ensure_base("python")
        files = source_files(REPO_ROOT, PROJECT_SOURCES)
        project = recipe.build_project_wheel(target, REPO_ROOT, files)
        recipe.build_heroic(
            target, ref, [DEV_REF], base=base_ref, wheels=wheels, project=project, root=REPO_ROOT
        )

    return _Plan("image-heroic", artifacts.entry_dir("image-heroic", tag, []), ref, build)


def _elasticsearch() -> _Plan:
    es_version = version("elasticsearch")
    distribution = builds.artifact("elasticsearch")
    base, _ = _base("jre")
    files = IMAGES_DIR / "elasticsearch"
    # This module names the tag that the archive embeds, so it is an input too.
    inputs = [RECIPE, Path(__file__), files / "Containerfile", files / "entrypoint.sh"]
    key = f"{es_version}-{digest(base, distribution.name)[:8]}"
    target = artifacts.entry_dir("image-elasticsearch", key, inputs)
    # The tag names the cache entry, so a rebuilt image is a new tag, which the node imports
    # (it skips a tag it already has).
    ref = f"localhost/elasticsearch:{target.name}"

    def build(target: Path) -> None:
        home = distribution / f"elasticsearch-{es_version}"
        recipe.build_elasticsearch(target, ref, _ensure_base("jre"), home, files)

    return _Plan("image-elasticsearch", target, ref, build)


def _pause() -> _Plan:
    files = IMAGES_DIR / "pause"
    target = artifacts.entry_dir("image-pause", _pin("version"), [RECIPE, files / "Containerfile"])
    ref = f"localhost/pause:{target.name}"
    return _Plan("image-pause", target, ref, lambda t: recipe.build_pause(t, ref, files))


PLANS: dict[str, Callable[[], _Plan]] = {
    "heroic": _heroic,
    "elasticsearch": _elasticsearch,
    "pause": _pause,
}


def ensure_image(name: str) -> ImageArchive:
    """Image ``name`` (heroic, elasticsearch, pause), built first unless cached.

    Raises ComponentError naming the failed step, with the build log's tail and path."""
    if name not in PLANS:
        raise ValueError(f"unknown image {name!r}: one of {', '.join(NAMES)}")
    plan = PLANS[name]()

    def build(target: Path) -> None:
        plan.build(target)
        _prune(plan.component, target, KEEP_OLDER[plan.component])

    artifacts.ensure(plan.component, plan.target, build)
    archive = plan.target / "image.tar"
    return ImageArchive(name, plan.ref, archive, archive.stat().st_size)


def tag_image(image: ImageArchive, tags: Sequence[str]) -> None:
    """Give ``image`` more ``tags`` in buildah's store (loading it from its archive if the store
    lost it), e.g. the name ``make image`` is asked for."""
    recipe.load_and_tag(f"image-{image.name}", image.archive, image.ref, tags)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``image`` verb of ``python -m heroic_testenv``."""
    parser = sub.add_parser("image", help="build container images with buildah (no Docker)")
    parser.add_argument("names", nargs="*", default=["all"], help=f"{', '.join(NAMES)} or all")
    parser.add_argument(
        "--tag", action="append", default=[], help="one more name for the image in the store"
    )


def cli(names: Sequence[str], tags: Sequence[str]) -> int:
    """Build ``names``; print each image's reference, archive and size."""
    wanted = list(NAMES) if "all" in names else list(names)
    if tags and len(wanted) != 1:
        print("image: --tag needs exactly one image name", file=sys.stderr)
        return 2
    for name in wanted:
        image = ensure_image(name)
        if tags:
            tag_image(image, tags)
        size = image.size_bytes / 1e6
        print(f"{image.ref}\t{image.archive}\t{size:.0f} MB")
    return 0
