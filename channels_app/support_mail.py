"""Emails to web-form customers, through Django's email backend (console in ``make run``).

Two kinds: a notice of each reply on their ticket (sent by the web form's sender, in the
one delivery path), and the links to their open tickets when they ask "find my request".
Both carry signed links (``channels_app.support_links``) and speak the customer's words
for a ticket's status, never the desk's.
"""
from __future__ import annotations

import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage

from channels_app.support_links import ticket_page_url
from crm import selectors
from crm.models import Author, Message, Ticket, TicketStatus

log = logging.getLogger(__name__)

#: How a ticket's status reads to a customer (the support page uses the same words).
CUSTOMER_STATUS_LABELS: dict[str, str] = {
    TicketStatus.OPEN: "Received",
    TicketStatus.IN_PROGRESS: "In progress",
    TicketStatus.ESCALATED: "With our support team",
    TicketStatus.PENDING: "Waiting for your reply",
    TicketStatus.ON_HOLD: "With our support team",
    TicketStatus.RESOLVED: "Solved",
    TicketStatus.CLOSED: "Closed",
}

_AUTHOR_WORDS = {Author.AGENT: "Our support assistant", Author.STAFF: "Our support team"}
SIGN_OFF = "— Loomline Support"


class MailNotSent(Exception):
    """The email backend refused or could not be reached (worth retrying)."""


def customer_status_label(status: str) -> str:
    return CUSTOMER_STATUS_LABELS.get(status, "In progress")


def _send(*, to: str, subject: str, body: str, headers: dict[str, str] | None = None) -> None:
    mail = EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[to],
                        headers=headers or {})
    try:
        mail.send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as exc:
        raise MailNotSent(f"{type(exc).__name__}: {exc}") from exc


def _link_note() -> str:
    days = settings.SUPPORT_LINK_MAX_AGE_DAYS
    return (f"The link works for {days} days. For a new one, use \"Find my request\" on "
            f"{settings.PUBLIC_BASE_URL}/support/.")


def reply_notice_send(*, message: Message) -> str:
    """Email the customer a reply on their web-form ticket, with a link to the ticket page.

    Returns the address it went to. Raises ``MailNotSent`` when the backend failed (the
    caller retries) and ``ValueError`` when the ticket has no address to write to.
    """
    ticket: Ticket = message.ticket
    to = selectors.web_form_address(ticket=ticket)
    if not to:
        raise ValueError(f"ticket {ticket.reference} has no email address to notify")
    who = _AUTHOR_WORDS.get(message.author, "We")
    subject = f"[{ticket.reference}] New reply: {ticket.subject or 'your support request'}"[:200]
    body = "\n".join([
        f"{who} replied to your request \"{ticket.subject}\" ({ticket.reference}):",
        "",
        message.content.strip(),
        "",
        ("See the whole conversation, and tell us whether this solved it, on your ticket page:"
         if message.author == Author.AGENT else "See the whole conversation on your ticket page:"),
        ticket_page_url(reference=ticket.reference),
        "",
        _link_note(),
        "",
        SIGN_OFF,
    ])
    _send(to=to, subject=subject, body=body,
          headers={"X-Loomline-Ticket": ticket.reference, "Auto-Submitted": "auto-generated"})
    return to


def open_tickets_links_send(*, email: str) -> int:
    """Email ``email`` the links of its open web-form tickets; returns how many.

    Sends nothing when there are none: the request that asked cannot tell the difference
    (it is answered the same either way), and we do not mail strangers about nothing.
    """
    tickets = selectors.web_form_open_tickets(email=email)
    if not tickets:
        log.info("find my request: no open web-form tickets for this address; nothing sent")
        return 0
    lines = ["Here are your open requests with Loomline support:", ""]
    for ticket in tickets:
        lines += [f"{ticket.reference} · {ticket.subject or 'Support request'} · {customer_status_label(ticket.status)}",
                  ticket_page_url(reference=ticket.reference), ""]
    lines += [_link_note(), "", "If you did not ask for this email, you can ignore it.", "", SIGN_OFF]
    _send(to=email, subject="Your open requests with Loomline support", body="\n".join(lines),
          headers={"Auto-Submitted": "auto-generated"})
    return len(tickets)
