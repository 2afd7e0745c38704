"""The shape of ``status``: what the operator writes (``reconcile.status`` computes it).

Used for the CRD's status schema only: the operator writes plain dicts, and the API server keeps
of them what this schema declares (``pruning.py`` does the same against an older installed CRD).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from heroic_operator.spec.common import SpecModel
from heroic_operator.spec.markers import list_map


class Condition(SpecModel):
    """A condition"""

    type: str
    """Condition type"""
    status: Literal["True", "False", "Unknown"]
    """True, False or Unknown"""
    reason: str | None = None
    """Machine-readable reason"""
    message: str | None = None
    """Human-readable details"""
    last_transition_time: datetime | None = None
    observed_generation: int | None = None
    """Generation the condition was computed for"""


class ConfigureRecord(SpecModel):
    """Outcome of the configure Jobs of one target"""

    hash: str | None = None
    """Hash of the current inputs"""
    job_name: str | None = None
    """Job for the current inputs"""
    phase: str | None = None
    """Succeeded, Running, Waiting, Failed or Blocked"""
    message: str | None = None
    """Details"""
    attempts: int | None = None
    """Jobs created for the current inputs"""
    failure: str | None = None
    """Retryable or Permanent"""
    failed_hash: str | None = None
    """Inputs whose Job failed"""
    retry_nonce: str | None = None
    """Last consumed heroic.dev/retry-configure value"""
    succeeded_hashes: list[str] | None = None
    """Inputs configured successfully (newest last)"""


class OperatorRecord(SpecModel):
    """The operator version that last applied every child, and the generation it applied (an
    upgraded operator holds pod-restarting changes until the spec changes)"""

    version: str | None = None
    """Operator version"""
    generation: int | None = None
    """Generation applied"""


class ShardStatus(SpecModel):
    """A shard the API sees"""

    tags: dict[str, str]
    """Its tags"""
    nodes: int
    """Its nodes online"""


class FederationStatus(SpecModel):
    """What the API pods see of the federation: one API pod's /cluster/status, read through
    the API server's service proxy (every minute by default; never part of Ready)"""

    summary: str | None = None
    """Shards seen (the Shards column)"""
    shards: list[ShardStatus] | None = None
    """Shards seen, with their nodes online"""
    missing_shards: list[dict[str, str]] | None = None
    """Shards of spec.federation.topology no node serves"""
    online_nodes: int | None = None
    """Nodes that answered the API pod's last refresh"""
    offline_nodes: int | None = None
    """Addresses found that did not answer"""
    last_checked: datetime | None = None
    """When the operator last asked"""
    error: str | None = None
    """Why the API could not be read (the other fields are then absent)"""


class HeroicClusterStatus(SpecModel):
    """Observed state, written by the operator"""

    observed_generation: int | None = None
    """Generation the status describes"""
    conditions: list[Condition] | None = Field(default=None, json_schema_extra=list_map("type"))
    """Conditions"""
    api_replicas: str | None = None
    """ready/desired API replicas"""
    consumer_replicas: str | None = None
    """ready/desired consumer replicas"""
    configure: dict[str, ConfigureRecord] | None = None
    """Configure Jobs per target (bigtable, cassandra, elasticsearch, pubsub-<group>,
    kafka-<group>)"""
    operator: OperatorRecord | None = None
    federation: FederationStatus | None = None
