"""The ``prometheus`` section of heroic.yml: our addition for the Prometheus HTTP API (upstream
Heroic has none). Every key here is read by the API node."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from heroic_core.config.common import ConfigModel, Duration, duration_default


class PrometheusConfig(ConfigModel):
    """``/api/v1``: how names are shown and Prometheus' query engine settings."""

    #: ``allow-utf-8`` shows Heroic keys and tags as they are (``cpu.usage``); ``values`` uses
    #: Prometheus 3's reversible escaping for clients limited to legacy names.
    name_escaping: Literal["allow-utf-8", "values"] = "allow-utf-8"
    #: Prometheus' --query.lookback-delta: how far back an instant selector looks for a sample.
    lookback_delta: Duration = duration_default("5m")
    #: The resolution of subqueries without one (Prometheus' global evaluation_interval).
    default_evaluation_interval: Duration = duration_default("1m")
    #: Samples one query may load (Prometheus' --query.max-samples).
    max_samples: int = Field(default=50_000_000, ge=1)
