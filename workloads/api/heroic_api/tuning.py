"""Process-wide settings of a process that serves queries, and giving freed memory back.

``tune_for_serving`` is for the entry points (``heroic api`` and each of its workers), called
once before serving; never from ``create_app``, since tests build many applications in one
process. On glibc, a large query's arrays are then mapped and unmapped whole, and
``release_memory_soon`` (called when a large query ends) trims the heap at most once a second
on the CPU worker thread: without both, the process keeps the peak of its busiest moment
(hundreds of MB) long after the queries are gone. Elsewhere (musl, macOS) both do nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import sys
import time
from collections.abc import Callable
from concurrent.futures import Future

from heroic_api.offload import submit

logger = logging.getLogger(__name__)

#: The event loop waits at most about this long for the GIL while the CPU worker computes
#: (Python's default is 5 ms).
SWITCH_INTERVAL_SECONDS = 0.001
#: Blocks from this size on are mapped and unmapped on their own (glibc's default threshold
#: grows up to 32 MiB as large blocks are freed, and then they stay in the heap).
MMAP_THRESHOLD_BYTES = 128 * 1024
#: At most one heap trim per this many seconds.
TRIM_INTERVAL_SECONDS = 1.0
#: Objects allocated (less those freed) between collections of the youngest generation
#: (CPython's default is 700). A grouped query makes thousands of short-lived objects, all
#: freed by reference counting; at 700 the collector ran several times per query and took
#: about a tenth of a 100-group query's CPU. A collection now scans at most this many young
#: objects (well under a millisecond).
GC_YOUNG_THRESHOLD = 20_000

_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter number


def _glibc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    libc = ctypes.CDLL(name)
    return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None


class _Trimmer:
    """``malloc_trim`` at most once per ``TRIM_INTERVAL_SECONDS``."""

    def __init__(
        self, libc: ctypes.CDLL | None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.libc = libc
        self.clock = clock
        self.last = -TRIM_INTERVAL_SECONDS

    def request(self) -> Future[object] | None:
        """The trim submitted to the CPU worker, or ``None`` when it is not due."""
        now = self.clock()
        if self.libc is None or now - self.last < TRIM_INTERVAL_SECONDS:
            return None
        self.last = now
        trim = self.libc.malloc_trim
        return submit(lambda: trim(0))


_libc = _glibc()
_trimmer = _Trimmer(_libc)


def tune_for_serving() -> None:
    """The shorter GIL switch interval; the objects alive now (modules, the application) kept
    out of the garbage collector's full scans, which pause every thread, and young objects
    collected less often; the fixed mmap threshold."""
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)
    if _libc is not None and not _libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES):
        logger.warning("mallopt(M_MMAP_THRESHOLD) failed; freed memory may stay with the process")


def release_memory_soon() -> None:
    """Trim the heap on the CPU worker thread, unless that was done within the last second."""
    _trimmer.request()
