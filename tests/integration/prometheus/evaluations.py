"""Where in the data the corpus is evaluated: ``query_range`` windows and ``query`` instants.

All are offsets from the data's start (``dataset``), placed across its fixed events: a counter
reset at 90 min, a 12-minute gap at 100-112 min (longer than the 5-minute lookback), a 3-minute
gap at 150-153 min, late starts at 50 min, early ends at 190 min, and the end of the data at
240 min; steps come in both of Prometheus' spellings (seconds and durations), and one window
starts off the scrape grid. Must not talk to anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from .dataset import DURATION_MS, Dataset

MIN = 60.0
END = DURATION_MS / 1000


@dataclass(frozen=True)
class Window:
    """A ``query_range`` evaluation: start and end as offsets (s), step as Prometheus takes it."""

    name: str
    start: float
    end: float
    step: str

    def params(self, dataset: Dataset) -> dict[str, str]:
        base = dataset.start_ms / 1000
        return {"start": _stamp(base + self.start), "end": _stamp(base + self.end),
                "step": self.step}  # fmt: skip


@dataclass(frozen=True)
class Instant:
    """A ``query`` evaluation at an offset (s) from the data's start."""

    name: str
    at: float

    def params(self, dataset: Dataset) -> dict[str, str]:
        return {"time": _stamp(dataset.start_ms / 1000 + self.at)}


def _stamp(seconds: float) -> str:
    return f"{seconds:.3f}"


WINDOWS = (
    Window("whole-60s", -10 * MIN, END + 10 * MIN, "60"),
    Window("reset-and-gap-15s", 85 * MIN, 118 * MIN, "15s"),
    Window("whole-5m", 0, END, "5m"),
    Window("hourly-past-the-edges", -60 * MIN, END + 60 * MIN, "3600"),
    Window("unaligned-37s-short-gap", 140 * MIN + 7.5, 165 * MIN, "37"),
    Window("late-start-20s", 40 * MIN, 70 * MIN + 0.25, "20s"),
    Window("early-end-30s", 180 * MIN, 205 * MIN, "30"),
)
INSTANTS = (
    Instant("middle", 120 * MIN + 3.5),
    Instant("gap-within-lookback", 103 * MIN),
    Instant("gap-stale", 108 * MIN),
    Instant("just-after-reset", 90 * MIN + 20),
    Instant("end-within-lookback", END + 4 * MIN),
    Instant("end-stale", END + 6 * MIN),
    Instant("short-gap", 152 * MIN),
)
MID = INSTANTS[0]

Evaluation = Window | Instant
