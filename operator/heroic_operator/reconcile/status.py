"""Compute a HeroicCluster's status (conditions, replica summaries, configure records) from
what was observed. Pure: no API calls; ``now`` is passed in.

Conditions: ``Ready`` (aggregate; what ``kubectl wait`` keys on), ``Reconciled``, ``ApiAvailable``,
``ConsumersAvailable``, one ``<Backend>Configured`` per backend in use, ``RequiresUpdate`` (see
``upgrade``), ``Paused``. Each carries
reason, message and observedGeneration; ``lastTransitionTime`` moves only when status flips.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from heroic_operator.configure.decide import TargetPlan
from heroic_operator.desired.components import CONDITION_TYPES


@dataclass(frozen=True)
class Condition:
    type: str
    status: bool
    reason: str
    message: str


@dataclass(frozen=True)
class Rollout:
    """A Deployment's progress: ``complete`` means every replica runs the current template."""

    name: str
    desired: int
    ready: int
    available: bool
    complete: bool


@dataclass(frozen=True)
class StatusInputs:
    generation: int
    paused: bool = False
    error: tuple[str, str] | None = None
    api: Rollout | None = None
    api_waiting: Sequence[str] = ()
    consumers: Mapping[str, Rollout | None] = field(default_factory=dict)
    consumers_waiting: Mapping[str, Sequence[str]] = field(default_factory=dict)
    plans: Sequence[TargetPlan] = ()
    unconfigured_backends: Iterable[str] = ()
    requires_update: Condition | None = None
    operator: Mapping[str, Any] | None = None


def rollout_of(deployment: Mapping[str, Any]) -> Rollout:
    """Read a Deployment's rollout state (the ``kubectl rollout status`` rules)."""
    meta, spec, st = (deployment.get(k) or {} for k in ("metadata", "spec", "status"))
    desired = int(spec.get("replicas", 1))
    fresh = int(st.get("observedGeneration", 0)) >= int(meta.get("generation", 0))
    counts = [int(st.get(k) or 0) for k in ("updatedReplicas", "availableReplicas", "replicas")]
    complete = fresh and counts[0] == desired and counts[1] == desired and counts[2] == desired
    conditions = st.get("conditions") or []
    available = desired == 0 or any(
        c.get("type") == "Available" and c.get("status") == "True" for c in conditions
    )
    ready = int(st.get("readyReplicas") or 0)
    return Rollout(meta.get("name", ""), desired, ready, available, complete)


def _waiting(targets: Sequence[str]) -> str:
    return "waiting for configure target(s) " + ", ".join(targets)


def tier_condition(kind: str, rollout: Rollout | None, waiting: Sequence[str]) -> Condition:
    if rollout is None:
        if waiting:
            return Condition(kind, False, "WaitingForConfigure", _waiting(waiting))
        return Condition(kind, False, "NotCreated", "the Deployment does not exist yet")
    counts = f"{rollout.ready}/{rollout.desired} replicas ready"
    if rollout.complete and not waiting:
        return Condition(kind, True, "AllReplicasReady", f"{rollout.name}: {counts}")
    if rollout.available:
        note = f"; {_waiting(waiting)}" if waiting else ""
        return Condition(kind, True, "RolloutInProgress", f"{rollout.name}: {counts}{note}")
    return Condition(kind, False, "ReplicasUnavailable", f"{rollout.name}: {counts}")


def consumers_condition(inputs: StatusInputs) -> Condition:
    kind = "ConsumersAvailable"
    if not inputs.consumers:
        return Condition(kind, True, "NoConsumerGroups", "no consumer groups are defined")
    parts = {
        group: tier_condition(kind, rollout, inputs.consumers_waiting.get(group, ()))
        for group, rollout in inputs.consumers.items()
    }
    for reason in ("WaitingForConfigure", "NotCreated", "ReplicasUnavailable", "RolloutInProgress"):
        hit = [f"{g}: {c.message}" for g, c in parts.items() if c.reason == reason]
        if hit:
            ok = all(c.status for c in parts.values())
            return Condition(kind, ok, reason, "; ".join(hit))
    return Condition(kind, True, "AllReplicasReady", f"{len(parts)} consumer group(s) ready")


