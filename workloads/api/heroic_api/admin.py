"""The API node under control of ``heroic shell``: ``ApiControl`` (the node tasks' view of the
application: its ingestion filter for ``POST /write`` and remote write, its request counters,
its backends; it runs no consumers) and ``start_api_admin`` (the admin endpoint of ``heroic
api``, when heroic.yml has ``shellServer:``). Never part of the public application or port.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from heroic_api.context import ApiContext
from heroic_core.admin.control import ConsumerControl, Counters
from heroic_core.admin.counters import registry_counters
from heroic_core.admin.server import AdminServer, start_admin_server
from heroic_core.admin.tasks import NodeTaskRunner
from heroic_core.backends.group import Backends
from heroic_core.config import ShellServerConfig
from heroic_core.filters import Filter

PREFIX = "heroic_"


class ApiControl:
    """An API application (its ``ApiContext``) as the node tasks see it."""

    def __init__(self, context: ApiContext) -> None:
        self.context = context

    @property
    def backends(self) -> Backends | None:
        return self.context.backends

    def consumers(self) -> Sequence[ConsumerControl]:
        return ()

    def ingestion_filter(self) -> Filter:
        return self.context.ingestion_filter

    def set_ingestion_filter(self, value: Filter) -> None:
        self.context.ingestion_filter = value

    def ingestion_counters(self) -> Counters:
        return registry_counters(
            self.context.metrics.registry,
            PREFIX,
            names={"remote_write_received", "remote_write_rejected_requests"},
        )

    def backend_counters(self) -> Mapping[str, Counters]:
        return {}

    def request_counters(self) -> Counters:
        return registry_counters(
            self.context.metrics.registry,
            PREFIX,
            names={"http_requests", "http_request_duration_seconds"},
        )


async def start_api_admin(
    config: ShellServerConfig | None, context: ApiContext
) -> AdminServer | None:
    """The node tasks on ``shellServer`` (``None``, nothing bound, when it is absent)."""
    return await start_admin_server(config, NodeTaskRunner(ApiControl(context)))
