"""PromQL on Heroic: the name mapping between Heroic series and Prometheus label sets, and
an evaluator of parsed PromQL (``promql-parser``) over series that a storage hands it.

Pure: no HTTP and no backend calls. The API node (``heroic_api.prometheus``) supplies the
storage (metadata and metric backends) and the HTTP shapes.
"""