def configured_conditions(inputs: StatusInputs) -> list[Condition]:
    by_backend: dict[str, list[TargetPlan]] = {}
    for plan in inputs.plans:
        by_backend.setdefault(plan.target.backend, []).append(plan)
    out = []
    for backend, plans in by_backend.items():
        kind = CONDITION_TYPES[backend]
        pending = [p for p in plans if p.phase != "Succeeded"]
        if not pending:
            out.append(Condition(kind, True, "Succeeded", "; ".join(p.message for p in plans)))
            continue
        order = ("Blocked", "Failed", "Waiting", "Running")
        first = min(pending, key=lambda p: order.index(p.phase))
        message = "; ".join(f"{p.target.key}: {p.message}" for p in pending)
        out.append(Condition(kind, False, first.reason or first.phase, message))
    for backend in sorted(set(inputs.unconfigured_backends)):
        message = "spec.configure.enabled is false: backend objects are managed outside"
        out.append(Condition(CONDITION_TYPES[backend], True, "ConfigureDisabled", message))
    return out


def compute_conditions(inputs: StatusInputs) -> list[Condition]:
    """All conditions, ``Ready`` first."""
    if inputs.error is not None:
        reconciled = Condition("Reconciled", False, *inputs.error)
    elif inputs.paused:
        reconciled = Condition("Reconciled", False, "Paused", "reconciliation is paused")
    else:
        reconciled = Condition("Reconciled", True, "ReconcileSucceeded", "children are up to date")
    api = tier_condition("ApiAvailable", inputs.api, inputs.api_waiting)
    consumers = consumers_condition(inputs)
    configured = configured_conditions(inputs)
    paused = Condition(
        "Paused",
        inputs.paused,
        "Paused" if inputs.paused else "NotPaused",
        "spec.paused is true: the operator changes no children"
        if inputs.paused
        else "the operator reconciles this cluster",
    )
    gates = [*([] if inputs.paused else [reconciled]), *configured, api, consumers]
    blocking = next((c for c in gates if not c.status or c.reason == "RolloutInProgress"), None)
    if blocking is None:
        ready = Condition("Ready", True, "Ready", "all components are available and configured")
    else:
        ready = Condition("Ready", False, blocking.reason, f"{blocking.type}: {blocking.message}")
    update = [inputs.requires_update] if inputs.requires_update is not None else []
    return [ready, reconciled, api, consumers, *configured, *update, paused]


def to_status_conditions(
    conditions: Sequence[Condition], old: Sequence[Mapping[str, Any]], generation: int, now: str
) -> list[dict[str, Any]]:
    """Kubernetes condition dicts; ``lastTransitionTime`` kept unless the status flipped."""
    previous = {c.get("type"): c for c in old}
    out = []
    for cond in conditions:
        status = "True" if cond.status else "False"
        before = previous.get(cond.type)
        same = before is not None and before.get("status") == status
        since = before.get("lastTransitionTime") if same and before else None
        out.append(
            {
                "type": cond.type,
                "status": status,
                "reason": cond.reason,
                "message": cond.message[:1000],
                "observedGeneration": generation,
                "lastTransitionTime": since or now,
            }
        )
    return out


def replica_summary(rollouts: Iterable[Rollout | None]) -> str:
    present = [r for r in rollouts if r is not None]
    return f"{sum(r.ready for r in present)}/{sum(r.desired for r in present)}"


def compute_status(inputs: StatusInputs, old: Mapping[str, Any], now: str) -> dict[str, Any]:
    """The whole ``status`` block."""
    conditions = to_status_conditions(
        compute_conditions(inputs), old.get("conditions") or [], inputs.generation, now
    )
    status: dict[str, Any] = {
        "observedGeneration": inputs.generation,
        "conditions": conditions,
        "apiReplicas": replica_summary([inputs.api]),
        "consumerReplicas": replica_summary(inputs.consumers.values()),
    }
    if inputs.plans:
        status["configure"] = {p.target.key: p.record for p in inputs.plans}
    elif old.get("configure") and inputs.error is not None:
        status["configure"] = old["configure"]
    if inputs.operator is not None:
        status["operator"] = dict(inputs.operator)
    return status


def error_status(
    old: Mapping[str, Any], generation: int, reason: str, message: str, now: str
) -> dict[str, Any]:
    """Status when the reconcile stopped early: Reconciled/Ready false, the rest kept."""
    kept = [c for c in old.get("conditions") or [] if c.get("type") not in ("Ready", "Reconciled")]
    failed = [Condition(t, False, reason, message) for t in ("Ready", "Reconciled")]
    conditions = to_status_conditions(failed, old.get("conditions") or [], generation, now)
    return {**old, "observedGeneration": generation, "conditions": conditions + kept}
