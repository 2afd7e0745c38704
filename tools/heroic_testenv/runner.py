"""Bring components up (reusing what already runs), record their state, and bring them down."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from heroic_testenv import procs
from heroic_testenv.builds import fetch_all
from heroic_testenv.components.searchnode import SearchNode
from heroic_testenv.paths import run_dir, versions
from heroic_testenv.registry import COMPONENTS, PROVIDED_BY, REQUIRES

JVMS = (
    "cassandra",
    "elasticsearch",
    "opensearch",
    "opensearch3",
    "elasticsearch8",
    "elasticsearch9",
    "kafka",
)
JVM_STAGGER_SECONDS = 4.0


def _say(text: str) -> None:
    print(f"[testenv] {text}", file=sys.stderr, flush=True)


def load_state(run: Path) -> dict[str, dict[str, str]]:
    try:
        state = json.loads((run / "state.json").read_text())
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def save_state(run: Path, state: Mapping[str, Mapping[str, str]]) -> None:
    run.mkdir(parents=True, exist_ok=True)
    (run / "state.json").write_text(json.dumps(state, indent=2, sort_keys=True))
    merged = exported(state)
    lines = [f"{key}={value}" for key, value in sorted(merged.items())]
    (run / "testenv.env").write_text("\n".join(lines) + "\n")


def exported(state: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """Every variable of every running component, plus the pinned versions."""
    merged: dict[str, str] = {}
    for env in state.values():
        merged.update(env)
    if state:
        pins = ",".join(f"{k}={v['version']}" for k, v in versions().items())
        merged["TESTENV_VERSIONS"] = pins
    return merged


def _stop_component(run: Path, name: str, grace: float = 20.0) -> list[str]:
    """Stop a component's processes; one with a ``stop(run)`` of its own (the node, which also
    removes containers, mounts and network devices) does it itself."""
    component = COMPONENTS[name]
    own_stop = getattr(component, "stop", None)
    if own_stop is not None:
        return list(own_stop(run))
    return [p for p in component.processes if procs.stop(run, p, grace=grace)]


def _start_one(
    name: str,
    run: Path,
    artifacts: Mapping[str, Path],
    delay: float,
    after: Mapping[str, Future[dict[str, str]]],
) -> dict[str, str]:
    for required, future in after.items():
        try:
            future.result()
        except Exception as exc:
            raise procs.ComponentError(name, f"needs {required}, which did not start") from exc
    time.sleep(delay)
    component = COMPONENTS[name]
    _stop_component(run, name, grace=5)
    started = time.monotonic()
    try:
        env = component.start(run, artifacts)
    except BaseException:
        _stop_component(run, name, grace=5)
        raise
    _say(f"{name} ready in {time.monotonic() - started:.1f}s")
    return env


class UpResult:
    """What ``up`` did: the variables exported, what it started, and what failed."""

    def __init__(self) -> None:
        self.env: dict[str, str] = {}
        self.started: list[str] = []
        self.errors: dict[str, BaseException] = {}


def up(names: list[str], run: Path | None = None) -> UpResult:
    """Start ``names``, reusing healthy ones; a failed component does not stop the others."""
    run = run or run_dir()
    run.mkdir(parents=True, exist_ok=True)
    result = UpResult()
    state = load_state(run)
    todo = []
    for name in names:
        if name in state and COMPONENTS[name].healthy(state[name]):
            _say(f"{name} already running, reused")
        else:
            state.pop(name, None)
            todo.append(name)
    overall = time.monotonic()
    artifacts = _fetch(todo, result)
    todo = [n for n in todo if n not in result.errors]
    for name in todo:
        missing = [r for r in REQUIRES.get(name, ()) if r not in todo and r not in state]
        if missing:
            result.errors[name] = procs.ComponentError(name, f"needs {', '.join(missing)} running")
    todo = [n for n in todo if n not in result.errors]
    with ThreadPoolExecutor(max_workers=max(1, len(todo))) as pool:
        futures: dict[str, Future[dict[str, str]]] = {}
        jvm_index = 0
        for name in todo:
            delay = 0.0
            if name in JVMS:
                delay = jvm_index * JVM_STAGGER_SECONDS
                jvm_index += 1
            after = {r: futures[r] for r in REQUIRES.get(name, ()) if r in futures}
            futures[name] = pool.submit(_start_one, name, run, artifacts, delay, after)
        for name, future in futures.items():
            try:
                state[name] = future.result()
                result.started.append(name)
            except Exception as exc:  # noqa: BLE001 - every failure is reported, none hides another
                result.errors[name] = exc
    save_state(run, state)
    _say(f"up took {time.monotonic() - overall:.1f}s")
    for error in result.errors.values():
        _say(f"FAILED {error}")
    result.env = exported({n: state[n] for n in names if n in state})
    return result


def _fetch(names: list[str], result: UpResult) -> dict[str, Path]:
    needed = sorted({a for n in names for a in COMPONENTS[n].artifacts})
    if not needed:
        return {}
    started = time.monotonic()
    try:
        artifacts = fetch_all(needed)
    except Exception as exc:
        artifacts = {}
        for name in names:
            try:
                artifacts.update(fetch_all(list(COMPONENTS[name].artifacts)))
            except Exception as inner:  # noqa: BLE001
                result.errors[name] = inner
        if not result.errors:
            raise exc
    _say(f"artifacts ready in {time.monotonic() - started:.1f}s")
    return artifacts


def down(names: list[str] | None = None, run: Path | None = None) -> list[str]:
    """Stop ``names`` (default: everything recorded, also after a crash)."""
    run = run or run_dir()
    state = load_state(run)
    stopping = names if names is not None else list(COMPONENTS)
    stopped = []
    for name in reversed(stopping):
        stopped.extend(_stop_component(run, name))
        state.pop(name, None)
    if names is None:
        for leftover in procs.recorded_names(run):
            if procs.stop(run, leftover):
                stopped.append(leftover)
    for name in stopping:
        component = COMPONENTS[name]
        if isinstance(component, SearchNode):
            component.cleanup(run)
    for name in stopping:
        data = run / name
        if data.exists():
            shutil.rmtree(data, ignore_errors=True)
    save_state(run, state)
    return stopped


def ensure(names: list[str]) -> None:
    """For scripts (benchmarks): start those of ``names`` the environment does not already
    point at, and export their variables into ``os.environ``. Exits naming what failed."""
    missing = [n for n in names if not os.environ.get(PROVIDED_BY[n])]
    if not missing:
        return
    result = up(missing)
    if result.errors:
        failed = ", ".join(f"{name}: {error}" for name, error in result.errors.items())
        raise SystemExit(f"cannot start {failed}")
    os.environ.update(result.env)
