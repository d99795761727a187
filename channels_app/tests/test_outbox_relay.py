from __future__ import annotations

import os
import uuid
from datetime import timedelta
from io import StringIO

import pytest
import redis
from django.core.management import call_command
from django.utils import timezone

from channels_app import kafka_io
from channels_app.outbox_relay import DirectPublisher, KafkaPublisher, prune_published, relay_batch
from crm import services
from crm.events import Topic
from crm.models import OutboxEvent
from fte_project.celery import app as celery_app
from tests.support.network import refused_port

pytestmark = pytest.mark.django_db


def accept(n: int) -> list[int]:
    return [services.inbound_message_accept(channel="web_form", provider_id=uuid.uuid4().hex, content=f"q{i}",
                                            email=f"o{i}@example.com").message.pk for i in range(n)]


@pytest.mark.integration
def test_without_kafka_the_relay_hands_incoming_messages_to_celery_in_order():
    queue = f"relay-test-{uuid.uuid4().hex[:6]}"
    celery_app.conf.task_default_queue = queue
    try:
        ids = accept(3)
        assert relay_batch(DirectPublisher()) == 6  # incoming + the per-channel audit copy, for each
        assert not OutboxEvent.objects.filter(published_at__isnull=True).exists()
        client = redis.Redis.from_url(os.environ["CELERY_BROKER_URL"])
        bodies = client.lrange(queue, 0, -1)
        import base64
        import json

        sent = [json.loads(base64.b64decode(json.loads(b)["body"]))[0][0] for b in reversed(bodies)]
        assert sent == ids
        client.delete(queue)
    finally:
        celery_app.conf.task_default_queue = "fte"


def test_while_kafka_is_unreachable_nothing_is_marked_and_the_failure_is_recorded(settings):
    settings.KAFKA_BOOTSTRAP_SERVERS = "127.0.0.1:1"  # nothing listens there
    kafka_io.reset_shared_producer()
    accept(2)
    with pytest.raises(Exception):
        relay_batch(KafkaPublisher())
    kafka_io.reset_shared_producer()
    first = OutboxEvent.objects.order_by("id").first()
    assert first.attempts == 1 and first.last_error
    assert not OutboxEvent.objects.filter(published_at__isnull=False).exists()


def test_prune_removes_only_old_published_rows():
    accept(2)
    rows = list(OutboxEvent.objects.order_by("id"))
    OutboxEvent.objects.filter(pk=rows[0].pk).update(published_at=timezone.now() - timedelta(hours=100))
    OutboxEvent.objects.filter(pk=rows[1].pk).update(published_at=timezone.now())
    assert prune_published(older_than_hours=72) == 1
    assert OutboxEvent.objects.count() == len(rows) - 1
    assert OutboxEvent.objects.filter(published_at__isnull=True).count() == len(rows) - 2


@pytest.mark.integration
def test_create_kafka_topics_is_idempotent(settings):
    settings.KAFKA_BOOTSTRAP_SERVERS = os.environ["TEST_KAFKA_BOOTSTRAP_SERVERS"]
    settings.KAFKA_TOPIC_PREFIX = f"topics{uuid.uuid4().hex[:6]}."
    first, second = StringIO(), StringIO()
    call_command("create_kafka_topics", stdout=first)
    call_command("create_kafka_topics", stdout=second)
    assert first.getvalue().count(": created") == len(Topic.ALL)
    assert second.getvalue().count(": exists") == len(Topic.ALL)


def test_create_kafka_topics_without_a_broker_is_a_clear_error(settings):
    from django.core.management.base import CommandError

    settings.KAFKA_BOOTSTRAP_SERVERS = ""
    with pytest.raises(CommandError, match="KAFKA_BOOTSTRAP_SERVERS is not set"):
        call_command("create_kafka_topics")

    with refused_port() as port, pytest.raises(CommandError, match="Could not create the topics on 127.0.0.1:"):
        settings.KAFKA_BOOTSTRAP_SERVERS = f"127.0.0.1:{port}"
        call_command("create_kafka_topics")


def test_a_standby_waits_out_a_database_restart(monkeypatch):
    """The lock query failing (the database restarting) is retried, not fatal to the relay."""
    from django.db import OperationalError

    from channels_app import outbox_relay

    real_cursor, calls = outbox_relay.connection.cursor, []

    def cursor():  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("terminating connection due to administrator command")
        return real_cursor()

    monkeypatch.setattr(outbox_relay.connection, "cursor", cursor)
    monkeypatch.setattr(outbox_relay.connection, "close", lambda: None)  # keep the test's transaction
    monkeypatch.setattr(outbox_relay.time, "sleep", lambda seconds: None)
    loop = outbox_relay.RelayLoop(publisher=DirectPublisher(), should_stop=lambda: False)
    loop._acquire_leadership()
    assert len(calls) == 2
    with real_cursor() as c:
        c.execute("SELECT pg_advisory_unlock(%s)", [outbox_relay.ADVISORY_LOCK_ID])
