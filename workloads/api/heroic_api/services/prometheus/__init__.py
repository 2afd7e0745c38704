"""The Prometheus HTTP API of the API node: query parameters, the storage PromQL reads through
(metadata and metric backends), response shapes, errors, and remote write."""
