"""Benchmark: ``average(1m) by host`` over 1,000 series of one day at 10 s resolution.

Prints points/second of ``Aggregation.apply`` and its ratio to a plain numpy reduction of the
same arrays in the same run (the ceiling: bucket index by integer division, then ``bincount``
sums and counts per (group, bucket)). Two ceilings are timed, per-series accumulation and one
global ``bincount`` over concatenated arrays; the faster one is used. Also prints the cost of
turning the result into JSON-ready lists, which the response needs but the ceiling does not.

Run: ``.venv/bin/python benchmarks/bench_aggregation.py [--series N] [--hosts H] [--repeat R]``
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import numpy.typing as npt
from benchlib import Result, record

from heroic_core.aggregations import parse_aggregation
from heroic_core.model import DateRange, Points, Series

DAY = 86_400_000
STEP = 10_000
BUCKET = 60_000
START = 1_700_006_400_000 - 1_700_006_400_000 % DAY


def make_inputs(series: int, hosts: int) -> list[tuple[Series, Points]]:
    rng = np.random.default_rng(42)
    ts = START + STEP * np.arange(1, DAY // STEP + 1, dtype=np.int64)
    rows = []
    for i in range(series):
        s = Series("cpu", {"host": f"host{i % hosts}", "cpu": str(i)})
        rows.append((s, Points(ts.copy(), rng.normal(50.0, 10.0, ts.shape[0]))))
    return rows


def ceiling_per_series(rows: list[tuple[Series, Points]], buckets: int) -> npt.NDArray[np.float64]:
    groups: dict[str, int] = {}
    sums = np.zeros((len({s.tags["host"] for s, _ in rows}), buckets))
    counts = np.zeros_like(sums)
    for s, p in rows:
        g = groups.setdefault(s.tags["host"], len(groups))
        idx = (p.timestamps - (START + 1)) // BUCKET
        sums[g] += np.bincount(idx, weights=p.values, minlength=buckets)
        counts[g] += np.bincount(idx, minlength=buckets)
    return sums / counts


def ceiling_global(rows: list[tuple[Series, Points]], buckets: int) -> npt.NDArray[np.float64]:
    groups: dict[str, int] = {}
    codes = np.array([groups.setdefault(s.tags["host"], len(groups)) for s, _ in rows])
    lengths = np.array([len(p) for _, p in rows])
    ts = np.concatenate([p.timestamps for _, p in rows])
    vs = np.concatenate([p.values for _, p in rows])
    flat = np.repeat(codes * buckets, lengths) + (ts - (START + 1)) // BUCKET
    size = len(groups) * buckets
    sums = np.bincount(flat, weights=vs, minlength=size)
    counts = np.bincount(flat, minlength=size)
    return (sums / counts).reshape(len(groups), buckets)


T = TypeVar("T")


def best_of(repeat: int, fn: Callable[[], T]) -> tuple[float, T]:
    best = float("inf")
    result = fn()
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    rows = make_inputs(args.series, args.hosts)
    points = sum(len(p) for _, p in rows)
    range_ = DateRange(START, START + DAY)
    buckets = DAY // BUCKET
    aggregation = parse_aggregation(
        {"type": "group", "of": ["host"], "each": {"type": "average", "size": "1m"}}
    ).with_default_size(BUCKET)

    t_apply, result = best_of(args.repeat, lambda: aggregation.apply(rows, range_, "end"))
    t_series, expected = best_of(args.repeat, lambda: ceiling_per_series(rows, buckets))
    t_global, _ = best_of(args.repeat, lambda: ceiling_global(rows, buckets))
    t_json, _ = best_of(args.repeat, lambda: [g.collection.to_json() for g in result.groups])

    by_host = {g.key["host"]: g for g in result.groups}
    got = np.stack([np.asarray(by_host[f"host{h}"].values) for h in range(args.hosts)])
    assert np.allclose(got, expected), "apply() disagrees with the numpy ceiling"  # noqa: S101

    ceiling = min(t_series, t_global)
    print(f"input: {args.series} series x {points // args.series} points = {points:,} points")
    print(f"groups: {len(result.groups)}, buckets per group: {buckets}")
    print(
        f"apply():              {t_apply * 1e3:8.1f} ms  {points / t_apply / 1e6:7.1f} M points/s"
    )
    print(
        f"ceiling (per series): {t_series * 1e3:8.1f} ms  {points / t_series / 1e6:7.1f} M points/s"
    )
    print(
        f"ceiling (global):     {t_global * 1e3:8.1f} ms  {points / t_global / 1e6:7.1f} M points/s"
    )
    print(f"ratio to ceiling:     {ceiling / t_apply:8.2f}  (goal >= 0.5)")
    record(
        Result(
            "aggregation", f"group by host, average(1m), {points:,} points", "points/s",
            [points / t_apply], peer="numpy ceiling", peer_runs=[points / ceiling], ratio_goal=0.5,
            notes={"best_of": args.repeat},
        )
    )  # fmt: skip
    print(f"JSON-ready output:    {t_json * 1e3:8.1f} ms  (not part of the ratio)")


if __name__ == "__main__":
    main()
