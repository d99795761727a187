"""The daily report: yesterday's figures against the 7-day average, stored once per date and mailed.

Building is idempotent per date (the row for a date is replaced with fresh figures); mailing
happens once per date, claimed by a conditional UPDATE so two beat runs cannot both send it.
"""
from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from reporting.access import MANAGERS_GROUP
from reporting.figures.cost import cost
from reporting.figures.gaps import gaps
from reporting.figures.overview import overview
from reporting.models import DailyReport
from reporting.ranges import ReportRange, local_zone

log = logging.getLogger(__name__)

BASELINE_DAYS = 7
# (key, label, kind): counts differ "unusually" by half the average (and at least 5), rates by
# 10 points, durations by half again (and at least a minute), money by half (and at least $1).
COMPARED = [
    ("inbound_messages", "Inbound messages", "count"),
    ("conversations", "Conversations started", "count"),
    ("tickets", "Tickets opened", "count"),
    ("escalated", "Tickets escalated", "count"),
    ("escalation_rate", "Escalation rate", "rate"),
    ("ai_resolution_rate", "AI resolution rate", "rate"),
    ("ai_reopened", "AI answers reopened", "count"),
    ("ai_first_response_p50", "AI first response (median)", "seconds"),
    ("human_first_response_p50", "People's first response (median)", "seconds"),
    ("resolution_p50", "Time to resolution (median)", "seconds"),
    ("sla_attainment", "SLA attainment", "rate"),
    ("sla_breached", "SLA breaches", "count"),
    ("sentiment", "Average sentiment", "sentiment"),
    ("cost", "Estimated model cost", "usd"),
]


def yesterday() -> date:
    return timezone.now().astimezone(local_zone()).date() - timedelta(days=1)


def day_figures(day: date) -> dict[str, Any]:
    rng = ReportRange("custom", day, day, now=timezone.now())
    ov, c = overview(rng), cost(rng)
    met = sum(s["met"] for s in ov.sla)
    breached = sum(s["breached"] for s in ov.sla)
    return {
        "inbound_messages": sum(f.inbound_messages for f in ov.per_channel),
        "replies": sum(f.replies for f in ov.per_channel),
        "conversations": sum(f.conversations for f in ov.per_channel),
        "tickets": ov.tickets, "escalated": ov.escalated, "escalation_rate": ov.escalation_rate,
        "ai_confirmed": ov.ai_confirmed, "ai_assumed": ov.ai_assumed, "ai_pending": ov.ai_pending,
        "ai_reopened": ov.ai_reopened, "ai_resolution_rate": ov.ai_resolution_rate,
        "ai_first_response_p50": ov.ai_first_response.p50, "ai_first_response_p95": ov.ai_first_response.p95,
        "human_first_response_p50": ov.human_first_response.p50,
        "human_first_response_p95": ov.human_first_response.p95,
        "resolution_p50": ov.resolution_time.p50, "resolution_p95": ov.resolution_time.p95,
        "sla_met": met, "sla_breached": breached, "sla_attainment": met / (met + breached) if met + breached else None,
        "sentiment": ov.sentiment, "tokens": c.tokens, "cost": c.cost,
        "per_channel": [{"channel": f.label, "inbound_messages": f.inbound_messages, "tickets": f.tickets,
                         "escalated": f.escalated, "escalation_rate": f.escalation_rate} for f in ov.per_channel],
        "reasons": [{"reason": label, "tickets": n} for _code, label, n in ov.escalations_by_reason],
        "backlog_waiting": ov.backlog.waiting, "backlog_oldest_seconds": ov.backlog.oldest_age_seconds,
    }


def _unusual(kind: str, value: float, average: float) -> bool:
    diff = abs(value - average)
    if kind == "count":
        return diff >= max(5.0, 0.5 * average)
    if kind == "rate":
        return diff >= 0.10
    if kind == "seconds":
        return diff >= max(60.0, 0.5 * average)
    if kind == "sentiment":
        return diff >= 0.3
    if kind == "usd":
        return diff >= max(1.0, 0.5 * average)
    return False


def compare(today: dict[str, Any], baseline: list[dict[str, Any]]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The 7-day averages, and the figures unusually far from theirs."""
    averages: dict[str, Any] = {}
    unusual = []
    for key, label, kind in COMPARED:
        values = [b[key] for b in baseline if b.get(key) is not None]
        average = sum(values) / len(values) if values else None
        averages[key] = average
        value = today.get(key)
        if value is not None and average is not None and _unusual(kind, float(value), float(average)):
            unusual.append({"key": key, "label": label, "kind": kind, "value": value, "average": average,
                            "direction": "up" if value > average else "down"})
    return averages, unusual


def daily_report_build(*, day: date) -> DailyReport:
    """Build (or rebuild) the report of ``day`` and store it. Email state is kept."""
    figures = day_figures(day)
    baseline = [day_figures(day - timedelta(days=n)) for n in range(1, BASELINE_DAYS + 1)]
    averages, unusual = compare(figures, baseline)
    top_gaps = gaps(ReportRange("custom", day, day, now=timezone.now())).clusters[:5]
    html = render_to_string("reporting/daily_body.html", {
        "day": day, "f": figures, "averages": averages, "unusual": unusual, "compared": COMPARED,
        "gaps": top_gaps, "target": settings.ESCALATION_RATE_TARGET, "base_url": settings.PUBLIC_BASE_URL,
        "quiet_days": settings.AI_RESOLUTION_QUIET_DAYS,
    })
    figures["averages"] = averages
    figures["top_gaps"] = [{"question": g.label, "tickets": g.count} for g in top_gaps]
    with transaction.atomic():
        report, _ = DailyReport.objects.update_or_create(
            date=day, defaults={"html": html, "figures": _jsonable(figures), "unusual": _jsonable(unusual)})
    return report


def _jsonable(value: Any) -> Any:
    import json

    from django.core.serializers.json import DjangoJSONEncoder

    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def manager_addresses() -> list[str]:
    users = get_user_model().objects.filter(is_active=True, groups__name=MANAGERS_GROUP).exclude(email="")
    return sorted(set(users.values_list("email", flat=True)))


def daily_report_email(*, report: DailyReport, force: bool = False) -> bool:
    """Mail the report to the Support managers, once per date (``force`` sends again). True if sent."""
    recipients = manager_addresses()
    if not recipients:
        log.warning("daily report %s: no Support manager has an email address; not mailed", report.date)
        return False
    claimed = DailyReport.objects.filter(pk=report.pk)
    if not force:
        claimed = claimed.filter(emailed_at__isnull=True)
    if not claimed.update(emailed_at=timezone.now(), emailed_to=recipients):
        return False
    subject = f"Support daily report {report.date:%a %d %b %Y}"
    if report.unusual:
        subject += f" — {len(report.unusual)} unusual"
    html = render_to_string("reporting/daily_email.html", {"report": report})
    text = (f"{subject}\n\nThe report is best read as HTML, or at "
            f"{settings.PUBLIC_BASE_URL}/reports/daily/{report.date.isoformat()}/\n")
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, to=recipients)
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except Exception:
        DailyReport.objects.filter(pk=report.pk).update(emailed_at=None)  # the next run tries again
        raise
    report.refresh_from_db()
    return True
