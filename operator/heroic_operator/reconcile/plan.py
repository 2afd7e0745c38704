"""Plan: from a ``Snapshot`` to everything one reconcile should write, as a pure function.

``plan_cluster`` decides the desired children (rendered heroic.yml gated by configure targets,
built objects), which of them differ from what is live, which an operator upgrade holds back,
which children are no longer desired, each configure target's Job step, the Events to post and
the status to store (with what the API sees of a federation, when it was read).
``plan_paused`` is the status-only plan of a paused cluster, ``plan_error`` the status of a
reconcile that stopped early. No API calls, no clock: ``snapshot.now`` is the time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from heroic_operator import naming, timestamps
from heroic_operator.configure.decide import JobContext, TargetPlan, plan_target
from heroic_operator.configure.gating import Gate, gate_components, immutable_change
from heroic_operator.desired.builders import BuildContext, build_all
from heroic_operator.desired.builders.jobs import build_configure_job
from heroic_operator.desired.components import Component, creates_topics, render_cluster
from heroic_operator.desired.diff import annotation, drifted_fields, is_subset, needs_apply
from heroic_operator.reconcile.federation_status import federation_status
from heroic_operator.reconcile.pruning import prune
from heroic_operator.reconcile.snapshot import Children, Object, Snapshot
from heroic_operator.reconcile.status import (
    Rollout,
    StatusInputs,
    compute_status,
    error_status,
    rollout_of,
)
from heroic_operator.reconcile.upgrade import Applied, Hold, plan_hold
from heroic_operator.spec import Cluster, ClusterRef

#: Kinds deleted when no longer desired (Jobs go by their TTL, never by pruning).
PRUNED_KINDS = (
    "PodMonitor",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "Deployment",
    "Service",
    "ConfigMap",
    "ServiceAccount",
)
#: Kinds applied before the others, so that pods never wait for their ServiceAccount or config.
FIRST_PHASE = frozenset({"ServiceAccount", "ConfigMap", "Service"})
#: How soon a cluster asking for an unavailable kind (a PodMonitor without its CRD) looks again.
UNAVAILABLE_RETRY_SECONDS = 60.0


@dataclass(frozen=True)
class Event:
    type: str  # Normal or Warning
    reason: str
    message: str


@dataclass(frozen=True)
class ChildWrite:
    """One child to apply, and the Event that says why (a rollout, a repaired drift)."""

    obj: Mapping[str, Any]
    event: Event | None = None


@dataclass(frozen=True)
class JobStep:
    """One configure target's writes, in order: delete Jobs (a retry), create one, report."""

    target: str
    delete: tuple[str, ...] = ()
    create: Mapping[str, Any] | None = None
    events: tuple[Event, ...] = ()
    #: Values of the ``heroic_operator_configure_jobs_total`` outcome label to count.
    outcomes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    """What one reconcile writes, in the order ``apply`` writes it."""

    first: tuple[ChildWrite, ...] = ()
    rest: tuple[ChildWrite, ...] = ()
    jobs: tuple[JobStep, ...] = ()
    #: Children no longer desired, as (kind, name).
    prune: tuple[tuple[str, str], ...] = ()
    #: The status to store, or ``None`` when the stored one is already this.
    status: Mapping[str, Any] | None = None
    #: Status fields the installed CRD cannot hold (left out of ``status``).
    unstorable: tuple[str, ...] = ()
    ready: bool = False
    held: int = 0
    requeue_after: float | None = None
    paused: bool = False
    #: The children as they will be after the writes (what the status was computed from).
    projected: Children = field(default_factory=Children)

    @property
    def writes(self) -> int:
        jobs = sum(len(s.delete) + (s.create is not None) for s in self.jobs)
        return len(self.first) + len(self.rest) + jobs + len(self.prune) + (self.status is not None)


# --- the cluster ------------------------------------------------------------------------------


