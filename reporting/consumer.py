"""The metrics consumer: reads ``fte.metrics`` in its own consumer group and keeps the rollups.

Commit discipline as in ``channels_app.bridge`` (after Sentry's batching consumer): auto-commit
off; a batch's offsets are committed only after its events were applied (or a poison record
dead-lettered). A failure seeks every partition back to its first uncommitted record and the
batch comes again; applying is idempotent per event, so redelivery costs a little work and
never counts twice. SIGTERM/SIGINT stop it after the batch in hand.
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import close_old_connections
from kafka import OffsetAndMetadata, TopicPartition

from channels_app import kafka_io
from crm.events import Topic
from reporting.metrics_events import PoisonEvent, event_key, metrics_events_apply

log = logging.getLogger(__name__)


@dataclass
class ConsumerStats:
    applied: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    batches: int = 0


def _decode(raw: bytes | None) -> Any:
    try:
        return json.loads(raw or b"")
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise PoisonEvent(f"not JSON: {exc}") from None


@dataclass
class MetricsConsumer:
    group_id: str = field(default_factory=lambda: settings.KAFKA_METRICS_CONSUMER_GROUP)
    should_stop: Callable[[], bool] = lambda: False
    poll_timeout_ms: int = 1000
    max_records: int = 500
    stats: ConsumerStats = field(default_factory=ConsumerStats)

    def __post_init__(self) -> None:
        self.consumer: Any = None

    def _sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end and not self.should_stop():
            time.sleep(0.1)

    def _connect(self) -> bool:
        """Join the group once the topic exists, retrying with back-off while Kafka is unreachable."""
        backoff = 0.5
        topic = kafka_io.physical_topic(Topic.METRICS)
        while not self.should_stop():
            try:
                consumer = kafka_io.new_consumer(group_id=self.group_id, client_id="fte-metrics",
                                                 metadata_max_age_ms=30_000, max_poll_records=self.max_records)
                if consumer.partitions_for_topic(topic):
                    consumer.subscribe([topic])
                    self.consumer = consumer
                    return True
                consumer.close(autocommit=False)
                log.warning("topic %s does not exist yet (run manage.py create_kafka_topics)", topic)
            except Exception as exc:
                log.warning("metrics consumer cannot reach Kafka (%s: %s)", type(exc).__name__, exc)
            self._sleep(backoff)
            backoff = min(30.0, backoff * 2)
        return False

    def _dead_letter(self, record: Any, error: str) -> None:
        try:
            value: Any = json.loads(record.value or b"")
        except (ValueError, UnicodeDecodeError, RecursionError):
            value = (record.value or b"").decode("utf-8", errors="replace")
        key = record.key.decode() if record.key else ""
        kafka_io.publish(Topic.DLQ, key=key, value=kafka_io.dlq_record(
            stage="metrics", error=error, source_topic=Topic.METRICS, partition=record.partition,
            offset=record.offset, key=key or None, value=value))
        self.stats.dead_lettered += 1
        log.warning("metrics record %s/%s offset %s sent to the DLQ: %s", record.topic, record.partition,
                    record.offset, error)

    def handle_batch(self, batch: dict[TopicPartition, list[Any]]) -> None:
        """Apply every good event of the batch at once, dead-letter the poison ones, then commit."""
        try:
            events = []
            for records in batch.values():
                for record in records:
                    try:
                        event = _decode(record.value)
                        event_key(event)
                    except PoisonEvent as poison:
                        self._dead_letter(record, str(poison))
                        continue
                    events.append(event)
            result = metrics_events_apply(events=events)
        except Exception:
            for tp, records in batch.items():
                if records:
                    self.consumer.seek(tp, records[0].offset)
            raise
        self.stats.applied += result.applied
        self.stats.duplicates += result.duplicates
        self.consumer.commit(offsets={tp: OffsetAndMetadata(records[-1].offset + 1, "", -1)
                                      for tp, records in batch.items() if records})
        self.stats.batches += 1

    def run(self) -> ConsumerStats:
        if not self._connect():
            return self.stats
        log.info("metrics consumer reading %s in group %s", kafka_io.physical_topic(Topic.METRICS), self.group_id)
        backoff = 0.0
        try:
            while not self.should_stop():
                try:
                    batch = self.consumer.poll(timeout_ms=self.poll_timeout_ms, max_records=self.max_records)
                except Exception as exc:  # the broker went away: wait for it, never die
                    backoff = min(30.0, max(0.5, backoff * 2))
                    log.warning("metrics consumer lost Kafka (%s: %s); retrying in %.1fs",
                                type(exc).__name__, exc, backoff)
                    self._sleep(backoff)
                    continue
                if not batch:
                    continue
                close_old_connections()
                try:
                    self.handle_batch(batch)
                    backoff = 0.0
                except Exception as exc:
                    backoff = min(30.0, max(0.5, backoff * 2))
                    log.warning("metrics consumer could not apply a batch (%s: %s); retrying in %.1fs",
                                type(exc).__name__, exc, backoff)
                    self._sleep(backoff)
        finally:
            if self.consumer is not None:
                self.consumer.close(autocommit=False)
            log.info("metrics consumer stopped: %s", self.stats)
        return self.stats
