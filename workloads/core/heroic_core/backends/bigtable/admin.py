"""Create the Bigtable table and its column families if missing (upstream ``configure``).

Blocking calls on the table admin API, meant to run in a worker thread. Creates only: an
existing table or family is left exactly as it is (no GC rule changes, nothing dropped).
"""

from __future__ import annotations

import time

from google.api_core import exceptions as gexc
from google.api_core.retry import Retry
from google.cloud.bigtable import Client
from google.cloud.bigtable_admin_v2.types import ColumnFamily, ModifyColumnFamiliesRequest, Table

from heroic_core.backends.bigtable.connection import convert, credentials_for, emulator_environment
from heroic_core.backends.results import ConfigureResult
from heroic_core.config.metrics import BigtableMetricConfig

#: Upstream creates these three families (``events`` is unused by the metric path).
COLUMN_FAMILIES = ("points", "distributionPoints", "events")
_APPEAR_TIMEOUT = 10.0


def ensure_schema(config: BigtableMetricConfig, timeout: float) -> ConfigureResult:
    """Create the table and missing column families; report what was created and what existed."""
    with emulator_environment(config):
        client = Client(  # type: ignore[no-untyped-call]
            project=config.project, admin=True, credentials=credentials_for(config)
        )
    try:
        return _ensure(client, config, timeout)
    except Exception as exc:
        raise convert(exc, config, "configure") from exc
    finally:
        client.close()  # type: ignore[no-untyped-call]


def _ensure(client: Client, config: BigtableMetricConfig, timeout: float) -> ConfigureResult:
    admin = client.table_admin_client
    name = admin.table_path(config.project, config.instance, config.table)
    retry = Retry(timeout=timeout)
    table_label = f"bigtable table {config.instance}/{config.table}"
    family_label = f"bigtable column family {config.instance}/{config.table}:{{}}".format
    try:
        families = set(admin.get_table(name=name, retry=retry, timeout=timeout).column_families)
    except gexc.NotFound:
        admin.create_table(
            parent=admin.instance_path(config.project, config.instance),
            table_id=config.table,
            table=Table(column_families={f: ColumnFamily() for f in COLUMN_FAMILIES}),
            retry=retry,
            timeout=timeout,
        )
        _wait_for_families(client, name, timeout)
        return ConfigureResult(created=(table_label, *map(family_label, COLUMN_FAMILIES)))
    missing = [f for f in COLUMN_FAMILIES if f not in families]
    present = [f for f in COLUMN_FAMILIES if f in families]
    if missing:
        admin.modify_column_families(
            name=name,
            modifications=[
                ModifyColumnFamiliesRequest.Modification(id=f, create=ColumnFamily())
                for f in missing
            ],
            retry=retry,
            timeout=timeout,
        )
        _wait_for_families(client, name, timeout)
    return ConfigureResult(
        created=tuple(map(family_label, missing)),
        existing=(table_label, *map(family_label, present)),
    )


def _wait_for_families(client: Client, name: str, timeout: float) -> None:
    """Upstream waits up to 10 s for every family to become visible."""
    deadline = time.monotonic() + min(_APPEAR_TIMEOUT, timeout)
    while True:
        table = client.table_admin_client.get_table(name=name, timeout=timeout)
        if set(COLUMN_FAMILIES) <= set(table.column_families):
            return
        if time.monotonic() >= deadline:
            message = f"column families of {name} did not appear in time"
            raise gexc.DeadlineExceeded(message)  # type: ignore[no-untyped-call]
        time.sleep(0.2)
