"""Elasticsearch metadata and suggest backends (reference 9): index names in ``indices``,
templates in ``mappings``, documents in ``documents``, query bodies in ``queries``, the client
in ``client``, the stores in ``metadata`` and ``suggest``.

Importing this package loads no client library; ``heroic_core.backends.factory`` imports the
backend modules lazily so that memory-only nodes do not need the ``elasticsearch`` package.
"""
