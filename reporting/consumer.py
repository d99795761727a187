"""The metrics consumer: reads ``fte.metrics`` in its own consumer group and keeps the rollups.

The loop is ``channels_app.batch_consumer``'s; the commit discipline as in
``channels_app.bridge`` (after Sentry's batching consumer): auto-commit off; a batch's offsets are committed only after its events were applied (or a poison record
dead-lettered). A failure seeks every partition back to its first uncommitted record and the
batch comes again; applying is idempotent per event, so redelivery costs a little work and
never counts twice. SIGTERM/SIGINT stop it after the batch in hand.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.conf import settings
from kafka import OffsetAndMetadata, TopicPartition

from channels_app import kafka_io
from channels_app.batch_consumer import BatchConsumer
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
class MetricsConsumer(BatchConsumer):
    topic: ClassVar[str] = Topic.METRICS
    client_id: ClassVar[str] = "fte-metrics"

    group_id: str = field(default_factory=lambda: settings.KAFKA_METRICS_CONSUMER_GROUP)
    max_records: int = 500
    stats: ConsumerStats = field(default_factory=ConsumerStats)

    def consumer_options(self) -> dict[str, Any]:
        return {"max_poll_records": self.max_records}

    def poll(self) -> dict[TopicPartition, list[Any]]:
        return self.consumer.poll(timeout_ms=self.poll_timeout_ms, max_records=self.max_records)

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
        try:
            self.run_loop()
        finally:
            log.info("metrics consumer stopped: %s", self.stats)
        return self.stats
