"""Conditional features (config ``conditionalFeatures``, reference 10): features per client id.

Evaluates the configured request conditions against the request's ``X-Client-Id`` and returns
the feature items to apply. ``noop`` never matches. Reads the config models only.
"""

from __future__ import annotations

from heroic_core.config.node import (
    AllCondition,
    AnyCondition,
    ClientIdCondition,
    ConditionalFeatures,
    ListConditionalFeatures,
    MatchConditionalFeatures,
    RequestCondition,
)


def matches(condition: RequestCondition, client_id: str | None) -> bool:
    """True if the request with ``client_id`` satisfies ``condition``."""
    if isinstance(condition, ClientIdCondition):
        return client_id is not None and condition.client_id == client_id
    if isinstance(condition, AnyCondition):
        return any(matches(c, client_id) for c in condition.conditions)
    if isinstance(condition, AllCondition):
        return all(matches(c, client_id) for c in condition.conditions)
    return False


def conditional_features(config: ConditionalFeatures | None, client_id: str | None) -> list[str]:
    """Feature items (``id`` / ``-id``) of every matching rule, in configuration order."""
    if config is None:
        return []
    if isinstance(config, MatchConditionalFeatures):
        return list(config.features) if matches(config.condition, client_id) else []
    if isinstance(config, ListConditionalFeatures):
        return [item for rule in config.list_ for item in conditional_features(rule, client_id)]
    return []
