"""The consumer node: reads Kafka or Pub/Sub, decodes upstream's message schemas and performs the
configured writes (metric, metadata, suggest) with at-least-once delivery.

Entry point: ``heroic consumer`` (``heroic_consumer.cli``). This package imports ``heroic_core``
only, never the API node or the operator.
"""
