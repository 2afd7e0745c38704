"""Serving-process tuning: the heap is trimmed on the CPU worker, at most once a second; the
process-wide settings are checked in a process of their own (they would stay in pytest's)."""

from __future__ import annotations

import subprocess
import sys

from heroic_api import tuning


class _FakeLibc:
    def __init__(self) -> None:
        self.trims: list[int] = []

    def malloc_trim(self, pad: int) -> int:
        self.trims.append(pad)
        return 1


def test_the_heap_is_trimmed_at_most_once_a_second() -> None:
    libc = _FakeLibc()
    clock = iter([100.0, 100.5, 101.2])
    trimmer = tuning._Trimmer(libc, lambda: next(clock))  # type: ignore[arg-type]
    first = trimmer.request()
    assert first is not None
    first.result(5)
    assert trimmer.request() is None  # half a second later
    third = trimmer.request()
    assert third is not None
    third.result(5)
    assert libc.trims == [0, 0]


def test_nothing_is_trimmed_without_glibc() -> None:
    assert tuning._Trimmer(None).request() is None


def test_a_serving_process_switches_threads_sooner_and_freezes_its_start() -> None:
    script = (
        "import gc, sys\n"
        "from heroic_api.tuning import tune_for_serving\n"
        "tune_for_serving()\n"
        "print(sys.getswitchinterval(), gc.get_freeze_count() > 1000, gc.get_threshold()[0])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split() == ["0.001", "True", str(tuning.GC_YOUNG_THRESHOLD)]
