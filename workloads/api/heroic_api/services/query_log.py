"""Query logging (heroic.yml ``queryLogging: {type: slf4j, name, level}``): one record per query.

The record goes to the Python logger ``name`` at ``level`` (slf4j's names; ``TRACE`` is
``DEBUG``), with its fields as the record's context, so that our JSON log format writes one
object per query: ``queryId``, ``clientId``, ``clientContext`` (from the request), ``query``
(source, filter, aggregation, range and features as requested), ``range`` (the effective one),
``durationMs``, ``series`` and ``points`` fetched (0 when answered from the cache), ``groups``,
``errors`` (the answer's, or the exception that failed the query) and ``cached``. The logger's
own level is set to ``level``, so the records pass whatever the process's log level is; route
them by logger name. A process without any log handler (the shell) gets one writing JSON to
stderr. Without the section nothing is logged (upstream's default). This module must not change
answers.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from heroic_api.services.query_request import MetricsQuery
from heroic_core.config.node import QueryLoggingConfig
from heroic_core.logging import JsonFormatter

#: slf4j's level names as Python levels.
LEVELS = {
    "TRACE": logging.DEBUG,
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARN": logging.WARNING,
    "ERROR": logging.ERROR,
}


@dataclass(slots=True)
class QueryLogEntry:
    """What one query did; filled in by the engine while it runs."""

    query: MetricsQuery
    client_id: str | None
    started: float = field(default_factory=time.perf_counter)
    answer: dict[str, Any] | None = None
    series: int = 0
    points: int = 0
    failure: BaseException | None = None

    def answered(
        self, answer: dict[str, Any], *, series: int = 0, points: int = 0
    ) -> dict[str, Any]:
        """Record the response and what was fetched for it; returns the response."""
        self.answer, self.series, self.points = answer, series, points
        return answer

    def fields(self) -> dict[str, Any]:
        """The record's context (camelCase, as the rest of the API's JSON)."""
        answer = self.answer or {}
        errors = list(answer.get("errors", []))
        if self.failure is not None:
            errors.append({"type": type(self.failure).__name__, "error": str(self.failure)})
        return {
            "queryId": answer.get("queryId") or str(uuid.uuid4()),
            "clientId": self.client_id,
            "clientContext": self.query.client_context,
            "query": _requested(self.query),
            "range": answer.get("range"),
            "durationMs": round((time.perf_counter() - self.started) * 1000, 3),
            "series": self.series,
            "points": self.points,
            "groups": len(answer.get("result", [])),
            "errors": errors,
            "cached": bool(answer.get("cached", False)),
        }


def _requested(query: MetricsQuery) -> dict[str, Any]:
    return {
        "source": query.source.value,
        "filter": query.filter.to_json(),
        "aggregation": query.aggregation.to_json(),
        "range": None if query.range is None else query.range.to_json(),
        "features": list(query.features),
    }


class QueryLog:
    """Writes one record per query to ``logger``, or nothing when ``logger`` is ``None``."""

    def __init__(self, logger: logging.Logger | None = None, level: int = logging.DEBUG) -> None:
        self.logger = logger
        self.level = level

    @contextmanager
    def entry(self, query: MetricsQuery, client_id: str | None) -> Iterator[QueryLogEntry]:
        """Time the query run inside; log it when it ends, however it ends."""
        entry = QueryLogEntry(query, client_id)
        try:
            yield entry
        except BaseException as exc:
            entry.failure = exc
            raise
        finally:
            if self.logger is not None:
                message = "Query failed" if entry.failure is not None else "Query answered"
                self.logger.log(self.level, message, extra=entry.fields())


def build_query_log(config: QueryLoggingConfig | None) -> QueryLog:
    """The query log ``config`` (heroic.yml ``queryLogging``) describes."""
    if config is None:
        return QueryLog()
    level = LEVELS[config.level]
    logger = logging.getLogger(config.name)
    logger.setLevel(level)
    if not logger.hasHandlers():
        # a process that set up no logging (the shell) still shows its query log, on stderr
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
    return QueryLog(logger, level)
