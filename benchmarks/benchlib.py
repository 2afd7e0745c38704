"""What the benchmarks share: repeated measurements with median and spread, CPU seconds and
pinning of processes, results as JSON lines for ``make bench``, and VictoriaMetrics as a peer.

Rates are per core of the process under test: it runs pinned to one core (``SUBJECT_CORE``)
while load generators and servers run on the others, and a rate is given per CPU-second of
that process (all its threads) as well as per wall second. When ``HEROIC_BENCH_RESULTS`` names
a file, every ``record`` appends one JSON object to it (``benchmarks/run_all.py`` collects them).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

RESULTS_ENV = "HEROIC_BENCH_RESULTS"
SUBJECT_CORE = 0
_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- the consumer benchmarks' points ---------------------------------------------------------

#: Point ``i`` of the consumer benchmarks is at ``BASE_MS + i``; warm-up points come just before.
BASE_MS = 1_700_000_000_000


def _spotify100(host: int, time: int, value: int) -> bytes:
    return (
        b'{"version":"1.1.0","key":"bench.cpu","host":"host-%d","time":%d,"value":%d.0,'
        b'"attributes":{"site":"lon","what":"cpu-idle"}}' % (host, time, value)
    )


def spotify100_bodies(points: int, series: int) -> Iterator[bytes]:
    """Spotify100 JSON: point ``i`` is ``(host-{i % series}, BASE_MS + i, float(i % 1000))``,
    so no (series, time) repeats."""
    return (_spotify100(i % series, BASE_MS + i, i % 1000) for i in range(points))


def spotify100_warm_bodies(series: int) -> Iterator[bytes]:
    """One point of every series of ``spotify100_bodies``, valued 0, timed before all of them."""
    return (_spotify100(i, BASE_MS - series + i, 0) for i in range(series))


# --- cores and CPU time ----------------------------------------------------------------------


def other_cores() -> set[int]:
    """Cores for everything but the process under test (all cores if there is only one)."""
    cores = os.sched_getaffinity(0)
    rest = cores - {SUBJECT_CORE}
    return rest or cores


def pin(pid: int, cores: set[int]) -> None:
    """Every thread of ``pid`` onto ``cores`` (threads started later inherit it)."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
            os.sched_setaffinity(int(task.name), cores)


