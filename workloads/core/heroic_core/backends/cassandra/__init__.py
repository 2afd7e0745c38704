"""Cassandra (``type: datastax``) metric backend (reference 8.2): keys in ``keys``, CQL in
``schema``, the store in ``backend``.

Importing this package loads no driver; ``heroic_core.backends.factory`` imports ``backend``
lazily so that memory-only nodes do not need cassandra-driver.
"""
