"""Types of the compiled query kernels (``workloads/core/native``, Rust). Arrays are read
through the buffer protocol: C-contiguous, of the dtype named."""

from collections.abc import Sequence

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