@contextlib.contextmanager
def pinned(pids: Sequence[int], cores: set[int]) -> Iterator[None]:
    """Pin ``pids`` (servers of the test environment, say) for the block, then set them free."""
    everything = set(range(os.cpu_count() or 1))
    for pid in pids:
        pin(pid, cores)
    try:
        yield
    finally:
        for pid in pids:
            with contextlib.suppress(FileNotFoundError):
                pin(pid, everything)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far, all threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def runqueue_seconds(pid: int) -> float:
    """Seconds the threads of process ``pid`` (those alive now) have spent ready to run but
    waiting for a core (the scheduler's ``run_delay``, ``/proc/<pid>/task/*/schedstat``)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            total += int((task / "schedstat").read_text().split()[1])
    return total / 1e9


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def testenv_pids(*components: str) -> list[int]:
    """Every process of the running test-environment ``components`` (each runs in a process
    group led by the PID the environment recorded)."""
    from heroic_testenv.paths import run_dir  # noqa: PLC0415 - benchmarks only

    leaders = set()
    for name in components:
        path = run_dir() / "pids" / f"{name}.pid"
        if path.exists():
            leaders.add(int(path.read_text().split()[0]))
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                group = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[2])
                if group in leaders:
                    pids.append(int(proc.name))
    return pids


# --- results ---------------------------------------------------------------------------------


@dataclass
class Result:
    """One case: the median of ``runs`` and, when measured in the same run, a peer's median
    and our ratio to it (higher is better unless ``lower_is_better``)."""

    bench: str
    case: str
    unit: str
    runs: list[float]
    peer: str | None = None
    peer_runs: list[float] = field(default_factory=list)
    #: The value to reach (in ``unit``), and the ratio to the peer to reach.
    goal: float | None = None
    ratio_goal: float | None = None
    lower_is_better: bool = False
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def value(self) -> float:
        return statistics.median(self.runs)

    @property
    def peer_value(self) -> float | None:
        return statistics.median(self.peer_runs) if self.peer_runs else None

    @property
    def ratio(self) -> float | None:
        peer = self.peer_value
        if not peer or not self.runs:
            return None
        return peer / self.value if self.lower_is_better else self.value / peer

    def spread(self) -> float:
        """(max - min) / median of the runs, as a fraction."""
        if len(self.runs) < 2 or not self.value:
            return 0.0
        return (max(self.runs) - min(self.runs)) / self.value

    def line(self) -> str:
        text = f"{self.case:<52} {self.value:>12,.1f} {self.unit} ±{self.spread():.0%}"
        if self.goal is not None:
            goal = f"{self.goal:,.0f}" if self.goal >= 1000 else f"{self.goal:g}"
            text += f" (goal {'<=' if self.lower_is_better else '>='} {goal})"
        if self.ratio is not None and self.peer_value is not None:
            text += f"\n{'':<52} {self.peer}: {self.peer_value:,.1f}, ratio {self.ratio:.3f}"
            if self.ratio_goal is not None:
                text += f" (goal >= {self.ratio_goal:g})"
        return text

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out |= {"value": self.value, "spread": self.spread(), "ratio": self.ratio}
        out["peer_value"] = self.peer_value
        return out


def record(result: Result) -> Result:
    """Print the case and append it to ``$HEROIC_BENCH_RESULTS`` when that is set."""
    print(result.line(), flush=True)
    path = os.environ.get(RESULTS_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(result.to_json()) + "\n")
    return result


def repeat(times: int, measure: Callable[[], float]) -> list[float]:
    return [measure() for _ in range(times)]


# --- VictoriaMetrics -------------------------------------------------------------------------


class VictoriaMetrics:
    """A single-node VictoriaMetrics from Debian's package (cached by the test environment's
    artifact machinery), with a throw-away data directory, pinned to ``cores``."""

    def __init__(self, cores: set[int]) -> None:
        from heroic_testenv.builds import artifact  # noqa: PLC0415 - benchmarks only

        binary = artifact("victoria-metrics") / "root" / "usr" / "bin" / "victoria-metrics"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._data = tempfile.TemporaryDirectory(prefix="heroic-bench-vm-")
        self._log = open(Path(self._data.name) / "vm.log", "wb")  # noqa: SIM115 - closed in stop
        self.process = subprocess.Popen(
            ["taskset", "-c", ",".join(map(str, sorted(cores))), str(binary),
             f"-storageDataPath={self._data.name}/data", f"-httpListenAddr=127.0.0.1:{self.port}",
             "-search.latencyOffset=0s", "-search.disableCache", "-loggerLevel=ERROR",
             "-dedup.minScrapeInterval=0s", "-retentionPeriod=100y"],
            stdout=self._log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        from heroic_testenv.paths import versions  # noqa: PLC0415 - benchmarks only

        # Debian's build prints no -version: the pinned package version says which it is.
        self.version = f"{versions()['victoria-metrics']['version']} (Debian)"
        deadline = time.monotonic() + 30
        while True:
            if self.process.poll() is not None:
                log = (Path(self._data.name) / "vm.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"victoria-metrics exited: {log}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise RuntimeError("victoria-metrics did not answer /health in 30 s") from None
                time.sleep(0.1)

    def cpu(self) -> float:
        return cpu_seconds(self.process.pid)

    def flush(self) -> None:
        """Make everything written searchable (``/internal/force_flush``)."""
        httpx.get(f"{self.url}/internal/force_flush", timeout=30).raise_for_status()

    def query(self, path: str, params: dict[str, str]) -> Any:
        response = httpx.get(f"{self.url}{path}", params=params, timeout=60)
        response.raise_for_status()
        return response.json()

    def wait_for_points(self, query: str, at_s: int, expected: int, timeout: float = 60) -> None:
        """Until ``query`` (a MetricsQL sum of counts) answers ``expected`` at ``at_s``; a
        benchmark must not time a peer that has not stored everything yet."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.query("/api/v1/query", {"query": query, "time": str(at_s)})
            result = found["data"]["result"]
            count = float(result[0]["value"][1]) if result else 0.0
            if count == expected:
                return
            if time.monotonic() > deadline:
                raise SystemExit(f"VictoriaMetrics holds {count:.0f} of {expected} points")
            time.sleep(0.5)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()
        self._data.cleanup()


def start_victoria_metrics(cores: set[int]) -> VictoriaMetrics | None:
    """VictoriaMetrics, or None after saying why it cannot run (the benchmark goes on)."""
    try:
        return VictoriaMetrics(cores)
    except Exception as exc:  # noqa: BLE001 - a missing peer must not stop the benchmark
        print(f"peer VictoriaMetrics unavailable, its comparisons are skipped: {exc}",
              file=sys.stderr)  # fmt: skip
        return None
