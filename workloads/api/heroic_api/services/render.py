"""``GET /render/image``: a query's result groups drawn as a PNG line chart (reference 2.4).

Like upstream's chart: a white plot with a time axis and a value axis that need not include
zero, one 2-pixel line per ``points`` group, the mean of each ``spreads`` group with its
min..max band, an optional red ``threshold`` line and a title. Uses matplotlib's Agg canvas
(the optional ``render`` extra; without it rendering is refused with a message). Pure function
of the result JSON; no I/O besides the returned bytes.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from heroic_core.errors import HeroicError

DEFAULT_WIDTH = 600
DEFAULT_HEIGHT = 400
MIN_SIZE, MAX_SIZE = 16, 4096
DPI = 100
LINE = "#1f4fd8"
BAND = "#c8ffc8"
SPREAD = "#2ca02c"


def check_size(width: int, height: int) -> None:
    """Both within [16, 4096] pixels, else a 400 naming the parameter."""
    for name, value in (("width", width), ("height", height)):
        if not MIN_SIZE <= value <= MAX_SIZE:
            raise HeroicError(f"{name} must be between {MIN_SIZE} and {MAX_SIZE}, got {value}")


def _times(values: Sequence[Sequence[Any]]) -> npt.NDArray[np.datetime64]:
    return np.array([int(v[0]) for v in values], dtype="datetime64[ms]")


def _label(group: Mapping[str, Any]) -> str:
    tags = ",".join(f"{k}={v}" for k, v in sorted((group.get("tags") or {}).items()))
    return f"{group.get('key') or ''}{{{tags}}}"


def render_png(
    groups: Sequence[Mapping[str, Any]],
    *,
    title: str | None,
    width: int = DEFAULT_WIDTH,
    height: int = DEFAULT_HEIGHT,
    threshold: float | None = None,
) -> bytes:
    """The PNG bytes of the chart of ``groups`` (the ``result`` of a query response)."""
    check_size(width, height)
    try:
        from matplotlib.dates import AutoDateLocator, ConciseDateFormatter  # noqa: PLC0415
        from matplotlib.figure import Figure  # noqa: PLC0415
    except ImportError:
        raise HeroicError(
            "rendering images needs matplotlib: install heroic with the 'render' extra"
        ) from None
    figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, facecolor="white")
    axes = figure.add_subplot()
    axes.set_facecolor("white")
    axes.grid(True, color="black", linewidth=0.3)
    for group in groups:
        values = group.get("values") or []
        if not values:
            continue
        if group.get("type") == "points":
            axes.plot(_times(values), [float(v[1]) for v in values], color=LINE, linewidth=2,
                      label=_label(group))  # fmt: skip
        elif group.get("type") == "spreads":
            stats = [v[1] for v in values]
            times = _times(values)
            means = [s["sum"] / s["count"] for s in stats]
            axes.fill_between(times, [s["min"] for s in stats], [s["max"] for s in stats],
                              color=BAND, linewidth=0)  # fmt: skip
            axes.plot(times, means, color=SPREAD, linewidth=2, label=_label(group))
    if threshold is not None:
        axes.axhline(threshold, color="red", linewidth=max(min(height // 20, 6), 1))
    locator = AutoDateLocator()  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    if title:
        axes.set_title(title)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
