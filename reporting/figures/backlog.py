"""What is waiting right now: inbound messages stored but not yet processed."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Min
from django.utils import timezone

from crm.models import Direction, Message, ProcessingState


@dataclass(frozen=True)
class Backlog:
    waiting: int
    oldest_at: datetime | None
    oldest_age_seconds: float | None


def backlog(*, channel: str = "", now: datetime | None = None) -> Backlog:
    """Inbound messages received or being processed, and how long the oldest has waited."""
    now = now or timezone.now()
    rows = Message.objects.filter(direction=Direction.INBOUND,
                                  processing_state__in=[ProcessingState.RECEIVED, ProcessingState.PROCESSING])
    if channel:
        rows = rows.filter(channel=channel)
    found = rows.aggregate(n=Count("id"), oldest=Min("created_at"))
    oldest = found["oldest"]
    return Backlog(found["n"], oldest, (now - oldest).total_seconds() if oldest else None)
