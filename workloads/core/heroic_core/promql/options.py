"""The settings of the PromQL engine (Prometheus' command-line flags, and our name rules)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_LOOKBACK_MS = 5 * 60_000
DEFAULT_RESOLUTION_MS = 60_000


@dataclass(frozen=True, slots=True)
class EngineOptions:
    lookback_ms: int = DEFAULT_LOOKBACK_MS
    resolution_ms: int = DEFAULT_RESOLUTION_MS
    #: Samples one query may load (Prometheus' --query.max-samples).
    max_samples: int = 50_000_000
    #: A client's label name -> the stored one (the name escaping).
    unescape: Callable[[str], str] = str
    #: Label names made by a query (label_replace, label_join, count_values) must be legal
    #: legacy names, as Prometheus 2 wants; otherwise any non-empty UTF-8, as Prometheus 3.
    legacy_names: bool = False
