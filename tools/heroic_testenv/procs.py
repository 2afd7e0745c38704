"""Start, find and stop the environment's processes, each in its own process group.

Every process gets a pid file and a log file in the run directory, so that ``down`` can stop
what a crashed run left behind. Nothing here kills a process it did not start.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path


class ComponentError(RuntimeError):
    """A component failed to build or start; the message names it and shows its log."""

    def __init__(self, component: str, problem: str, log: Path | None = None) -> None:
        text = f"{component}: {problem}"
        if log is not None:
            text += f"\n--- last lines of {log} ---\n{tail(log)}\n--- whole log: {log}"
        super().__init__(text)
        self.component = component


def tail(path: Path, lines: int = 25) -> str:
    """The last lines of a log file (empty if it does not exist)."""
    try:
        data = path.read_bytes()[-16384:]
    except OSError:
        return "(no log written)"
    return "\n".join(data.decode("utf-8", "replace").splitlines()[-lines:])


def pid_dir(run: Path) -> Path:
    path = run / "pids"
    path.mkdir(parents=True, exist_ok=True)
    return path


def spawn(
    run: Path,
    name: str,
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    user: str | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``argv`` in a new session, logging to ``logs/<name>.log``; records its pid."""
    logs = run / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log = (logs / f"{name}.log").open("wb")
    full_env = dict(os.environ)
    full_env.update(env or {})
    command = list(argv)
    if user is not None:
        command = ["runuser", "-u", user, "--", *command]
    proc = subprocess.Popen(
        command,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=full_env,
        cwd=cwd,
        start_new_session=True,
    )
    log.close()
    (pid_dir(run) / f"{name}.pid").write_text(str(proc.pid))
    return proc


def log_path(run: Path, name: str) -> Path:
    return run / "logs" / f"{name}.log"


def is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            return False
    return True


def recorded_pid(run: Path, name: str) -> int | None:
    try:
        pid = int((pid_dir(run) / f"{name}.pid").read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if is_alive(pid) else None


def stop(run: Path, name: str, grace: float = 20.0) -> bool:
    """SIGTERM the process group of ``name``, SIGKILL it after ``grace`` seconds."""
    pid_file = pid_dir(run) / f"{name}.pid"
    pid = recorded_pid(run, name)
    if pid is None:
        pid_file.unlink(missing_ok=True)
        return False
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and _group_alive(pid):
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)
    pid_file.unlink(missing_ok=True)
    return True


def _group_alive(pgid: int) -> bool:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                return True
    return False


def recorded_names(run: Path) -> list[str]:
    return sorted(p.stem for p in pid_dir(run).glob("*.pid"))


def free_port() -> int:
    """A port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
        return True
    return False


def wait_until(
    component: str,
    check: Callable[[], bool],
    *,
    timeout: float,
    proc: subprocess.Popen[bytes] | None = None,
    log: Path | None = None,
    interval: float = 0.5,
) -> None:
    """Poll ``check()`` until true; fail fast if ``proc`` exits, with the log's tail."""
    deadline = time.monotonic() + timeout
    last_error = ""
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise ComponentError(component, f"exited with code {proc.returncode}", log)
        try:
            if check():
                return
        except Exception as exc:  # noqa: BLE001 - a failing probe means not ready yet
            last_error = f" (last probe error: {exc})"
        time.sleep(interval)
    raise ComponentError(component, f"not ready after {timeout:.0f}s{last_error}", log)
