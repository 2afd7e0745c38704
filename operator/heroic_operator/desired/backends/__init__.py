"""One render step per backend family: its heroic.yml section and the Secrets it needs, together.

``metrics`` (Bigtable, Cassandra, memory), ``search`` (the metadata and suggest backends:
Elasticsearch or memory) and ``sources`` (a consumer group's Kafka or Pub/Sub input). Each
returns a ``render.Section``; ``components`` assembles them into files. Pure.
"""