def plan_cluster(snapshot: Snapshot, version: str) -> Plan:
    """Everything to write for ``snapshot.cluster`` (see the module docstring)."""
    cluster, children = snapshot.cluster, snapshot.children
    rendering = render_cluster(cluster)
    comps = list(rendering.components)
    live = live_config(cluster, children)
    targets = plan_targets(cluster, snapshot, rendering.targets, live)
    gate = gate_components(comps, {t.target.key: t for t in targets}, live)
    context = BuildContext(
        cluster,
        comps,
        gate.config_data,
        gate.deployable,
        snapshot.secret_hashes,
        configure_service_account=bool(targets),
    )
    desired, unavailable = usable(build_all(context), children)
    hold = plan_hold(
        desired,
        children,
        applied=Applied.from_status(cluster.status),
        version=version,
        generation=cluster.generation,
        accept=cluster.annotations.get(naming.ANNOTATION_ACCEPT_OPERATOR_UPGRADE),
    )
    writes = []
    for obj in desired:
        current = children.live(obj)
        if not hold.holds(obj) and needs_apply(obj, current):
            writes.append(child_write(obj, current))
    kept = {naming.fullname(cluster.name, c) for c in gate.waiting}
    projected = project(children, [w.obj for w in writes])
    inputs = status_inputs(
        cluster,
        comps,
        children=projected,
        gate=gate,
        plans=targets,
        hold=hold,
        error=unavailable,
    )
    status = compute_status(inputs, cluster.status, timestamps.seconds(snapshot.now))
    federation = federation_block(cluster, snapshot)
    if federation is not None:
        status["federation"] = federation
    requeues = [p.requeue_after for p in targets if p.requeue_after is not None]
    if unavailable is not None:
        requeues.append(UNAVAILABLE_RETRY_SECONDS)
    if snapshot.federation_due is not None:
        requeues.append(max(snapshot.federation_due, 1.0))
    return Plan(
        first=tuple(w for w in writes if w.obj["kind"] in FIRST_PHASE),
        rest=tuple(w for w in writes if w.obj["kind"] not in FIRST_PHASE),
        jobs=tuple(job_step(cluster, t) for t in targets),
        prune=prunable(cluster, desired, children, keep=kept),
        requeue_after=min(requeues) if requeues else None,
        held=len(hold.held),
        projected=projected,
        **status_writes(cluster, status, snapshot.status_schema),
    )


def plan_paused(snapshot: Snapshot) -> Plan:
    """Status only: conditions say paused; Configured conditions, the configure and operator
    records and the federation's last reading are kept."""
    cluster = snapshot.cluster
    inputs = status_inputs(
        cluster,
        list(render_cluster(cluster).components),
        children=snapshot.children,
        gate=Gate({}, frozenset(), {}),
        plans=(),
        paused=True,
    )
    status = compute_status(inputs, cluster.status, timestamps.seconds(snapshot.now))
    old = cluster.status.get("conditions") or []
    status["conditions"] += [c for c in old if kept_while_paused(str(c.get("type", "")))]
    for key in ("configure", "operator", "federation"):
        if key in cluster.status:
            status[key] = cluster.status[key]
    return Plan(paused=True, **status_writes(cluster, status, snapshot.status_schema))


def plan_error(ref: ClusterRef, reason: str, message: str, now: datetime) -> dict[str, Any] | None:
    """The status saying why a reconcile stopped, or ``None`` when it already says so."""
    status = error_status(ref.status, ref.generation, reason, message, timestamps.seconds(now))
    return None if normal(status) == normal(ref.status) else status


# --- pieces (pure, each unit-testable) ----------------------------------------------------


def federation_block(cluster: Cluster, snapshot: Snapshot) -> Mapping[str, Any] | None:
    """``status.federation``: from this pass's reading, else as stored; none without
    ``spec.federation`` (turning it off removes the block)."""
    spec = cluster.spec.federation
    if spec is None:
        return None
    if snapshot.federation is not None:
        return federation_status(spec, snapshot.federation)
    stored = cluster.status.get("federation")
    return stored if isinstance(stored, Mapping) else None


def status_writes(
    cluster: Cluster, status: dict[str, Any], schema: Object | None
) -> dict[str, Any]:
    """``ready``, the storable ``status`` (``None`` if unchanged) and what the CRD cannot hold."""
    ready = any(c["type"] == "Ready" and c["status"] == "True" for c in status["conditions"])
    removed: list[str] = []
    if schema is not None:
        status, removed = prune(status, schema)
    changed = normal(status) != normal(cluster.status)
    return {"ready": ready, "status": status if changed else None, "unstorable": tuple(removed)}


