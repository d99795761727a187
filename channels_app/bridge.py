"""The Kafka → Celery bridge: consumes ``fte.tickets.incoming`` and queues the agent.

Commit discipline (after Sentry's batching consumer): auto-commit is off, and a
partition's offset is committed only after every record before it was either
enqueued in Celery or written to the DLQ. A crash anywhere in between redelivers
records (the task's claim makes that harmless); nothing is ever skipped. A record
that can never succeed (unparseable, or naming a message that does not exist) goes
to ``fte.dlq`` instead of blocking its partition forever.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.conf import settings
from kafka import OffsetAndMetadata, TopicPartition

from channels_app import kafka_io
from channels_app.batch_consumer import BatchConsumer
from channels_app.enqueue import enqueue_inbound
from crm.events import Topic
from crm.models import Message

log = logging.getLogger(__name__)


class PoisonRecord(ValueError):
    """A record that no retry can fix."""


def parse_incoming(raw: bytes | None) -> int:
    """The message id an incoming record names, or PoisonRecord."""
    try:
        payload = json.loads(raw or b"")
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise PoisonRecord(f"not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise PoisonRecord("not a JSON object")
    message_id = payload.get("message_id")
    if not isinstance(message_id, int) or isinstance(message_id, bool) or message_id <= 0:
        raise PoisonRecord(f"message_id missing or not a positive integer: {message_id!r}")
    if not Message.objects.filter(pk=message_id, direction="inbound").exists():
        raise PoisonRecord(f"message {message_id} does not exist")
    return message_id


def _decode(raw: bytes | None) -> Any:
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return raw.decode("utf-8", errors="replace")


@dataclass
class BridgeStats:
    enqueued: int = 0
    dead_lettered: int = 0
    batches: int = 0


@dataclass
class Bridge(BatchConsumer):
    topic: ClassVar[str] = Topic.TICKETS_INCOMING
    client_id: ClassVar[str] = "fte-bridge"

    group_id: str = field(default_factory=lambda: settings.KAFKA_CONSUMER_GROUP)
    stats: BridgeStats = field(default_factory=BridgeStats)
    enqueue: Callable[[int], None] = enqueue_inbound

    def _dead_letter(self, record: Any, error: str) -> None:
        kafka_io.publish(
            Topic.DLQ,
            key=record.key.decode() if record.key else "",
            value=kafka_io.dlq_record(
                stage="bridge", error=error, source_topic=Topic.TICKETS_INCOMING, partition=record.partition,
                offset=record.offset, key=record.key.decode() if record.key else None, value=_decode(record.value),
            ),
        )
        self.stats.dead_lettered += 1
        log.warning("record %s/%s offset %s sent to the DLQ: %s", record.topic, record.partition,
                    record.offset, error)

    def handle_batch(self, batch: dict[TopicPartition, list[Any]]) -> None:
        """Enqueue or dead-letter each record; commit what is done; rewind what is not."""
        done: dict[TopicPartition, OffsetAndMetadata] = {}
        failure: Exception | None = None
        for tp, records in batch.items():
            for record in records:
                try:
                    try:
                        message_id = parse_incoming(record.value)
                    except PoisonRecord as poison:
                        self._dead_letter(record, str(poison))
                    else:
                        self.enqueue(message_id)
                        self.stats.enqueued += 1
                except Exception as exc:  # broker or Kafka trouble: retry this record later
                    failure = exc
                    self.consumer.seek(tp, record.offset)
                    break
                done[tp] = OffsetAndMetadata(record.offset + 1, "", -1)
        if done:
            self.consumer.commit(offsets=done)
        self.stats.batches += 1
        if failure is not None:
            raise failure

    def run(self) -> BridgeStats:
        try:
            self.run_loop()
        finally:
            log.info("bridge stopped: %s", self.stats)
        return self.stats


def consumer_lag(*, group_id: str | None = None) -> dict[str, Any]:
    """How far the bridge's group is behind on the incoming topic, per partition."""

    group_id = group_id or settings.KAFKA_CONSUMER_GROUP
    topic = kafka_io.physical_topic(Topic.TICKETS_INCOMING)
    admin = kafka_io.new_admin("fte-health",
                             request_timeout_ms=3000)
    consumer = kafka_io.new_consumer(group_id=None, client_id="fte-health", request_timeout_ms=3000,
                                     consumer_timeout_ms=1000)
    try:
        committed = admin.list_group_offsets(group_id).get(group_id, {})  # {group: {partition: offset}}
        partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        ends = consumer.end_offsets(tps) if tps else {}
        per_partition = {}
        total = 0
        for tp in tps:
            meta = committed.get(tp)
            position = meta.offset if meta is not None and meta.offset >= 0 else 0
            lag = max(0, ends.get(tp, 0) - position)
            per_partition[str(tp.partition)] = lag
            total += lag
        return {"group": group_id, "total": total, "partitions": per_partition}
    finally:
        consumer.close()
        admin.close()


def topic_records(topic: str) -> int:
    """How many records a topic holds within its retention (the sum of its partitions' offsets)."""
    physical = kafka_io.physical_topic(topic)
    consumer = kafka_io.new_consumer(group_id=None, client_id="fte-health", request_timeout_ms=3000,
                                     consumer_timeout_ms=1000)
    try:
        tps = [TopicPartition(physical, p) for p in sorted(consumer.partitions_for_topic(physical) or set())]
        if not tps:
            return 0
        starts, ends = consumer.beginning_offsets(tps), consumer.end_offsets(tps)
        return sum(max(0, ends[tp] - starts[tp]) for tp in tps)
    finally:
        consumer.close()
