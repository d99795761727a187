"""/health's backlog: what waits in the pipeline, read from the real database, against the thresholds."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from crm import services
from crm.models import Channel, DeliveryStatus, Direction, Message, OutboxEvent

pytestmark = pytest.mark.django_db


def _accept(n: int, *, minutes_ago: float = 0) -> list[Message]:
    return [services.inbound_message_accept(
        channel=Channel.WHATSAPP, provider_id=f"SM{i:032x}", content="Where is my invoice?", phone=f"+1415555{i:04d}",
        received_at=timezone.now() - timedelta(minutes=minutes_ago)).message for i in range(n)]


def test_an_empty_pipeline_is_ok(client):
    body = client.get("/health").json()
    backlog = body["checks"]["backlog"]
    assert backlog["ok"] and backlog["warnings"] == []
    assert backlog["unprocessed"] == 0 and backlog["oldest_unprocessed_age_s"] is None
    assert body["status"] == "ok"


def test_a_backlog_over_its_count_is_degraded_with_200(client, settings):
    settings.HEALTH_MAX_BACKLOG = 3
    _accept(5)
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded" and "backlog" in body["degraded"]
    backlog = body["checks"]["backlog"]
    assert backlog["unprocessed"] == 5 and backlog["outbox_unpublished"] >= 5
    assert backlog["thresholds"]["messages"] == 3
    assert any("5 inbound messages wait to be processed" in w for w in backlog["warnings"])


def test_an_old_message_is_degraded_even_when_the_backlog_is_short(client, settings):
    settings.HEALTH_MAX_BACKLOG_AGE = 300
    _accept(1, minutes_ago=20)
    backlog = client.get("/health").json()["checks"]["backlog"]
    assert 1190 < backlog["oldest_unprocessed_age_s"] < 1300
    assert any("has waited" in w and "threshold 300 s" in w for w in backlog["warnings"])


def test_processed_messages_are_not_backlog(client):
    message = _accept(1, minutes_ago=30)[0]
    services.message_claim(message_id=message.pk)
    services.message_finish(message_id=message.pk, state="processed")
    OutboxEvent.objects.update(published_at=timezone.now())
    backlog = client.get("/health").json()["checks"]["backlog"]
    assert backlog["unprocessed"] == 0 and backlog["outbox_unpublished"] == 0 and backlog["warnings"] == []


def test_a_stale_outbox_names_the_relay(client, settings):
    settings.HEALTH_MAX_BACKLOG_AGE = 60
    _accept(1)
    OutboxEvent.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    backlog = client.get("/health").json()["checks"]["backlog"]
    assert backlog["oldest_unpublished_age_s"] >= 299
    assert any("outbox relay" in w for w in backlog["warnings"])


def test_dead_letters_count_within_their_window(client, settings):
    settings.HEALTH_MAX_DLQ = 0
    first, second = _accept(2)
    services.message_fail(message_id=first.pk, error="boom")
    services.message_fail(message_id=second.pk, error="boom")
    Message.objects.filter(pk=second.pk).update(processed_at=timezone.now() - timedelta(days=3))
    backlog = client.get("/health").json()["checks"]["backlog"]
    assert backlog["dead_lettered_total"] == 2 and backlog["dead_lettered_recently"] == 1
    assert any("failed after every retry in the last 24 h" in w for w in backlog["warnings"])


def test_replies_waiting_to_be_sent_are_backlog_too(client, settings):
    settings.HEALTH_MAX_BACKLOG_AGE = 60
    inbound = _accept(1)[0]
    ticket, _ = services.ticket_for_conversation(conversation=inbound.conversation, channel=Channel.WHATSAPP)
    reply = services.outbound_message_record(ticket=ticket, channel=Channel.WHATSAPP, content="Here it is.",
                                             reply_to=inbound)
    Message.objects.filter(pk=reply.pk).update(created_at=timezone.now() - timedelta(minutes=10))
    backlog = client.get("/health").json()["checks"]["backlog"]
    assert reply.direction == Direction.OUTBOUND and reply.delivery_status == DeliveryStatus.PENDING
    assert backlog["replies_pending"] == 1 and backlog["oldest_pending_reply_age_s"] >= 599
    assert any("replies" in w and "has waited" in w for w in backlog["warnings"])
