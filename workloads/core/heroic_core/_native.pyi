"""Types of the compiled kernels (``workloads/core/native``, Rust): the query's grouped sums
and the memory metric backend's batch write loop. Arrays of ``grouped_sums`` are read
through the buffer protocol: C-contiguous, of the dtype named."""

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

def grouped_sums(
    timestamps: Sequence[NDArray[np.int64]],
    values: Sequence[NDArray[np.float64]],
    sorted: Sequence[bool],
    owners: Sequence[int],
    groups: int,
    edges: NDArray[np.int64],
    *,
    cnt: bool,
    sum: bool,
    sum2: bool,
    min: bool,
    max: bool,
) -> (
    tuple[
        bytearray,
        bytearray | None,
        bytearray | None,
        bytearray | None,
        bytearray | None,
        bytearray | None,
    ]
    | None
): ...
def append_chunks(
    by_id: dict[str, Any],
    slot: Callable[[Any], Any],
    series: tuple[Any, ...],
    columns: tuple[NDArray[np.int64], NDArray[np.float64]],
    bounds: list[int],
    max_len: int,
) -> None: ...
