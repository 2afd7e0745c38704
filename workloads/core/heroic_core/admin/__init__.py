"""Running nodes under control of ``heroic shell``: the node tasks (``pause``, ``resume``,
``ingestion-filter``, ``statistics``, ``refresh``), the Protocols a node implements for them,
and the admin endpoint (heroic.yml ``shellServer:``) a remote shell runs them through.

The nodes supply their controls; nothing here knows the API or the consumer pipeline."""
