"""The transactional outbox: events written in the caller's transaction.

Every function is one business action in one transaction, keyword-only and typed.
"""
from __future__ import annotations

from typing import Any

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


# --- Customers and conversations -----------------------------------------------------------
