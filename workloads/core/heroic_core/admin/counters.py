"""Counters for the ``statistics`` task, read from a node's Prometheus registry: the samples of
one consumer, one backend or the whole node, named without the node's prefix. Reads only."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from prometheus_client import CollectorRegistry

from heroic_core.admin.control import Counters

#: Samples a person reading ``statistics`` does not want: histogram buckets and the creation
#: time prometheus_client adds to every counter.
_SKIPPED_SUFFIXES = ("_bucket", "_created")


def registry_counters(
    registry: CollectorRegistry,
    prefix: str,
    *,
    select: Mapping[str, str] | None = None,
    names: Collection[str] | None = None,
) -> Counters:
    """The samples of ``registry`` as ``name{label=value,...}`` -> value.

    ``prefix`` (``heroic_consumer_``) and a counter's ``_total`` are left out of names.
    ``select`` keeps only samples with those label values, and leaves those labels out of the
    name; ``names`` keeps only those metrics (names without prefix).
    """
    select = select or {}
    out: Counters = {}
    for metric in registry.collect():
        for sample in metric.samples:
            if sample.name.endswith(_SKIPPED_SUFFIXES):
                continue
            if any(sample.labels.get(k) != v for k, v in select.items()):
                continue
            name = sample.name.removeprefix(prefix).removesuffix("_total")
            base = metric.name.removeprefix(prefix)
            if names is not None and base not in names:
                continue
            labels = ",".join(
                f"{k}={v}" for k, v in sorted(sample.labels.items()) if k not in select
            )
            out[f"{name}{{{labels}}}" if labels else name] = sample.value
    return out
