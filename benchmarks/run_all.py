"""``make bench``: every ``bench_*.py`` in one go, and one JSON file of all their cases.

Each benchmark prints its figures as it runs and appends its cases (``benchlib.record``) to a
shared JSON-lines file; at the end they are written, with the commit, the machine and the
versions that matter, to ``.bench/<UTC time>-<commit>.json`` (``--out`` to choose), so that
two commits can be compared case by case. A benchmark that fails is reported and the others
still run; the exit status is non-zero if any failed.

    .venv/bin/python benchmarks/run_all.py [--only consumer,aggregation] [--out FILE]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PACKAGES = (
    "numpy", "msgspec", "cramjam", "protobuf", "confluent-kafka", "orjson", "fastapi",
    "uvicorn", "elasticsearch", "cassandra-driver", "google-cloud-bigtable", "kopf",
)  # fmt: skip


def commit() -> str:
    done = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    return (done.stdout.strip() or "unknown") + ("-dirty" if dirty else "")


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    try:
        import confluent_kafka  # noqa: PLC0415 - only for its librdkafka version

        out["librdkafka"] = confluent_kafka.libversion()[0]
    except ImportError:
        pass
    try:
        from heroic_testenv.paths import versions as pins  # noqa: PLC0415

        for name in ("kafka", "elasticsearch", "cassandra", "gcpfakes", "victoria-metrics"):
            out[name] = str(pins()[name]["version"])
    except ImportError:
        pass
    return out


def machine() -> dict[str, Any]:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"cpu": model, "cores": os.cpu_count(), "kernel": platform.release()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--only", help="comma-separated names (consumer for bench_consumer.py)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    scripts = sorted(HERE.glob("bench_*.py"))
    if args.only:
        wanted = {n.strip() for n in args.only.split(",")}
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in wanted]
    started = datetime.datetime.now(datetime.UTC)
    failed: list[str] = []
    durations: dict[str, float] = {}
    with tempfile.NamedTemporaryFile("r", suffix=".jsonl", delete=False) as lines:
        env = os.environ | {"HEROIC_BENCH_RESULTS": lines.name}
        for script in scripts:
            print(f"== {script.name}", flush=True)
            began = time.monotonic()
            code = subprocess.run([sys.executable, str(script)], env=env, check=False).returncode
            durations[script.stem] = round(time.monotonic() - began, 1)
            if code != 0:
                print(f"!! {script.name} failed with exit status {code}", flush=True)
                failed.append(script.name)
        results = [json.loads(line) for line in Path(lines.name).read_text().splitlines()]
    Path(lines.name).unlink()
    report = {
        "commit": commit(), "started": started.isoformat(timespec="seconds"),
        "machine": machine(), "versions": versions(), "failed": failed,
        "durations_s": durations, "results": results,
    }  # fmt: skip
    out = args.out or ROOT / ".bench" / f"{started:%Y%m%dT%H%M%SZ}-{report['commit']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\n{len(results)} cases from {len(scripts)} benchmarks written to {out}")
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
