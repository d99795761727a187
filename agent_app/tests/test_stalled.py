"""Messages whose worker died mid-task are queued again (and, past their attempts, failed)."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from agent_app.tasks import requeue_stalled
from crm import services
from crm.models import AgentMetric, Message, OutboxEvent, ProcessingState

pytestmark = pytest.mark.django_db


def claimed(text="How do I reset my password?", *, attempts=1):
    message = services.inbound_message_accept(channel="web_form", provider_id=uuid.uuid4().hex, content=text,
                                              email=f"{uuid.uuid4().hex[:8]}@example.com").message
    for _ in range(attempts):
        services.message_record_error(message_id=message.pk, error="worker lost")
        assert services.message_claim(message_id=message.pk)
    return message


def test_a_message_whose_lease_ran_out_is_queued_again(django_capture_on_commit_callbacks, settings) -> None:  # type: ignore[no-untyped-def]
    live = claimed()
    stalled = claimed()
    Message.objects.filter(pk=stalled.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))

    with django_capture_on_commit_callbacks() as callbacks:
        assert requeue_stalled() == [stalled.pk]

    assert len(callbacks) == 1  # the enqueue, after the commit; the message itself is left as it is
    assert Message.objects.get(pk=live.pk).processing_state == ProcessingState.PROCESSING
    assert services.message_claim(message_id=stalled.pk)  # the queued task claims the expired lease
    assert not services.message_claim(message_id=stalled.pk)  # once
    assert requeue_stalled() == []


def test_a_long_run_keeps_its_claim_alive(settings) -> None:  # type: ignore[no-untyped-def]
    message = claimed()
    Message.objects.filter(pk=message.pk).update(claimed_until=timezone.now() + timedelta(seconds=5))
    services.message_extend_lease(message_id=message.pk, lease_seconds=600)
    message.refresh_from_db()
    assert message.claimed_until > timezone.now() + timedelta(seconds=590)
    assert requeue_stalled() == []


def test_a_message_that_kills_its_worker_every_time_is_failed_to_a_human(django_capture_on_commit_callbacks, settings) -> None:  # type: ignore[no-untyped-def]
    settings.CELERY_TASK_MAX_RETRIES = 2
    poison = claimed(attempts=3)
    Message.objects.filter(pk=poison.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))

    with django_capture_on_commit_callbacks() as callbacks:
        assert requeue_stalled() == []

    # Nothing is queued again; the only thing after the commit is telling staff of the escalation.
    assert [c.__qualname__ for c in callbacks] == ["_notify_desk.<locals>.send"]
    poison.refresh_from_db()
    assert poison.processing_state == ProcessingState.FAILED
    assert poison.ticket.status == "escalated" and poison.ticket.escalation_reason == "processing_failed"
    assert OutboxEvent.objects.filter(topic="fte.dlq", payload__message_id=poison.pk).exists()
    assert AgentMetric.objects.get(message=poison).outcome == "failed"


def _received(minutes_ago: float) -> Message:
    return services.inbound_message_accept(
        channel="web_form", provider_id=uuid.uuid4().hex, content="Where is my invoice?",
        email=f"{uuid.uuid4().hex[:8]}@example.com", received_at=timezone.now() - timedelta(minutes=minutes_ago),
    ).message


def test_a_message_whose_task_was_lost_is_queued_again(settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Handed on (its event left the outbox) but never claimed: a broker that restarted empty lost its task."""
    from channels_app import enqueue

    settings.RECEIVED_STALL_SECONDS = 600
    queued: list[int] = []
    monkeypatch.setattr(enqueue, "enqueue_inbound", queued.append)
    lost = _received(minutes_ago=20)
    waiting_for_the_relay = _received(minutes_ago=30)
    recent = _received(minutes_ago=1)
    OutboxEvent.objects.exclude(payload__message_id=waiting_for_the_relay.pk).update(published_at=timezone.now())

    assert requeue_stalled() == [lost.pk]
    assert queued == [lost.pk]
    assert Message.objects.get(pk=lost.pk).processing_state == ProcessingState.RECEIVED  # the task claims it
    assert recent.pk not in queued


def test_the_sweep_stops_at_a_broker_that_refuses(settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from channels_app import enqueue

    settings.RECEIVED_STALL_SECONDS = 60

    def refuse(message_id: int) -> None:
        raise ConnectionError("broker down")

    monkeypatch.setattr(enqueue, "enqueue_inbound", refuse)
    _received(minutes_ago=5)
    _received(minutes_ago=6)
    OutboxEvent.objects.update(published_at=timezone.now())
    assert requeue_stalled() == []


def test_a_claim_that_meets_a_restarting_database_is_retried(monkeypatch, settings) -> None:  # type: ignore[no-untyped-def]
    from django.db import OperationalError

    from agent_app.tasks import process_inbound

    settings.CELERY_TASK_ALWAYS_EAGER = True
    message = _received(minutes_ago=0)
    calls: list[int] = []

    def claim(*, message_id: int, lease_seconds: int | None = None) -> bool:
        calls.append(message_id)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return False  # someone else has it by now

    monkeypatch.setattr(services, "message_claim", claim)
    assert process_inbound.apply(args=[message.pk]).get() == "duplicate"
    assert calls == [message.pk, message.pk]
