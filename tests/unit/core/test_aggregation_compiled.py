"""The compiled grouped sums (``heroic_core._native``) answer what NumPy's stacked reduction
answers, to the last bit, and leave to NumPy whatever they cannot promise that for."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heroic_core.aggregations import compiled
from heroic_core.aggregations.buckets import Layout, make_layout
from heroic_core.aggregations.data import Accumulators, Chunk, PointsData
from heroic_core.aggregations.stacked import _edges, accumulate_parts
from heroic_core.model import DateRange, Series

pytestmark = pytest.mark.skipif(
    not compiled.AVAILABLE, reason="heroic_core._native is not built (no cargo at install)"
)

START, STEP = 1_000_000, 10
COVERED = sorted(compiled.COVERED)
Stacked = tuple[Accumulators, list[int]]


def _parts(seed: int, lengths: list[int], groups: int, *, zeros: bool = False) -> list[list[Chunk]]:
    """One chunk per part (``stacked`` only batches several when they are long), timestamps
    spread over the range with gaps, values with many digits so that another order of
    additions would show in the last bits; with ``zeros``, some values are -0.0 or 0.0."""
    rng = np.random.default_rng(seed)
    parts: list[list[Chunk]] = [[] for _ in range(groups)]
    for i, length in enumerate(lengths):
        ts = START + STEP * np.sort(rng.choice(length * 2 + 1, size=length, replace=False)) + 1
        vs = rng.normal(50, 30, length) * np.pi
        if zeros and length:
            vs[rng.integers(length, size=max(length // 3, 1))] = rng.choice([0.0, -0.0])
        data = PointsData(ts.astype(np.int64), vs, sorted_by_time=True)
        parts[i % groups].append(Chunk({}, (Series("k", {"s": str(i)}),), data))
    return [[c] for part in parts for c in part]


def _layout(parts: list[list[Chunk]], size: int) -> Layout:
    longest = max((c.data.ts.shape[0] for p in parts for c in p), default=0)
    span = max(STEP * (2 * longest + 10), 3 * size)
    return make_layout(DateRange(START, START + span), size, size, "end")


def _both(
    parts: list[list[Chunk]], size: int, fields: frozenset[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[Stacked | None, Stacked | None]:
    """``accumulate_parts`` as it runs (the kernel serving where it can), then on NumPy."""
    layout = _layout(parts, size)
    with monkeypatch.context() as patch:
        patch.setenv(compiled.KERNEL_ENV, "numpy")
        numpy = accumulate_parts(layout, parts, fields)
    return accumulate_parts(layout, parts, fields), numpy


def _kernel(parts: list[list[Chunk]], size: int, fields: frozenset[str]) -> Accumulators | None:
    """What the kernel itself answers (``None``: it declined)."""
    grouped = [[c.data for c in p] for p in parts]
    return compiled.grouped_sums(_edges(_layout(parts, size)), grouped, fields)  # type: ignore[arg-type]


def _bits(got: Stacked | None) -> object:
    if got is None:
        return None
    acc, samples = got
    fields = ("n", "cnt", "sum", "sum2", "min", "max")
    arrays = [getattr(acc, f) for f in fields]
    return samples, [None if a is None else (a.shape, a.tobytes()) for a in arrays]


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    lengths=st.lists(st.integers(0, 1500), min_size=1, max_size=6),
    groups=st.integers(1, 3),
    size=st.sampled_from([20, 90, 1280, 6000, 40000]),
    fields=st.sets(st.sampled_from(COVERED), min_size=1).map(frozenset),
    zeros=st.booleans(),
)
def test_compiled_sums_equal_numpys_to_the_last_bit(
    *, seed: int, lengths: list[int], groups: int, size: int, fields: frozenset[str],
    zeros: bool,
) -> None:  # fmt: skip
    parts = _parts(seed, lengths, groups, zeros=zeros)
    with pytest.MonkeyPatch.context() as monkeypatch:
        native, numpy = _both(parts, size, fields, monkeypatch)
    assert numpy is not None
    assert _bits(native) == _bits(numpy)
    kernel = _kernel(parts, size, fields)
    # A zero as a bucket's smallest or largest value is NumPy's to decide.
    assert kernel is not None or (zeros and bool(fields & {"min", "max"}))
    if kernel is not None:
        assert _bits((kernel, numpy[1])) == _bits(numpy)


def test_a_bucket_longer_than_numpys_buffer_sums_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    parts = _parts(5, [20_000, 9_000], 2)
    native, numpy = _both(parts, STEP * 100_000, frozenset(COVERED), monkeypatch)
    kernel = _kernel(parts, STEP * 100_000, frozenset(COVERED))
    assert numpy is not None
    assert kernel is not None
    assert _bits(native) == _bits(numpy) == _bits((kernel, numpy[1]))


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf, 1e200])
def test_values_numpy_might_not_sum_finitely_are_left_to_numpy(
    value: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    parts = _parts(3, [50, 50], 2)
    parts[1][0].data.vs[7] = value  # type: ignore[union-attr]
    edges = np.arange(START, START + STEP * 200, STEP * 20, dtype=np.int64)
    grouped = [[c.data for c in p] for p in parts]
    assert compiled.grouped_sums(edges, grouped, frozenset({"sum"})) is None  # type: ignore[arg-type]
    native, numpy = _both(parts, 200, frozenset({"sum"}), monkeypatch)
    assert _bits(native) == _bits(numpy)


def test_unsorted_points_are_left_to_numpy_unless_promised_sorted() -> None:
    ts = np.array([START + 50, START + 20], dtype=np.int64)
    unknown = PointsData(ts, np.array([1.0, 2.0]))
    promised = PointsData(ts, np.array([1.0, 2.0]), sorted_by_time=True)
    edges = np.array([START, START + 100], dtype=np.int64)
    assert compiled.grouped_sums(edges, [[unknown]], frozenset({"sum"})) is None
    assert compiled.grouped_sums(edges, [[promised]], frozenset({"sum"})) is not None


@pytest.mark.parametrize("fields", [{"min"}, {"max"}, {"sum", "min", "max"}])
@pytest.mark.parametrize("zero", [0.0, -0.0])
def test_a_zero_smallest_or_largest_value_is_left_to_numpy(fields: set[str], zero: float) -> None:
    data = PointsData(np.array([START + 1, START + 2], dtype=np.int64), np.array([zero, zero]))
    edges = np.array([START, START + 100], dtype=np.int64)
    assert compiled.grouped_sums(edges, [[data]], frozenset(fields)) is None


def test_the_environment_turns_the_compiled_sums_off(monkeypatch: pytest.MonkeyPatch) -> None:
    data = PointsData(np.array([START + 1], dtype=np.int64), np.array([1.0]))
    edges = np.array([START, START + 100], dtype=np.int64)
    assert compiled.grouped_sums(edges, [[data]], frozenset({"sum"})) is not None
    monkeypatch.setenv(compiled.KERNEL_ENV, "numpy")
    assert compiled.grouped_sums(edges, [[data]], frozenset({"sum"})) is None
