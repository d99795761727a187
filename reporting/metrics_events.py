"""Folding ``fte.metrics`` events into the rollups: the one thing the consumer and the Celery task do.

Idempotent per event: an event's key (message id and kind) is recorded with the rollups it
refreshed, in one transaction, and a redelivered event is skipped. Even without that record
nothing could count twice: the hours an event touches are recomputed from the CRM, not
incremented.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from crm.models import AgentMetric, EscalationReason, Message
from reporting.models import AppliedMetricsEvent
from reporting.rollups import rollups_store_hours

log = logging.getLogger(__name__)

EVENT_KINDS = ("message.processed", "message.failed")


class PoisonEvent(ValueError):
    """An event no retry can apply (not an object, no message id, unknown kind)."""


def event_key(event: Any) -> tuple[str, int]:
    """``("<message id>:<kind>", message id)`` of a metrics event, or PoisonEvent."""
    if not isinstance(event, dict):
        raise PoisonEvent("not a JSON object")
    message_id, kind = event.get("message_id"), event.get("event")
    if not isinstance(message_id, int) or isinstance(message_id, bool) or message_id <= 0:
        raise PoisonEvent(f"message_id missing or not a positive integer: {message_id!r}")
    if kind not in EVENT_KINDS:
        raise PoisonEvent(f"unknown event kind {kind!r}")
    return f"{message_id}:{kind}", message_id


@dataclass
class Applied:
    applied: int = 0
    duplicates: int = 0
    hours: int = 0


def _hours_touched(message_ids: list[int]) -> tuple[set[datetime], list[int]]:
    """Every hour whose rollup an event about these messages can change, and the knowledge-gap tickets."""
    hours: set[datetime] = set()
    for created, started, ticket_created in Message.objects.filter(pk__in=message_ids).values_list(
            "created_at", "conversation__started_at", "ticket__created_at"):
        hours.update(h for h in (created, started, ticket_created) if h is not None)
    gaps: list[int] = []
    for created, ticket_created, ticket_id, reason in AgentMetric.objects.filter(message_id__in=message_ids).values_list(
            "created_at", "ticket__created_at", "ticket_id", "escalation_reason"):
        hours.update(h for h in (created, ticket_created) if h is not None)
        if reason == EscalationReason.KNOWLEDGE_NOT_FOUND and ticket_id:
            gaps.append(ticket_id)
    return hours, gaps


def metrics_events_apply(*, events: Iterable[dict[str, Any]]) -> Applied:
    """Refresh the rollups of the hours these events touch; skip events applied before.

    Raises PoisonEvent for an event that can never be applied (callers dead-letter it first).
    """
    keys: dict[str, int] = {}
    for event in events:
        key, message_id = event_key(event)
        keys[key] = message_id
    result = Applied()
    if not keys:
        return result
    with transaction.atomic():
        done = set(AppliedMetricsEvent.objects.filter(key__in=list(keys)).values_list("key", flat=True))
        fresh = {k: m for k, m in keys.items() if k not in done}
        result.duplicates = len(keys) - len(fresh)
        if not fresh:
            return result
        hours, gap_tickets = _hours_touched(sorted(set(fresh.values())))
        result.hours = rollups_store_hours(hours=hours)
        AppliedMetricsEvent.objects.bulk_create([AppliedMetricsEvent(key=k) for k in sorted(fresh)],
                                                ignore_conflicts=True)
        result.applied = len(fresh)
    if gap_tickets:
        _embed_gaps(gap_tickets)
    return result


def _embed_gaps(ticket_ids: list[int]) -> None:
    """Embed new knowledge-gap questions now, so the gaps page has them ready (best effort)."""
    from reporting.gap_vectors import gap_vectors_store
    from reporting.selectors import gap_questions_by_ids

    try:
        gap_vectors_store(questions=gap_questions_by_ids(ticket_ids=ticket_ids))
    except Exception:  # noqa: BLE001 - the page embeds what is missing; never fail the rollups for it
        log.warning("knowledge-gap questions of tickets %s were not embedded", ticket_ids, exc_info=True)


def metrics_events_prune(*, older_than_days: int = 30) -> int:
    """Forget applied-event keys after a while: no redelivery comes that late (the rollups are recomputed anyway)."""
    from datetime import timedelta

    from django.utils import timezone

    deleted, _ = AppliedMetricsEvent.objects.filter(
        applied_at__lt=timezone.now() - timedelta(days=older_than_days)).delete()
    return deleted
