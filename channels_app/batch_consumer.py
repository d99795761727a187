"""The loop every Kafka consumer of ours runs: join once the topic exists, poll batches,
hand each to ``handle_batch``, and ride out Kafka or a downstream store going away.

Commit discipline is the subclass's (``channels_app.bridge``, ``reporting.consumer``):
auto-commit is off and ``handle_batch`` commits only what is safely done, rewinding the
rest; this loop only retries. SIGTERM/SIGINT (through ``should_stop``) stop it after the
batch in hand.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from django.db import close_old_connections
from kafka import TopicPartition

from channels_app import kafka_io

log = logging.getLogger(__name__)

# The longest wait between two attempts while Kafka or the store behind it is away. The
# attempts cost nothing, and a longer wait is added in full to the recovery once they are
# back (measured with bench/chaos.py: 30 s made a 60 s Kafka outage cost 33 s more).
MAX_BACKOFF = 5.0


@dataclass
class BatchConsumer:
    """Subclasses set ``topic`` (logical name), ``client_id`` and ``group_id`` and implement
    ``handle_batch``; ``consumer_options`` go to ``kafka_io.new_consumer``."""

    topic: ClassVar[str] = ""
    client_id: ClassVar[str] = ""

    group_id: str = ""
    should_stop: Callable[[], bool] = lambda: False
    poll_timeout_ms: int = 1000

    def __post_init__(self) -> None:
        self.consumer: Any = None

    def consumer_options(self) -> dict[str, Any]:
        return {}

    def handle_batch(self, batch: dict[TopicPartition, list[Any]]) -> None:
        raise NotImplementedError

    def _sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end and not self.should_stop():
            time.sleep(0.1)

    def _connect(self) -> bool:
        """Join the group, retrying with back-off while Kafka is unreachable (e.g. at start-up).

        The topic's partitions must be known before subscribing: a consumer that joins
        its group before its metadata lists the topic is assigned nothing until the next
        metadata refresh, minutes later.
        """
        backoff = 0.5
        topic = kafka_io.physical_topic(self.topic)
        while not self.should_stop():
            try:
                consumer = kafka_io.new_consumer(group_id=self.group_id, client_id=self.client_id,
                                                 metadata_max_age_ms=30_000, **self.consumer_options())
                if consumer.partitions_for_topic(topic):
                    consumer.subscribe([topic])
                    self.consumer = consumer
                    return True
                consumer.close(autocommit=False)
                log.warning("topic %s does not exist yet (run manage.py create_kafka_topics)", topic)
            except Exception as exc:
                log.warning("%s cannot reach Kafka (%s: %s)", self.client_id, type(exc).__name__, exc)
            self._sleep(backoff)
            backoff = min(MAX_BACKOFF, backoff * 2)
        return False

    def poll(self) -> dict[TopicPartition, list[Any]]:
        return self.consumer.poll(timeout_ms=self.poll_timeout_ms)

    def run_loop(self) -> None:
        """Consume until asked to stop; never dies of a broker or database outage."""
        if not self._connect():
            return
        log.info("%s consuming %s in group %s", self.client_id, kafka_io.physical_topic(self.topic), self.group_id)
        backoff = 0.0
        try:
            while not self.should_stop():
                try:
                    batch = self.poll()
                except Exception as exc:  # the broker went away: wait for it
                    backoff = min(MAX_BACKOFF, max(0.5, backoff * 2))
                    log.warning("%s lost Kafka (%s: %s); retrying in %.1fs", self.client_id,
                                type(exc).__name__, exc, backoff)
                    self._sleep(backoff)
                    continue
                if not batch:
                    backoff = 0.0
                    continue
                close_old_connections()
                try:
                    self.handle_batch(batch)
                    backoff = 0.0
                except Exception as exc:
                    backoff = min(MAX_BACKOFF, max(0.5, backoff * 2))
                    log.warning("%s could not handle a batch (%s: %s); retrying in %.1fs", self.client_id,
                                type(exc).__name__, exc, backoff)
                    self._sleep(backoff)
        finally:
            if self.consumer is not None:
                self.consumer.close(autocommit=False)
