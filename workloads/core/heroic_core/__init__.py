"""Shared core of the Python Heroic: data model, filters, HQL, aggregations, config, backends.

This package imports no other package of ours; the API node, the consumer node and the
operator build on it.
"""
