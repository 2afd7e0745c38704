"""Consumer settings that are accepted but have no effect as written, named with their path.

The consumer node logs each at start (``ConsumerNode``), so a setting never does nothing
silently. Settings that cannot work at all are refused by the config model instead
(``threadsPerTopic`` above 1). Pure: reads the config, returns ``(path, message)`` pairs.
"""

from __future__ import annotations

from heroic_core.config import HeroicConfig, KafkaConsumerConfig

_ANSWERS_NO_QUERIES = "has no effect on a consumer node, which answers no queries"


def ineffective_settings(config: HeroicConfig) -> list[tuple[str, str]]:
    """``(path, why)`` for every consumer setting that has no effect as configured."""
    out: list[tuple[str, str]] = []
    for index, consumer in enumerate(config.consumers):
        path = f"consumers[{index}]"
        if (
            isinstance(consumer, KafkaConsumerConfig)
            and "transaction_commit_interval" in consumer.model_fields_set
            and not consumer.transactional
        ):
            out.append(
                (
                    f"{path}.transactionCommitInterval",
                    "has no effect without transactional: true (offsets are then committed "
                    "after every written batch)",
                )
            )
    # A heroic.yml shared by every node carries the API's sections; say they do nothing here.
    if config.cache.type != "noop":
        out.append(("cache", _ANSWERS_NO_QUERIES))
    if config.query_logging is not None:
        out.append(("queryLogging", _ANSWERS_NO_QUERIES))
    if config.tracing is not None:
        out.append(("tracing", "has no effect: the consumer node does not trace"))
    return out
