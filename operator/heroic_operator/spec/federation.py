"""``spec.federation``: the HeroicCluster as one shard of a federation (Heroic's cluster mode):
its shard tags, the node-protocol token, its peers, and what its queries expect of them.

The operator renders it into the API pods' heroic.yml ``cluster`` section
(``desired/federation.py``) and a headless Service through which the cluster's own API pods
find each other by DNS SRV; ``spec.config.cluster`` is refused beside it (``spec/cluster.py``).
Pure data.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from heroic_operator.spec.api import DURATION
from heroic_operator.spec.common import SecretKeyRef, SpecModel
from heroic_operator.spec.markers import rule, validations

#: A shard: tag name to value, as Heroic's ``cluster.tags``.
ShardTags = Annotated[
    dict[str, Annotated[str, StringConstraints(max_length=253)]],
    Field(min_length=1, max_length=16),
]
#: ``http(s)://host[:port]``: one node, or a front (ingress, load balancer) of a site.
PEER_URL = r"^https?://[^/\s?#]+$"
#: ``_service._proto.name``, as DNS SRV records are named.
SRV_NAME = r"^_[A-Za-z0-9-]+\._(tcp|udp)\.[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?\.?$"
DNS_NAME = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"

ONE_PEER_KIND = "set exactly one of url, srv and heroicCluster in a peer"
SRV_ONLY = "protocol and port apply to srv peers only"


class HeroicClusterPeer(SpecModel):
    """Another federated HeroicCluster in this Kubernetes cluster"""

    name: str = Field(min_length=1, max_length=30, pattern=DNS_LABEL)
    """Its name"""
    namespace: str | None = Field(default=None, max_length=63, pattern=DNS_LABEL)
    """Its namespace (default: this cluster's)"""


class FederationPeer(SpecModel):
    """A peer site: a node's address, a DNS SRV record naming a site's nodes, or another
    federated HeroicCluster in this Kubernetes cluster (found by its API pods' SRV record)"""

    model_config = ConfigDict(
        json_schema_extra=validations(
            rule(
                "(has(self.url) ? 1 : 0) + (has(self.srv) ? 1 : 0) + "
                "(has(self.heroicCluster) ? 1 : 0) == 1",
                ONE_PEER_KIND,
            ),
            rule(
                "has(self.srv) || !(has(self.protocol) || has(self.port))",
                SRV_ONLY,
                reason="FieldValueForbidden",
            ),
        )
    )

    url: str | None = Field(default=None, pattern=PEER_URL, max_length=512)
    """http(s)://host[:port] of a node (or of a front that reaches a site's nodes)"""
    srv: str | None = Field(default=None, pattern=SRV_NAME, max_length=253)
    """DNS SRV record naming a site's nodes, e.g.
    _http._tcp.sto-heroic-api-nodes.heroic.svc.cluster.local"""
    protocol: Literal["http", "https"] | None = None
    """Scheme of the srv record's targets (default http)"""
    port: int | None = Field(default=None, ge=1, le=65535)
    """Port of the srv record's targets (default: the record's)"""
    heroic_cluster: HeroicClusterPeer | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> FederationPeer:
        if sum(x is not None for x in (self.url, self.srv, self.heroic_cluster)) != 1:
            raise ValueError(ONE_PEER_KIND)
        if self.srv is None and (self.protocol is not None or self.port is not None):
            raise ValueError(SRV_ONLY)
        return self


class FederationSpec(SpecModel):
    """This cluster as one shard of a federation (Heroic's cluster mode): its API pods send
    every query to one node of each shard they find (their own pods, through a headless
    Service's SRV record, and the peers) and combine the answers"""

    tags: ShardTags
    """This cluster's shard, e.g. {site: lon}: nodes with the same tags hold the same data (a
    tag named darkload makes a shard that is queried but whose answers are ignored)"""
    token_secret_ref: SecretKeyRef
    """The node-protocol token (a shared secret every federated site presents as its Bearer
    token; the same in every site)"""
    peers: list[FederationPeer] = Field(default_factory=list, max_length=64)
    """Other sites"""
    topology: list[ShardTags] | None = Field(default=None, max_length=64)
    """Shards that must answer: one with no node found is a shard error in the answer"""
    use_local: bool = True
    """Answer this cluster's own shard in the API process that received the query"""
    timeout: str = Field(default="30s", pattern=DURATION)
    """How long one shard may take to answer, retries included"""
    connect_timeout: str = Field(default="5s", pattern=DURATION)
    """Connecting to a node"""
    max_concurrent_requests: int = Field(default=32, ge=1, le=1024)
    """Requests in flight to one node"""
    refresh_interval: str = Field(default="1m", pattern=DURATION)
    """How often the API pods look for nodes again"""
    ca_secret_ref: SecretKeyRef | None = None
    """PEM CA bundle that signed https peers' certificates (default: the image's trust store)"""
    cluster_domain: str = Field(default="cluster.local", max_length=253, pattern=DNS_NAME)
    """The Kubernetes cluster's DNS domain (SRV records of this cluster's and heroicCluster
    peers' API pods end in svc.<clusterDomain>)"""
