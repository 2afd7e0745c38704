"""Which components may move to their new config now, and which backend changes are refused.

A component waits while any configure target it uses has not succeeded for the current inputs:
its ConfigMap key keeps the live text and its Deployment is left untouched, so workloads move to a
new backend config only after its Job succeeded (and then roll once). A change that a backend
cannot make in place (a Pub/Sub subscription's topic, a Bigtable project/instance) is refused
with a reason instead of being applied. Pure: works on rendered text and the live ConfigMap.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import yaml

from heroic_operator import naming
from heroic_operator.configure.decide import TargetPlan
from heroic_operator.desired.components import Component, Target


@dataclass(frozen=True)
class Gate:
    config_data: dict[str, str]
    deployable: frozenset[str]
    waiting: dict[str, list[str]]


def gate_components(
    components: Sequence[Component],
    plans: Mapping[str, TargetPlan],
    live: Mapping[str, str],
) -> Gate:
    """ConfigMap data to write, components whose Deployment may be applied, and what waits."""
    data: dict[str, str] = {}
    deployable: set[str] = set()
    waiting: dict[str, list[str]] = {}
    for component in components:
        key = naming.config_key(component.name)
        pending = [t for t in component.targets if t in plans and plans[t].phase != "Succeeded"]
        if pending:
            waiting[component.name] = pending
            if key in live:
                data[key] = live[key]
            continue
        data[key] = component.rendered.text
        deployable.add(component.name)
    return Gate(data, frozenset(deployable), waiting)


#: libyaml's safe loader where PyYAML was built with it: the same documents, a tenth of the CPU.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        loaded = yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader (above)
    except yaml.YAMLError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _first(section: Any) -> dict[str, Any]:
    items = section.get("backends") if isinstance(section, dict) else section
    return items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else {}


@functools.lru_cache(maxsize=4096)
def _first_backend(text: str | None, section: str) -> Mapping[str, Any]:
    """The first backend of ``section`` in a heroic.yml text (empty if none), read-only and
    remembered per text: a settled cluster's texts are the same on every pass, and parsing them
    was most of its plan's CPU."""
    return MappingProxyType(_first(_load(text).get(section)))


def _pubsub_change(group: str, desired: str, live: Mapping[str, str]) -> str:
    key = naming.config_key(naming.consumer_component(group))
    old = _first_backend(live.get(key), "consumers")
    new = _first_backend(desired, "consumers")
    same_subscription = old.get("subscription") == new.get("subscription")
    if old.get("type") != "pubsub" or not same_subscription or old.get("topic") == new.get("topic"):
        return ""
    return (
        f"Pub/Sub subscription {new.get('subscription')} is bound to topic {old.get('topic')}; "
        f"it cannot move to {new.get('topic')}. Give the consumer group a new subscription "
        "name (the old one is left as is)"
    )


def _bigtable_change(desired: str, live: Mapping[str, str]) -> str:
    old = _first_backend(live.get(naming.config_key(naming.COMPONENT_API)), "metrics")
    new = _first_backend(desired, "metrics")
    before = (old.get("project"), old.get("instance"))
    after = (new.get("project"), new.get("instance"))
    if old.get("type") != "bigtable" or before == after:
        return ""
    return (
        f"Bigtable {before[0]}/{before[1]} cannot change to {after[0]}/{after[1]} in place: "
        "the data does not move; create a new HeroicCluster instead"
    )


def immutable_change(target: Target, live: Mapping[str, str]) -> str:
    """Why the target's new inputs cannot be applied to the live backend, or ``""``. Only the
    backends with such changes read the texts (on every pass, for every target)."""
    if target.backend == "pubsub":
        return _pubsub_change(target.key.removeprefix("pubsub-"), target.rendered.text, live)
    if target.backend == "bigtable":
        return _bigtable_change(target.rendered.text, live)
    return ""
