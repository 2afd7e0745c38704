"""The whole HeroicCluster resource as the CRD declares it: identity fields, ``spec``,
``status``, the rule on its name and the columns ``kubectl get`` prints.

Only the CRD generator reads this model; the operator parses bodies with ``parse_cluster``.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import ConfigDict, WithJsonSchema

from heroic_operator.spec.cluster import HeroicClusterSpec
from heroic_operator.spec.common import SpecModel
from heroic_operator.spec.markers import rule, validations
from heroic_operator.spec.status import HeroicClusterStatus

#: ``metadata`` is the API server's (ObjectMeta): the CRD only says it is an object.
ObjectMeta = Annotated[dict[str, Any], WithJsonSchema({"type": "object"})]

NAME_RULE = rule(
    "self.metadata.name.size() <= 30 && self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",
    "metadata.name must be at most 30 characters, start with a letter and contain only "
    "lowercase letters, digits and '-' (it prefixes the names of Services and Deployments)",
)

_READY = '.status.conditions[?(@.type=="Ready")]'


class HeroicCluster(SpecModel):
    """A Heroic time series database deployment: API tier, consumer groups, backends and their
    one-shot configure Jobs, reconciled by the Heroic operator."""

    model_config = ConfigDict(json_schema_extra=validations(NAME_RULE))

    #: ``additionalPrinterColumns`` of the CRD version.
    printer_columns: ClassVar[tuple[dict[str, Any], ...]] = (
        {"name": "Ready", "type": "string", "jsonPath": f"{_READY}.status"},
        {"name": "Reason", "type": "string", "jsonPath": f"{_READY}.reason"},
        {
            "name": "API",
            "type": "string",
            "jsonPath": ".status.apiReplicas",
            "description": "ready/desired API replicas",
        },
        {
            "name": "Consumers",
            "type": "string",
            "jsonPath": ".status.consumerReplicas",
            "description": "ready/desired consumer replicas over all groups",
        },
        {
            "name": "Shards",
            "type": "string",
            "jsonPath": ".status.federation.summary",
            "description": "shards the API sees (spec.federation)",
        },
        {"name": "Paused", "type": "boolean", "jsonPath": ".spec.paused", "priority": 1},
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
    )

    api_version: str | None = None
    kind: str | None = None
    metadata: ObjectMeta | None = None
    spec: HeroicClusterSpec
    status: HeroicClusterStatus | None = None
