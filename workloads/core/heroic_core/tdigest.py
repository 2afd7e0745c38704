"""t-digest sketches as upstream Heroic stores them in distribution points.

A distribution point's payload is a serialized ``com.tdunning:t-digest`` 3.2 ``MergingDigest``
(reference 1.2, 13.10). Both of its encodings are read: verbose (code 1: min, max, compression
as doubles, an int centroid count, then ``(weight, mean)`` double pairs) and small (code 2: min,
max as doubles, compression as a float, three shorts -- main buffer size, temp buffer size,
centroid count -- then ``(weight, mean)`` float pairs). Everything is big-endian. ``encode``
writes the small encoding, which is what Heroic's writers and tests use.

``merge`` recombines sketches the way ``MergingDigest`` compresses its buffer (centroids sorted
by mean, greedily merged while the size bound ``(w·c/(π·N))² ≤ q(1-q)`` holds at both ends);
``quantile`` interpolates between centroid means as ``MergingDigest.quantile`` does. One
difference on purpose: in 3.2 the interpolation between the last centroid and ``max`` uses a
mis-signed weight and always answers ``max``; here it interpolates.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]

#: Upstream's ``TdigestStatInstanceUtils.TDIGEST_COMPRESSION_LEVEL``.
DEFAULT_COMPRESSION = 100.0

VERBOSE_ENCODING = 1
SMALL_ENCODING = 2

_VERBOSE_HEADER = struct.Struct(">iddd i")
_SMALL_HEADER = struct.Struct(">iddf hhh")


class DigestError(ValueError):
    """A payload that is not a serialized MergingDigest; the message says what is wrong."""


@dataclass(frozen=True, slots=True, eq=False)
class TDigest:
    """A merged t-digest: centroids sorted by mean, with the extremes seen."""

    min: float
    max: float
    compression: float
    means: Floats
    weights: Floats

    @property
    def count(self) -> float:
        """Total weight (upstream's ``size()`` is this, truncated to a long)."""
        return float(self.weights.sum())

    def __len__(self) -> int:
        return int(self.means.shape[0])


def empty(compression: float = DEFAULT_COMPRESSION) -> TDigest:
    nothing = np.empty(0, dtype=np.float64)
    return TDigest(math.inf, -math.inf, compression, nothing, nothing)


def decode(payload: bytes) -> TDigest:
    """Read a serialized ``MergingDigest`` (either encoding)."""
    if len(payload) < 4:
        raise DigestError(f"t-digest payload too short ({len(payload)} bytes)")
    (encoding,) = struct.unpack_from(">i", payload)
    if encoding == VERBOSE_ENCODING:
        header, pair = _VERBOSE_HEADER, ">d"
        if len(payload) < header.size:
            raise DigestError(f"t-digest payload too short for its header ({len(payload)} bytes)")
        _, lo, hi, compression, n = header.unpack_from(payload)
    elif encoding == SMALL_ENCODING:
        header, pair = _SMALL_HEADER, ">f"
        if len(payload) < header.size:
            raise DigestError(f"t-digest payload too short for its header ({len(payload)} bytes)")
        _, lo, hi, compression, _size, _buffer, n = header.unpack_from(payload)
    else:
        raise DigestError(f"unknown t-digest encoding {encoding} (expected 1 or 2)")
    if n < 0:
        raise DigestError(f"t-digest centroid count is negative ({n})")
    width = 2 * n * struct.calcsize(pair)
    if len(payload) != header.size + width:
        raise DigestError(
            f"t-digest payload has {len(payload)} bytes, {header.size + width} expected "
            f"for {n} centroids"
        )
    pairs = np.frombuffer(payload, dtype=pair, count=2 * n, offset=header.size)
    pairs = pairs.astype(np.float64).reshape(n, 2)
    weights, means = pairs[:, 0].copy(), pairs[:, 1].copy()
    # An infinite mean is legal: the small encoding stores means as floats, and a value beyond
    # float32's range becomes +-inf there (MergingDigest.fromBytes reads it back as such).
    if np.isnan(means).any():
        raise DigestError("t-digest has a NaN mean")
    if not (np.isfinite(weights).all() and (weights >= 0).all()):
        raise DigestError("t-digest has a negative or non-finite weight")
    order = np.argsort(means, kind="stable")
    return TDigest(float(lo), float(hi), float(compression), means[order], weights[order])


def encode(digest: TDigest) -> bytes:
    """The small encoding of ``MergingDigest.asSmallBytes`` (buffer sizes as 3.2 sizes them)."""
    n = len(digest)
    size = int(2 * math.ceil(digest.compression)) + 10
    buffer = int(5 * math.ceil(digest.compression))
    head = _SMALL_HEADER.pack(
        SMALL_ENCODING, digest.min, digest.max, digest.compression, size, buffer, n
    )
    pairs = np.empty((n, 2), dtype=">f4")
    with np.errstate(over="ignore"):  # beyond float32's range is +-inf, as Java's cast
        pairs[:, 0] = digest.weights
        pairs[:, 1] = digest.means
    return head + pairs.tobytes()


def from_values(values: Iterable[float], compression: float = DEFAULT_COMPRESSION) -> TDigest:
    """A digest of raw samples (each of weight 1); NaN is refused as upstream does."""
    data = np.asarray(list(values), dtype=np.float64)
    if np.isnan(data).any():
        raise DigestError("Cannot add NaN to t-digest")
    if data.shape[0] == 0:
        return empty(compression)
    means, weights = _compress(data, np.ones_like(data), compression)
    return TDigest(float(data.min()), float(data.max()), compression, means, weights)


def merge(digests: Sequence[TDigest], compression: float = DEFAULT_COMPRESSION) -> TDigest:
    """One digest summarising every input (upstream's bucket adds each input's centroids)."""
    parts = [d for d in digests if len(d)]
    if not parts:
        return empty(compression)
    if len(parts) == 1 and parts[0].compression == compression:
        return parts[0]
    means = np.concatenate([d.means for d in parts])
    weights = np.concatenate([d.weights for d in parts])
    merged_means, merged_weights = _compress(means, weights, compression)
    lo = min(d.min for d in parts)
    hi = max(d.max for d in parts)
    return TDigest(lo, hi, compression, merged_means, merged_weights)


def _compress(means: Floats, weights: Floats, compression: float) -> tuple[Floats, Floats]:
    """Sort by mean and merge neighbours while the centroid size bound allows."""
    order = np.argsort(means, kind="stable")
    ms, ws = means[order].tolist(), weights[order].tolist()
    total = float(sum(ws))
    if total <= 0:
        return np.empty(0, dtype=np.float64), np.empty(0, dtype=np.float64)
    normalizer = compression / (math.pi * total)
    out_m, out_w = [ms[0]], [ws[0]]
    so_far = 0.0
    for m, w in zip(ms[1:], ws[1:], strict=True):
        proposed = out_w[-1] + w
        z = proposed * normalizer
        q0 = so_far / total
        q2 = (so_far + proposed) / total
        if z * z <= q0 * (1 - q0) and z * z <= q2 * (1 - q2):
            out_w[-1] = proposed
            out_m[-1] += (m - out_m[-1]) * w / proposed
        else:
            so_far += out_w[-1]
            out_m.append(m)
            out_w.append(w)
    return np.asarray(out_m, dtype=np.float64), np.asarray(out_w, dtype=np.float64)


def quantile(digest: TDigest, q: float) -> float:
    """The estimated value at quantile ``q`` (0..1); NaN for an empty digest."""
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"q should be in [0,1], got {q}")
    n = len(digest)
    if n == 0:
        return math.nan
    means: list[float] = digest.means.tolist()
    weights: list[float] = digest.weights.tolist()
    total = float(sum(weights))
    index = q * total
    if index < weights[0] / 2:
        return digest.min + 2 * index / weights[0] * (means[0] - digest.min)
    so_far = weights[0] / 2
    for i in range(n - 1):
        dw = (weights[i] + weights[i + 1]) / 2
        if so_far + dw > index:
            z1 = index - so_far
            z2 = so_far + dw - index
            return _weighted_average(means[i], z2, means[i + 1], z1)
        so_far += dw
    z1 = index - (total - weights[-1] / 2)
    z2 = weights[-1] / 2 - z1
    return _weighted_average(means[-1], z2, digest.max, z1)


def _weighted_average(x1: float, w1: float, x2: float, w2: float) -> float:
    if x1 > x2:
        x1, w1, x2, w2 = x2, w2, x1, w1
    if w1 + w2 <= 0:
        return x1
    x = (x1 * w1 + x2 * w2) / (w1 + w2)
    return max(x1, min(x, x2))
