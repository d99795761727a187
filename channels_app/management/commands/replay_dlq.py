"""Re-drive dead-lettered records: all of them, or those matching filters.

Task failures (stage "task") put their message back in the queue and enqueue it
again; bridge failures (stage "bridge") are re-published to the topic they came from.
Replaying is safe to repeat: a message already processed is not processed twice.
Without Kafka, failed messages are read from the database instead.
"""
from __future__ import annotations

import json
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from kafka import TopicPartition

from channels_app import kafka_io
from channels_app.enqueue import enqueue_inbound
from crm import services
from crm.events import Topic
from crm.models import Message, ProcessingState


class Command(BaseCommand):
    help = "Replay records from fte.dlq (all, or filtered by --stage, --message-id, --error, --since)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--stage", choices=["task", "bridge"], help="Only records that failed at this stage.")
        parser.add_argument("--message-id", type=int, action="append", help="Only this message (repeatable).")
        parser.add_argument("--error", help="Only records whose error contains this text.")
        parser.add_argument("--since", help="Only records that failed at or after this ISO time.")
        parser.add_argument("--dry-run", action="store_true", help="List what would be replayed.")

    def handle(self, *args, **opts) -> None:  # type: ignore[no-untyped-def]
        since = None
        if opts["since"]:
            try:
                since = datetime.fromisoformat(opts["since"])
            except ValueError:
                raise CommandError(f"--since {opts['since']!r} is not an ISO date/time") from None
        records = self._from_kafka() if kafka_io.kafka_enabled() else self._from_database()
        replayed = skipped = 0
        for record in records:
            if not self._matches(record, opts, since):
                skipped += 1
                continue
            label = f"{record.get('stage')} message={record.get('message_id')} error={record.get('error', '')[:80]!r}"
            if opts["dry_run"]:
                self.stdout.write(f"would replay: {label}")
            else:
                self._replay(record)
                self.stdout.write(f"replayed: {label}")
            replayed += 1
        self.stdout.write(self.style.SUCCESS(f"{replayed} replayed, {skipped} left alone"))

    @staticmethod
    def _matches(record: dict, opts: dict, since: datetime | None) -> bool:
        if opts["stage"] and record.get("stage") != opts["stage"]:
            return False
        if opts["message_id"] and record.get("message_id") not in opts["message_id"]:
            return False
        if opts["error"] and opts["error"].lower() not in str(record.get("error", "")).lower():
            return False
        if since and record.get("failed_at"):
            failed_at = datetime.fromisoformat(record["failed_at"])
            if failed_at.tzinfo and not since.tzinfo:
                since = since.replace(tzinfo=failed_at.tzinfo)
            if failed_at < since:
                return False
        return True

    def _replay(self, record: dict) -> None:
        if record.get("stage") == "task" and record.get("message_id"):
            # Only a message still failed goes back to the queue; replaying twice is a no-op.
            if services.message_requeue(message_id=int(record["message_id"])):
                enqueue_inbound(int(record["message_id"]))
        elif record.get("stage") == "bridge":
            value = record.get("value")
            raw = json.dumps(value).encode() if isinstance(value, (dict, list)) else str(value).encode()
            topic = kafka_io.physical_topic(record.get("source_topic") or Topic.TICKETS_INCOMING)
            producer = kafka_io.new_producer(value_serializer=None)
            try:
                producer.send(topic, key=record.get("key"), value=raw).get(timeout=10)
            finally:
                producer.close()
        else:
            raise CommandError(f"Do not know how to replay {record!r}")

    @staticmethod
    def _from_kafka() -> list[dict]:
        topic = kafka_io.physical_topic(Topic.DLQ)
        consumer = kafka_io.new_consumer(group_id=None, client_id="fte-replay", consumer_timeout_ms=2000)
        try:
            partitions = consumer.partitions_for_topic(topic) or set()
            tps = [TopicPartition(topic, p) for p in partitions]
            consumer.assign(tps)
            consumer.seek_to_beginning(*tps)
            ends = consumer.end_offsets(tps)
            records = []
            while any(consumer.position(tp) < ends[tp] for tp in tps):
                for batch in consumer.poll(timeout_ms=1000).values():
                    for rec in batch:
                        try:
                            value = json.loads(rec.value)
                        except ValueError:
                            continue
                        if isinstance(value, dict):
                            records.append(value)
            return records
        finally:
            consumer.close()

    @staticmethod
    def _from_database() -> list[dict]:
        return [{"stage": "task", "message_id": m.pk, "error": m.last_error,
                 "failed_at": m.processed_at.isoformat() if m.processed_at else None}
                for m in Message.objects.filter(processing_state=ProcessingState.FAILED)]
