"""Bigtable metric backend (reference 8.1): row keys in ``rowkey``, the store in ``backend``.

This package imports no client library at import time; ``heroic_core.backends.factory`` imports
``backend`` lazily so that memory-only nodes need no google-cloud packages.
"""
