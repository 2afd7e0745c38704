"""OpenTelemetry tracing of the API node: the tracer (``setup``), the request span
(``middleware``) and the query's spans with the response's trace tree (``spans``)."""
