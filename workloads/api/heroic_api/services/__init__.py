"""Logic of the API node: query engine, writes, metadata/suggest, status.

Services work on domain values (``Series``, ``Filter``, ``DateRange``) and backend Protocols; they
must not import FastAPI or Starlette, and return JSON-ready dicts shaped like upstream's bodies.
"""