def plan_targets(
    cluster: Cluster, snapshot: Snapshot, targets: Sequence[Any], live: Mapping[str, str]
) -> list[TargetPlan]:
    """One Job decision per configure target."""
    records = cluster.status.get("configure") or {}
    nonce = cluster.annotations.get(naming.ANNOTATION_RETRY_CONFIGURE, "")
    jobs = snapshot.children.of_kind("Job").values()
    out = []
    for target in targets:
        mine = [
            j
            for j in jobs
            if (j["metadata"].get("labels") or {}).get(naming.LABEL_CONFIGURE_TARGET) == target.key
        ]
        pods = {
            j["metadata"]["name"]: snapshot.job_pods.get(j["metadata"]["name"], ()) for j in mine
        }
        out.append(
            plan_target(
                cluster.name,
                target,
                target.digest(cluster.spec.image, snapshot.secret_hashes),
                record=records.get(target.key) or {},
                context=JobContext(mine, pods),
                now=snapshot.now,
                retry_nonce=nonce,
                blocked=immutable_change(target, live),
            )
        )
    return out


def job_step(cluster: Cluster, plan: TargetPlan) -> JobStep:
    """The writes, Events and outcome counts of one target's decision."""
    key = plan.target.key
    old = (cluster.status.get("configure") or {}).get(key) or {}
    create = build_configure_job(cluster, plan) if plan.create_job else None
    events: list[Event] = []
    outcomes: list[str] = []
    if create is not None:
        outcomes.append("created")
        message = f"Created Job {plan.job_name} (heroic configure --only {plan.target.backend})"
        events.append(Event("Normal", "ConfigureJobCreated", message))
    if plan.finished_now and plan.phase == "Succeeded":
        outcomes.append("succeeded")
        events.append(Event("Normal", "ConfigureSucceeded", f"{key}: {plan.message}"))
    elif plan.finished_now and plan.phase == "Failed":
        outcomes.append(f"failed_{str(plan.record.get('failure', '')).lower()}")
        events.append(Event("Warning", "ConfigureFailed", f"{key}: {plan.message}"))
    elif plan.phase == "Blocked" and old.get("phase") != "Blocked":
        events.append(Event("Warning", "ImmutableFieldChanged", f"{key}: {plan.message}"))
    return JobStep(key, plan.delete_jobs, create, tuple(events), tuple(outcomes))


def rollout_reason(desired: Object, live: Object | None) -> str:
    """Why applying a Deployment rolls its pods (``""`` when it does not)."""
    if live is None or desired.get("kind") != "Deployment":
        return ""
    reasons = []
    for key, text in (
        (naming.ANNOTATION_CONFIG_HASH, "config"),
        (naming.ANNOTATION_SECRETS_HASH, "Secrets"),
    ):
        if annotation(desired, key, template=True) != annotation(live, key, template=True):
            reasons.append(text)
    return " and ".join(reasons)


def child_write(obj: Mapping[str, Any], live: Object | None) -> ChildWrite:
    """An apply of ``obj`` with its Event: a rollout, or a drift repaired (same desire, but the
    live object lost some of it)."""
    kind, name = obj["kind"], obj["metadata"]["name"]
    rolled = rollout_reason(obj, live)
    if rolled:
        message = f"Deployment {name} rolls out: {rolled} changed"
        return ChildWrite(obj, Event("Normal", "RollingOut", message))
    desired_hash = annotation(obj, naming.ANNOTATION_DESIRED_HASH)
    if live is not None and annotation(live, naming.ANNOTATION_DESIRED_HASH) == desired_hash:
        fields = ", ".join(drifted_fields(obj, live)[:5])
        return ChildWrite(
            obj, Event("Normal", "DriftRepaired", f"Re-applied {kind} {name} ({fields})")
        )
    return ChildWrite(obj)


def controlled_by(obj: Object, uid: str) -> bool:
    refs = (obj.get("metadata") or {}).get("ownerReferences") or []
    return any(r.get("uid") == uid and r.get("controller") for r in refs)


def prunable(
    cluster: Cluster,
    desired: Sequence[Object],
    children: Children,
    *,
    keep: set[str],
) -> tuple[tuple[str, str], ...]:
    """Children of the pruned kinds this cluster controls that are no longer desired (a
    Deployment waiting for its configure target is kept)."""
    wanted = {(o["kind"], o["metadata"]["name"]) for o in desired}
    out = []
    for kind in PRUNED_KINDS:
        for name, obj in children.of_kind(kind).items():
            if (kind, name) in wanted or (kind == "Deployment" and name in keep):
                continue
            if controlled_by(obj, cluster.uid):
                out.append((kind, name))
    return tuple(out)


