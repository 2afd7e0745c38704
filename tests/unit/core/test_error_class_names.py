"""Every exception class of the core, the API and the consumer has a name of its own.

Two classes with one name (two ``BackendError``s, once) make an ``except`` or an ``isinstance``
silently catch the wrong one. Read from the source (no imports), so modules whose optional
client libraries are missing count too.
"""

from __future__ import annotations

import ast
import builtins
from collections import defaultdict
from pathlib import Path

WORKLOADS = Path(__file__).resolve().parents[3] / "workloads"
PACKAGES = (
    WORKLOADS / "core" / "heroic_core",
    WORKLOADS / "api" / "heroic_api",
    WORKLOADS / "consumer" / "heroic_consumer",
)
BUILTIN_EXCEPTIONS = frozenset(
    name
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException)
)


def _base_name(node: ast.expr) -> str:
    """``Foo`` for ``Foo`` and ``mod.Foo``; ``""`` for anything else."""
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _classes() -> list[tuple[str, set[str], str]]:
    """(name, base names, where) of every class defined in the packages."""
    found = []
    for package in PACKAGES:
        for path in sorted(package.rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            where = str(path.relative_to(WORKLOADS))
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef):
                    bases = {_base_name(b) for b in node.bases}
                    found.append((node.name, bases, where))
    return found


def _exception_classes() -> dict[str, list[str]]:
    """Exception class name -> where each class of that name is defined."""
    classes = _classes()
    exceptions = set(BUILTIN_EXCEPTIONS)
    exceptions.update({"ApiException", "KafkaException", "GoogleAPIError"})  # library bases
    changed = True
    while changed:  # a class is an exception when one of its bases is
        before = len(exceptions)
        exceptions.update(name for name, bases, _ in classes if bases & exceptions)
        changed = len(exceptions) != before
    where: dict[str, list[str]] = defaultdict(list)
    for name, bases, path in classes:
        if bases & exceptions:
            where[name].append(path)
    return where


def test_exception_classes_are_found() -> None:
    names = _exception_classes()
    assert {"HeroicError", "BackendError", "BackendCallError", "SourceError"} <= set(names)


def test_every_exception_class_name_is_unique() -> None:
    duplicates = {name: paths for name, paths in _exception_classes().items() if len(paths) > 1}
    assert duplicates == {}
