"""An operator upgrade does not restart Heroic pods behind the SRE's back.

A new operator version may render children differently (a new probe, label or heroic.yml
default). Applied at once, that would roll every Deployment of every cluster the operator
manages, all at the same moment. So, as cass-operator does, when the spec has not changed since
an earlier operator version last applied it, the children that restart pods (the ConfigMap and
the Deployments) keep what they have, and ``RequiresUpdate=True`` names them and says how to
release them. Everything else (Services, budgets, autoscalers, drift of unchanged children,
configure Jobs) is reconciled as usual.

Released by a spec change (a new generation rolls anyway), by a changed referenced Secret (the
pods roll anyway), or by the annotation ``heroic.dev/accept-operator-upgrade`` set to the new
version or to ``always``. ``status.operator`` records the version and generation the children
were last fully applied with; a cluster without that record (new, or applied by a version that
did not record it) is never held. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from heroic_operator import naming
from heroic_operator.desired.diff import annotation
from heroic_operator.reconcile.snapshot import Children
from heroic_operator.reconcile.status import Condition

HELD_KINDS = ("ConfigMap", "Deployment")
ACCEPT_ALWAYS = "always"
CONDITION = "RequiresUpdate"
DISTRIBUTION = "heroic-on-kubernetes"


def operator_version() -> str:
    """This operator's version (the installed distribution's)."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "0+unknown"


@dataclass(frozen=True)
class Applied:
    """The operator version that last applied every child, and the generation it applied."""

    version: str
    generation: int

    @classmethod
    def from_status(cls, status: Mapping[str, Any]) -> Applied | None:
        record = status.get("operator")
        if not isinstance(record, Mapping):
            return None
        version, generation = record.get("version"), record.get("generation")
        if not isinstance(version, str) or not isinstance(generation, int):
            return None
        return cls(version, generation)

    def record(self) -> dict[str, Any]:
        return {"version": self.version, "generation": self.generation}


@dataclass(frozen=True)
class Hold:
    """Which children are held back, and what to record in ``status.operator``."""

    held: tuple[tuple[str, str], ...]
    previous: Applied | None
    version: str

    def holds(self, obj: Mapping[str, Any]) -> bool:
        return (obj["kind"], obj["metadata"]["name"]) in self.held

    def condition(self, cluster: str) -> Condition:
        if not self.held or self.previous is None:
            message = f"children match operator {self.version}"
            return Condition(CONDITION, False, "UpToDate", message)
        names = ", ".join(f"{kind} {name}" for kind, name in self.held)
        return Condition(
            CONDITION,
            True,
            "OperatorUpgraded",
            f"operator {self.version} renders {names} differently from operator "
            f"{self.previous.version}, which applied generation {self.previous.generation}; "
            "they are held so that the upgrade restarts no pods. They roll at the next spec "
            f"change, or now with: kubectl annotate heroiccluster/{cluster} "
            f"{naming.ANNOTATION_ACCEPT_OPERATOR_UPGRADE}={self.version}",
        )

    def record(self, generation: int, settled: bool) -> dict[str, Any] | None:
        """``status.operator`` after this pass: moved on only when every child was applied
        for this generation (nothing held, nothing waiting for a configure Job)."""
        if settled and not self.held:
            return Applied(self.version, generation).record()
        return self.previous.record() if self.previous is not None else None


def _secrets_changed(desired: Sequence[Mapping[str, Any]], observed: Children) -> bool:
    key = naming.ANNOTATION_SECRETS_HASH
    for obj in desired:
        live = observed.live(obj)
        if (
            obj["kind"] == "Deployment"
            and live is not None
            and annotation(obj, key, template=True) != annotation(live, key, template=True)
        ):
            return True
    return False


def plan_hold(
    desired: Sequence[Mapping[str, Any]],
    observed: Children,
    *,
    applied: Applied | None,
    version: str,
    generation: int,
    accept: str | None,
) -> Hold:
    """The children to hold back in this pass (none unless only the operator changed)."""
    free = Hold((), applied, version)
    if applied is None or applied.version == version or applied.generation != generation:
        return free
    if accept in (version, ACCEPT_ALWAYS) or _secrets_changed(desired, observed):
        return free
    held = []
    for obj in desired:
        kind, name = obj["kind"], obj["metadata"]["name"]
        live = observed.get(kind, name)
        if kind not in HELD_KINDS or live is None:
            continue
        key = naming.ANNOTATION_DESIRED_HASH
        if annotation(obj, key) != annotation(live, key):
            held.append((kind, name))
    return Hold(tuple(sorted(held)), applied, version)
