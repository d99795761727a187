"""Kafka through kafka-python: topic creation, a safe producer, consumers and DLQ records.

The producer is configured for no loss and per-key order: ``acks="all"`` waits for
every in-sync replica, retries cover a broker that blinks, and one request in flight
per connection keeps a retried batch from overtaking the next one. Records are keyed
by customer, so one customer's messages land in one partition, in order.
"""
from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from django.conf import settings
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka import errors as kafka_errors
from kafka.errors import TopicAlreadyExistsError

from crm.events import Topic, physical_topic

log = logging.getLogger(__name__)

_producer: KafkaProducer | None = None
_producer_lock = threading.Lock()


def kafka_enabled() -> bool:
    return bool(settings.KAFKA_BOOTSTRAP_SERVERS)


def bootstrap_servers() -> list[str]:
    return [s.strip() for s in settings.KAFKA_BOOTSTRAP_SERVERS.split(",") if s.strip()]


def connection_options() -> dict[str, Any]:
    """Where the brokers are and how to reach them: every client (producer, consumer, admin) uses these."""
    options: dict[str, Any] = {"bootstrap_servers": bootstrap_servers(),
                               "security_protocol": settings.KAFKA_SECURITY_PROTOCOL}
    if settings.KAFKA_SSL_CAFILE:
        options["ssl_cafile"] = settings.KAFKA_SSL_CAFILE
    if settings.KAFKA_SASL_MECHANISM:
        options.update(sasl_mechanism=settings.KAFKA_SASL_MECHANISM,
                       sasl_plain_username=settings.KAFKA_SASL_USERNAME,
                       sasl_plain_password=settings.KAFKA_SASL_PASSWORD)
    return options


def new_admin(client_id: str, **overrides: Any) -> KafkaAdminClient:
    return KafkaAdminClient(**connection_options(), client_id=client_id, **overrides)


def _json(value: dict[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":"), default=str).encode()


# kafka-python backs off reconnecting up to 30 s, so a broker that returns after a
# minute's outage was found up to 40 s late (measured): longer than our whole
# end-to-end target. A refused connection every 5 s while it is down costs nothing.
_RECONNECT_BACKOFF_MAX_MS = 5_000


def new_producer(**overrides: Any) -> KafkaProducer:
    options: dict[str, Any] = dict(
        **connection_options(),
        reconnect_backoff_max_ms=_RECONNECT_BACKOFF_MAX_MS,
        acks="all",
        retries=5,
        max_in_flight_requests_per_connection=1,
        linger_ms=2,
        request_timeout_ms=10_000,
        max_block_ms=10_000,
        bootstrap_timeout_ms=10_000,  # no call waits longer than max_block_ms, the first one neither
        key_serializer=lambda k: k.encode() if isinstance(k, str) else k,
        value_serializer=_json,
        client_id="fte-producer",
    )
    options.update(overrides)
    return KafkaProducer(**options)


def shared_producer() -> KafkaProducer:
    """One producer per process (it is thread-safe and keeps connections warm)."""
    global _producer
    with _producer_lock:
        if _producer is None:
            _producer = new_producer()
        return _producer


def reset_shared_producer() -> None:
    """Drop the shared producer, e.g. after its broker was unreachable for long."""
    global _producer
    with _producer_lock:
        if _producer is not None:
            try:
                _producer.close(timeout=2)
            except Exception:  # closing a broken producer may fail; we are discarding it
                log.debug("closing the old producer failed", exc_info=True)
        _producer = None


def publish(topic: str, *, key: str, value: dict[str, Any], timeout: float = 10.0) -> None:
    """Send one record and wait until the broker has it (acks=all)."""
    shared_producer().send(physical_topic(topic), key=key, value=value).get(timeout=timeout)


def new_consumer(*topics: str, group_id: str | None, **overrides: Any) -> KafkaConsumer:
    options: dict[str, Any] = dict(
        **connection_options(),
        reconnect_backoff_max_ms=_RECONNECT_BACKOFF_MAX_MS,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=100,
        max_poll_interval_ms=300_000,
        session_timeout_ms=10_000,
        heartbeat_interval_ms=3_000,
        client_id="fte-consumer",
    )
    options.update(overrides)
    consumer = KafkaConsumer(**options)
    if topics:
        consumer.subscribe([physical_topic(t) for t in topics])
    return consumer


def create_topics(*, names: Iterable[str] = Topic.ALL, partitions: int | None = None,
                  replication: int | None = None) -> dict[str, str]:
    """Create the topics that are missing. Returns ``{name: "created" | "exists"}``."""
    partitions = partitions or settings.KAFKA_TOPIC_PARTITIONS
    replication = replication or settings.KAFKA_REPLICATION_FACTOR
    names = list(names)
    admin = new_admin("fte-admin", request_timeout_ms=15_000,
                             bootstrap_timeout_ms=10_000)
    try:
        wanted = {
            physical_topic(name): {
                "num_partitions": partitions, "replication_factor": replication,
                # The DLQ keeps records for a month: they wait for a human to replay them.
                "configs": {"retention.ms": str(30 * 24 * 3600 * 1000)} if name == Topic.DLQ else {},
            }
            for name in names
        }
        # Per-topic answers rather than one exception: "already exists" is the state we
        # want (a second run, or another process winning the race), anything else is not.
        response = admin.create_topics(wanted, raise_errors=False)
        outcome = {t["name"]: t["error_code"] for t in response["topics"]}
        result: dict[str, str] = {}
        for name in names:
            code = outcome.get(physical_topic(name), 0)
            if code not in (0, TopicAlreadyExistsError.errno):
                error = kafka_errors.for_code(code)
                raise error(f"could not create topic {physical_topic(name)}: {error.__name__}")
            result[name] = "created" if code == 0 else "exists"
        # Ready to use when this returns: every partition has a leader in the metadata.
        admin.wait_for_topics(list(wanted))
        return result
    finally:
        admin.close()


def dlq_record(*, stage: str, error: str, source_topic: str = "", partition: int | None = None,
               offset: int | None = None, key: str | None = None, value: Any = None,
               message_id: int | None = None) -> dict[str, Any]:
    """The shape of a dead-letter record: enough to understand it and to replay it."""
    return {
        "stage": stage,  # "bridge" (could not be handed to Celery) or "task" (failed after retries)
        "error": error[:2000],
        "source_topic": source_topic,
        "partition": partition,
        "offset": offset,
        "key": key,
        "value": value,
        "message_id": message_id,
        "failed_at": datetime.now(timezone.utc).isoformat(),
    }
