"""When a human must have answered an escalated ticket."""
from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

URGENCY_ORDER = ["low", "normal", "high", "urgent"]


def sla_due_at(*, urgency: str, channel: str, start: datetime) -> datetime:
    hours = settings.SLA_HOURS.get(urgency, settings.SLA_HOURS["normal"])
    factor = settings.SLA_CHANNEL_FACTOR.get(channel, 1.0)
    return start + timedelta(hours=hours * factor)


def raised_urgency(urgency: str) -> str:
    """One step more urgent, topping out at urgent."""
    try:
        index = URGENCY_ORDER.index(urgency)
    except ValueError:
        return "high"
    return URGENCY_ORDER[min(index + 1, len(URGENCY_ORDER) - 1)]
