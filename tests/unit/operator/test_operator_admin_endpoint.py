"""The nodes' admin endpoint (heroic.yml ``shellServer``) stays off in operator-run pods: the
operator never renders the key, refuses it in ``spec.config``, and exposes its port nowhere."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml

from heroic_operator import naming
from heroic_operator.desired.builders import BuildContext, build_all
from heroic_operator.desired.components import components
from heroic_operator.errors import InvalidSpec
from heroic_operator.spec import Cluster, parse_cluster

ADMIN_PORT = 9190  # upstream's shellServer default


@pytest.mark.parametrize("name", ["memory", "full", "cassandra"])
def test_rendered_configs_have_no_shell_server(cluster: Callable[..., Cluster], name: str) -> None:
    for component in components(cluster(name)):
        assert "shellServer" not in yaml.safe_load(component.rendered.text)


def _ports(value: Any) -> list[Any]:
    """Every ``port``, ``targetPort`` and ``containerPort`` anywhere in ``value``."""
    if isinstance(value, list):
        return [p for item in value for p in _ports(item)]
    if not isinstance(value, dict):
        return []
    found = [v for k, v in value.items() if k in ("port", "targetPort", "containerPort")]
    return found + [p for v in value.values() for p in _ports(v)]


@pytest.mark.parametrize("name", ["memory", "full", "cassandra"])
def test_no_child_exposes_the_admin_port(cluster: Callable[..., Cluster], name: str) -> None:
    parsed = cluster(name)
    comps = components(parsed)
    data = {naming.config_key(c.name): c.rendered.text for c in comps}
    names = frozenset(c.name for c in comps)
    context = BuildContext(parsed, comps, data, names, {}, configure_service_account=True)
    ports = _ports(build_all(context))
    assert 8080 in ports  # the walk sees the ports (the API container's is there)
    assert ADMIN_PORT not in ports


def test_shell_server_in_spec_config_is_refused() -> None:
    body = {"metadata": {"name": "x"}, "spec": {"image": "i", "config": {"shellServer": {}}}}
    with pytest.raises(InvalidSpec, match=r"config\.shellServer is set by the operator"):
        parse_cluster(body)
