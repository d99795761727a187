"""Celery tasks of the reports: metrics events without Kafka, the rollup refresh, the daily report."""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from channels_app.enqueue import METRICS_EVENTS_TASK

log = logging.getLogger(__name__)


@shared_task(name=METRICS_EVENTS_TASK, acks_late=True, autoretry_for=(Exception,), retry_backoff=True,
             retry_backoff_max=60, max_retries=10, dont_autoretry_for=())
def apply_metrics_events(events: list[dict[str, Any]]) -> int:
    """The outbox relay's hand-off when Kafka is not configured: the same events the consumer reads."""
    from reporting.metrics_events import PoisonEvent, event_key, metrics_events_apply

    good = []
    for event in events:
        try:
            event_key(event)
        except PoisonEvent as poison:
            log.warning("metrics event dropped (%s): %r", poison, event)
            continue
        good.append(event)
    return metrics_events_apply(events=good).applied


@shared_task(name="reporting.refresh_rollups", acks_late=True)
def refresh_rollups() -> int:
    """Recompute the hours whose figures change without a metrics event.

    The last ``AI_RESOLUTION_QUIET_DAYS`` + 1 days (an AI answer becomes an assumed resolution
    as quiet days pass; staff claim, answer and resolve), plus the hours of older tickets that
    had an event since the last refresh. Knowledge-gap questions of those days that have no
    vector yet are embedded and clustered (a bounded number per run).
    """
    from crm.models import TicketEvent
    from reporting.rollups import rollups_store, rollups_store_hours

    now = timezone.now()
    written = rollups_store(start=now - timedelta(days=settings.AI_RESOLUTION_QUIET_DAYS + 1), end=now)
    window = timedelta(seconds=max(600.0, 3 * float(settings.CELERY_BEAT_SCHEDULE["refresh-rollups"]["schedule"])))
    older = TicketEvent.objects.filter(created_at__gte=now - window).values_list("ticket__created_at", flat=True)
    written += rollups_store_hours(hours=[h for h in older.distinct() if h is not None])
    from reporting.figures.gaps import embed_missing
    from reporting.metrics_events import metrics_events_prune

    embed_missing(start=now - timedelta(days=settings.AI_RESOLUTION_QUIET_DAYS + 1), end=now)
    metrics_events_prune()
    return written


@shared_task(name="reporting.daily_report", acks_late=True, autoretry_for=(Exception,), retry_backoff=True,
             max_retries=5)
def daily_report_task() -> str:
    """Yesterday's report (in TIME_ZONE), stored and emailed to the Support managers; once per day."""
    from reporting.daily import daily_report_build, daily_report_email, yesterday

    report = daily_report_build(day=yesterday())
    daily_report_email(report=report)
    return report.date.isoformat()
