"""The node protocol's constants: version, paths, headers.

Version 1 of the protocol lives under ``/internal/v1``; a node refuses requests without the
shared token (``Authorization: Bearer``) and answers its own shard only. Every request a
federating node sends carries the ``X-Heroic-Federated`` marker, so that even a peer address
that points at a public endpoint is answered locally and a federated query never fans out
again. Constants only.
"""

from __future__ import annotations

PROTOCOL_VERSION = 1
PREFIX = f"/internal/v{PROTOCOL_VERSION}"
METADATA_PATH = f"{PREFIX}/metadata"
QUERY_PATH = f"{PREFIX}/query"
#: ``POST {PREFIX}/metadata/<operation>``: the public ``/metadata/*`` operations, locally.
OPERATION_PATH = f"{PREFIX}/metadata/{{operation}}"

#: Set on every request a node sends to a peer: "answer from your own shard only".
FEDERATED_HEADER = "x-heroic-federated"
VERSION_HEADER = "x-heroic-node-protocol"
