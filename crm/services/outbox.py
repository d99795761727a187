"""The transactional outbox: events written in the caller's transaction, then marked by the relay.

Every function is one business action in one transaction, keyword-only and typed.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from crm.errors import InvalidInput
from crm.events import Topic
from crm.models import (
    OutboxEvent,
)


def outbox_add(*, topic: str, key: str, payload: dict[str, Any]) -> OutboxEvent:
    """Queue an event for Kafka in the caller's transaction."""
    if topic not in Topic.ALL:
        raise InvalidInput(f"Unknown topic {topic!r}.", field="topic")
    return OutboxEvent.objects.create(topic=topic, key=key, payload=payload)


def outbox_add_all(*, events: Sequence[tuple[str, str, dict[str, Any]]]) -> list[OutboxEvent]:
    """Queue several ``(topic, key, payload)`` events in the caller's transaction, in this order, with one INSERT."""
    for topic, _, _ in events:
        if topic not in Topic.ALL:
            raise InvalidInput(f"Unknown topic {topic!r}.", field="topic")
    return OutboxEvent.objects.bulk_create(
        [OutboxEvent(topic=topic, key=key, payload=payload) for topic, key, payload in events])


@transaction.atomic
def outbox_mark_published(*, event_ids: Sequence[int]) -> int:
    """Record that these events reached Kafka (or Celery). Returns how many rows were marked."""
    return OutboxEvent.objects.filter(pk__in=list(event_ids)).update(published_at=timezone.now())


@transaction.atomic
def outbox_mark_failed(*, event_id: int, error: str) -> None:
    """Record a failed publishing attempt on the event the relay is stuck on."""
    OutboxEvent.objects.filter(pk=event_id).update(attempts=F("attempts") + 1, last_error=error[:2000])


@transaction.atomic
def outbox_prune(*, published_before: datetime) -> int:
    """Delete the events published before this time (never an unpublished one). Returns how many."""
    deleted, _ = OutboxEvent.objects.filter(published_at__lt=published_before).delete()
    return deleted
