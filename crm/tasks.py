"""Periodic CRM work for the human desk: marking SLA breaches.

Beat runs ``crm.mark_sla_breaches`` every minute. Each breach is marked once
(``services.ticket_mark_sla_breach`` locks the row and checks it is not marked yet), which
also raises the ticket's urgency and announces it on ``fte.escalations`` through the
outbox. Staff get one email per run listing the tickets that breached in it, each linked
to its page (``crm.links``: the desk's queue page when the desk is installed).
"""
from __future__ import annotations

import logging
import smtplib
from datetime import datetime

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from crm import links, services
from crm.models import Ticket, TicketStatus

log = logging.getLogger(__name__)

# One run marks at most this many; the next run, a minute later, takes the rest.
BATCH_SIZE = 500


def sla_breaches_mark(*, now: datetime | None = None, limit: int = BATCH_SIZE) -> list[Ticket]:
    """Mark every escalated ticket whose SLA ran out and that is not marked yet.

    Returns the tickets marked by this call. Safe to run concurrently with itself: a
    ticket another run marked first is skipped (the service returns ``None``).
    """
    now = now or timezone.now()
    overdue = (
        Ticket.objects.filter(status=TicketStatus.ESCALATED, sla_breached_at__isnull=True, sla_due_at__lte=now)
        .order_by("sla_due_at", "id")
        .only("pk")[:limit]
    )
    marked = []
    for candidate in overdue:
        ticket = services.ticket_mark_sla_breach(ticket=candidate, now=now)
        if ticket is not None:
            marked.append(ticket)
    return marked


def sla_breach_notify(*, ticket_ids: list[int]) -> int:
    """Email staff one message listing the breached tickets. Returns the number of emails sent."""
    tickets = list(
        Ticket.objects.filter(pk__in=ticket_ids).select_related("customer", "assignee").order_by("urgency_rank",
                                                                                               "sla_due_at")
    )
    if not tickets:
        return 0
    lines = []
    for t in tickets:
        owner = str(t.assignee) if t.assignee_id else "unassigned"
        lines.append(
            f"- {t.reference} · {t.get_urgency_display() or '—'} · {t.get_source_channel_display()} · "
            f"{t.customer} · {t.get_escalation_reason_display() or '—'} · due "
            f"{timezone.localtime(t.sla_due_at):%Y-%m-%d %H:%M %Z} · {owner}\n  {links.ticket_url(ticket_id=t.pk)}"
        )
    count = len(tickets)
    subject = f"SLA breached: {count} escalated ticket{'s' if count != 1 else ''} past due"
    body = (
        f"{'This ticket has' if count == 1 else 'These tickets have'} waited longer than the SLA allows. "
        "Their urgency was raised one step.\n\n" + "\n".join(lines) + "\n"
    )
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [settings.STAFF_NOTIFY_EMAIL])


@shared_task(bind=True, name="crm.mark_sla_breaches", max_retries=5, ignore_result=True)
def mark_sla_breaches(self, notify_ids: list[int] | None = None) -> list[str]:  # type: ignore[no-untyped-def]
    """Mark SLA breaches and email staff about the new ones. Idempotent.

    A breach is marked (and published to ``fte.escalations``) whether or not the email
    gets out; if the mail server refuses, the task retries the email for exactly those
    tickets (``notify_ids``) instead of losing it, and marks any newer breaches too.
    """
    marked = sla_breaches_mark()
    ids = list(dict.fromkeys([*(notify_ids or []), *(t.pk for t in marked)]))
    if ids:
        try:
            sla_breach_notify(ticket_ids=ids)
        except (smtplib.SMTPException, OSError) as exc:
            log.warning("SLA breach email for %d ticket(s) failed: %s; retrying", len(ids), exc)
            raise self.retry(exc=exc, kwargs={"notify_ids": ids}, countdown=min(60 * 2 ** self.request.retries, 900))
    return [t.reference for t in marked]