def project(children: Children, applied: Sequence[Object]) -> Children:
    """The children as they will be once ``applied`` is written, for the status: a new
    Deployment exists with no ready replica yet; one whose spec changes starts a rollout (the
    API server bumps its generation); a metadata-only change rolls nothing."""
    objects = {kind: dict(by_name) for kind, by_name in children.objects.items()}
    for obj in applied:
        if obj["kind"] != "Deployment":
            continue
        name = obj["metadata"]["name"]
        live = children.get("Deployment", name)
        if live is None:
            new = {**obj, "metadata": {**obj["metadata"], "generation": 1}}
        elif not is_subset(obj.get("spec") or {}, live.get("spec") or {}):
            meta = live.get("metadata") or {}
            generation = int(meta.get("generation") or 0) + 1
            new = {**live, "spec": obj.get("spec"), "metadata": {**meta, "generation": generation}}
        else:
            continue
        objects.setdefault("Deployment", {})[name] = new
    return Children(objects, children.unavailable)


def usable(
    desired: list[dict[str, Any]], children: Children
) -> tuple[list[dict[str, Any]], tuple[str, str] | None]:
    """``desired`` without kinds this cluster cannot take, and the error to report for them."""
    dropped = sorted({o["kind"] for o in desired if o["kind"] in children.unavailable})
    if not dropped:
        return desired, None
    kind = dropped[0]
    message = (
        f"spec.monitoring.podMonitor.enabled is true, but {children.unavailable[kind]}; "
        "install prometheus-operator's CRDs (or grant the RBAC), or disable the PodMonitor. "
        "Everything else is reconciled."
    )
    kept = [o for o in desired if o["kind"] not in children.unavailable]
    return kept, (f"{kind}Unavailable", message)


def kept_while_paused(condition_type: str) -> bool:
    return condition_type.endswith("Configured") or condition_type == "RequiresUpdate"


def normal(value: Mapping[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def live_config(cluster: Cluster, children: Children) -> dict[str, str]:
    config_map = children.get("ConfigMap", naming.config_map_name(cluster.name)) or {}
    return dict(config_map.get("data") or {})


def rollout(cluster: Cluster, children: Children, component: str) -> Rollout | None:
    deployment = children.get("Deployment", naming.fullname(cluster.name, component))
    return rollout_of(deployment) if deployment is not None else None


def status_inputs(
    cluster: Cluster,
    comps: Sequence[Component],
    *,
    children: Children,
    gate: Gate,
    plans: Sequence[TargetPlan],
    paused: bool = False,
    hold: Hold | None = None,
    error: tuple[str, str] | None = None,
) -> StatusInputs:
    groups = [c for c in comps if c.group is not None]
    unconfigured: list[str] = []
    if not cluster.spec.configure.enabled:
        unconfigured = backends_in_use(cluster)
    return StatusInputs(
        generation=cluster.generation,
        paused=paused,
        error=error,
        api=rollout(cluster, children, naming.COMPONENT_API),
        api_waiting=gate.waiting.get(naming.COMPONENT_API, ()),
        consumers={c.group.name: rollout(cluster, children, c.name) for c in groups if c.group},
        consumers_waiting={
            c.group.name: gate.waiting[c.name] for c in groups if c.group and c.name in gate.waiting
        },
        plans=plans,
        unconfigured_backends=unconfigured,
        requires_update=hold.condition(cluster.name) if hold is not None else None,
        operator=(
            hold.record(cluster.generation, settled=not gate.waiting) if hold is not None else None
        ),
    )


def backends_in_use(cluster: Cluster) -> list[str]:
    backends = cluster.spec.backends
    out: list[str] = [backends.metrics.type] if backends.metrics.type != "memory" else []
    if "elasticsearch" in (backends.metadata.type, backends.suggest.type):
        out.append("elasticsearch")
    if any(g.source.pubsub is not None for g in cluster.spec.consumers):
        out.append("pubsub")
    if any(creates_topics(g) for g in cluster.spec.consumers):
        out.append("kafka")
    return out
