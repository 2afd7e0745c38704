"""The ConfigMap holding each component's rendered heroic.yml (``api.yml``,
``consumer-<group>.yml``). Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from heroic_operator import naming
from heroic_operator.desired.builders.common import metadata
from heroic_operator.spec import Cluster


def build_config_map(cluster: Cluster, data: Mapping[str, str]) -> dict[str, Any]:
    """``<cluster>-heroic-config`` with one key per component."""
    name = naming.config_map_name(cluster.name)
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata(cluster, name, naming.COMPONENT_CONFIG),
        "data": dict(sorted(data.items())),
    }
