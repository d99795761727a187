"""The outbox relay: publishes committed outbox rows, in order, until each is delivered.

Why it runs where it runs: as its own small process (``manage.py run_outbox_relay``),
not in the web request and not in a Celery task.
- Not in the request, because the request must answer 2xx as soon as the message is
  stored, even while Kafka is down; publishing there would either block the customer
  on Kafka or lose the event when the process dies after the commit.
- Not in Celery, because the relay is also how events *reach* Celery when Kafka is not
  configured, and because order matters: one loop, holding a PostgreSQL advisory lock
  so exactly one relay is active, publishes rows strictly by id. Extra replicas wait
  on the lock as hot standbys and take over within a second if the active one dies.

Delivery is at-least-once: a crash between "Kafka has it" and "row marked published"
publishes that row again, and every consumer is idempotent on the message id.

It polls: every ``OUTBOX_RELAY_INTERVAL`` seconds (0.1) while the outbox is quiet, at
once again after a full batch. It used to be woken by a PostgreSQL NOTIFY from an insert
trigger, but PostgreSQL serializes the commits of every transaction that notifies, WAL
flush included: the intake could then commit only one webhook at a time (with 8
concurrent committers, 500 to 2,000 commits a second instead of 4,000 on our machines,
and much less while the disk is slow). A tenth of a second of latency is the price.
"""
from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connection
from django.utils import timezone

from channels_app import kafka_io
from channels_app.enqueue import enqueue_inbound, enqueue_metrics_events
from crm import services
from crm.events import Topic
from crm.models import OutboxEvent

log = logging.getLogger(__name__)

ADVISORY_LOCK_ID = 7_340_001  # any constant unique to this relay
BATCH_SIZE = 200


class Publisher:
    """Where the relay sends events."""

    name = "publisher"

    def publish(self, event: OutboxEvent) -> None:
        raise NotImplementedError

    def flush(self) -> None:
        """Block until everything handed to ``publish`` is durably accepted."""


class KafkaPublisher(Publisher):
    name = "kafka"

    def __init__(self) -> None:
        self._futures: list = []

    def publish(self, event: OutboxEvent) -> None:
        producer = kafka_io.shared_producer()
        value = {**event.payload, "outbox_id": event.pk}
        self._futures.append(producer.send(kafka_io.physical_topic(event.topic), key=event.key, value=value))

    def flush(self) -> None:
        futures, self._futures = self._futures, []
        for future in futures:
            future.get(timeout=15)


class DirectPublisher(Publisher):
    """Without Kafka: hand incoming messages and metrics events straight to Celery.

    Metrics events of one batch go as one task (the reports fold them in together). The
    other topics (audit copies, escalations) have no consumer without Kafka; their rows are
    marked published and stay readable in the outbox until pruned.
    """

    name = "celery-direct"

    def __init__(self) -> None:
        self._metrics: list[dict] = []

    def publish(self, event: OutboxEvent) -> None:
        if event.topic == Topic.TICKETS_INCOMING:
            enqueue_inbound(int(event.payload["message_id"]))
        elif event.topic == Topic.METRICS:
            self._metrics.append({**event.payload, "outbox_id": event.pk})

    def flush(self) -> None:
        events, self._metrics = self._metrics, []
        if events:
            enqueue_metrics_events(events)


def default_publisher() -> Publisher:
    return KafkaPublisher() if kafka_io.kafka_enabled() else DirectPublisher()


def relay_batch(publisher: Publisher, *, batch_size: int = BATCH_SIZE) -> int:
    """Publish the oldest unpublished rows. Returns how many were published.

    Stops at the first failure so that nothing overtakes an earlier row; the failure
    is recorded on that row and raised for the caller's back-off.
    """
    rows = list(OutboxEvent.objects.filter(published_at__isnull=True).order_by("id")[:batch_size])
    if not rows:
        return 0
    sent: list[int] = []
    try:
        for row in rows:
            publisher.publish(row)
            sent.append(row.pk)
        publisher.flush()
    except Exception as exc:
        failed = rows[len(sent)] if len(sent) < len(rows) else rows[0]
        services.outbox_mark_failed(event_id=failed.pk, error=f"{type(exc).__name__}: {exc}")
        raise
    services.outbox_mark_published(event_ids=sent)
    return len(sent)


def prune_published(*, older_than_hours: int | None = None) -> int:
    """Delete published rows older than ``OUTBOX_RETENTION_HOURS`` (or ``older_than_hours``)."""
    hours = older_than_hours if older_than_hours is not None else settings.OUTBOX_RETENTION_HOURS
    return services.outbox_prune(published_before=timezone.now() - timedelta(hours=hours))


@dataclass
class RelayLoop:
    publisher: Publisher
    interval: float = field(default_factory=lambda: settings.OUTBOX_RELAY_INTERVAL)
    should_stop: Callable[[], bool] = lambda: False
    # Attempts while Kafka (or the broker) is away cost little; a long wait would be added
    # to the recovery once it is back (see channels_app.batch_consumer.MAX_BACKOFF).
    max_backoff: float = 5.0
    prune_every: float = 600.0

    def _acquire_leadership(self) -> None:
        """Wait until this relay holds the advisory lock, on the connection it keeps for its life.

        A database that is away (restarting) is waited for, not fatal: a standby that died
        with it would leave no relay at all once the active one's lock went with the restart.
        """
        while not self.should_stop():
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_LOCK_ID])
                    if cursor.fetchone()[0]:
                        log.info("outbox relay is active (publisher: %s)", self.publisher.name)
                        return
            except (OperationalError, InterfaceError) as exc:
                log.warning("outbox relay cannot reach the database (%s); trying again", exc)
                try:
                    connection.close()
                except (OperationalError, InterfaceError):  # closing a broken connection may fail too
                    pass
            time.sleep(1.0)

    def _wait_for_work(self) -> None:
        end = time.monotonic() + self.interval
        while not self.should_stop() and (left := end - time.monotonic()) > 0:
            time.sleep(min(left, 0.1))

    def run(self) -> None:
        backoff = 0.0
        last_prune = 0.0
        # The advisory lock lives on this connection: keep it for the process's life.
        self._acquire_leadership()
        while not self.should_stop():
            try:
                published = relay_batch(self.publisher)
                if backoff:
                    log.info("outbox relay recovered; publishing again")
                backoff = 0.0
                if time.monotonic() - last_prune > self.prune_every:
                    pruned = prune_published()
                    last_prune = time.monotonic()
                    if pruned:
                        log.info("pruned %d published outbox rows", pruned)
                if published < BATCH_SIZE:  # a full batch means more rows wait: go on at once
                    self._wait_for_work()
            except Exception as exc:
                backoff = min(self.max_backoff, max(0.5, backoff * 2)) * random.uniform(0.8, 1.2)
                log.warning("outbox relay could not publish (%s: %s); retrying in %.1fs",
                            type(exc).__name__, exc, backoff)
                if isinstance(self.publisher, KafkaPublisher):
                    kafka_io.reset_shared_producer()
                end = time.monotonic() + backoff
                while time.monotonic() < end and not self.should_stop():
                    time.sleep(0.1)
                if connection.connection is None or not connection.is_usable():
                    close_old_connections()
                    self._acquire_leadership()
