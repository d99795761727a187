"""CRM work for the human desk in the background: SLA breaches, closing tickets that
waited too long on the customer, and telling staff a ticket reached the desk.

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
from crm.models import HUMAN_STATUSES, REASON_TEAM, Ticket, TicketStatus

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
        Ticket.objects.filter(status__in=HUMAN_STATUSES, sla_paused_at__isnull=True, sla_breached_at__isnull=True,
                              sla_due_at__lte=now)
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


@shared_task(name="crm.close_stale_pending", ignore_result=True)
def close_stale_pending() -> list[str]:
    """Close tickets that waited on the customer longer than ``TICKET_AUTO_CLOSE_PENDING_DAYS``."""
    return [t.reference for t in services.tickets_close_stale_pending()]


SUPPORT_STAFF_GROUP = "Support staff"


def escalation_recipients(ticket: Ticket) -> list[str]:
    """Who hears about a ticket reaching the desk: its assignee, else every active member of
    "Support staff" with an address, else ``STAFF_NOTIFY_EMAIL``."""
    from django.contrib.auth import get_user_model

    if ticket.assignee_id and ticket.assignee.is_active and ticket.assignee.email:
        return [ticket.assignee.email]
    members = (get_user_model().objects.filter(is_active=True, is_staff=True, groups__name=SUPPORT_STAFF_GROUP)
               .exclude(email="").values_list("email", flat=True).distinct())
    return sorted(set(members)) or [settings.STAFF_NOTIFY_EMAIL]


def escalation_email(ticket: Ticket, *, why: str) -> tuple[str, str]:
    """Subject and body of the notice: the reason in words, who handles it, when it is due, the link."""
    reason = ticket.get_escalation_reason_display() or "Escalated"
    team = REASON_TEAM.get(ticket.escalation_reason, "")
    due = (f"due {timezone.localtime(ticket.sla_due_at):%a %d %b %H:%M %Z}" if ticket.sla_due_at else "no due time")
    if why == "customer_replied":
        subject = f"{ticket.reference}: {ticket.customer} replied"
        opening = f"{ticket.customer} answered on {ticket.reference}; it is back in your queue."
    else:
        subject = f"{ticket.reference}: {reason} ({ticket.get_urgency_display() or 'normal'}) needs a person"
        opening = f"A ticket was escalated to the desk: {reason}{' — ' + team if team else ''}."
    body = (f"{opening}\n\n"
            f"Customer: {ticket.customer}\nSubject: {ticket.subject or '(no subject)'}\n"
            f"Urgency: {ticket.get_urgency_display() or '—'}, {due}\n"
            f"Assigned to: {ticket.assignee or 'nobody yet'}\n\n"
            f"{(ticket.escalation_summary or '').strip()[:800]}\n\n"
            f"Open it: {links.ticket_url(ticket_id=ticket.pk)}\n")
    return subject, body


@shared_task(bind=True, name="crm.escalation_notify", max_retries=5, ignore_result=True)
def escalation_notify(self, ticket_id: int, why: str = "escalated") -> int:  # type: ignore[no-untyped-def]
    """Email staff that a ticket reached the desk (``why``: "escalated" or "customer_replied").

    One message per recipient (addresses are not shared). A ticket that has left the
    desk by the time this runs is skipped. Returns the number of emails sent.
    """
    from django.core.mail import EmailMessage, get_connection

    ticket = Ticket.objects.select_related("customer", "assignee").filter(pk=ticket_id).first()
    if ticket is None or ticket.status != TicketStatus.ESCALATED:
        return 0
    subject, body = escalation_email(ticket, why=why)
    try:
        with get_connection() as connection:
            return connection.send_messages([
                EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address], connection=connection)
                for address in escalation_recipients(ticket)]) or 0
    except (smtplib.SMTPException, OSError) as exc:
        raise self.retry(exc=exc, countdown=min(60 * 2 ** self.request.retries, 900))
