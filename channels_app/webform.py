"""The web support form: one submission, one stored message, one new ticket.

Unlike email and WhatsApp, where the agent finds or opens the ticket later, the form
promises the customer a ticket number at once, so the ticket is opened in the same
transaction as the message (the agent's ``create_ticket`` then finds it).
"""
from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from crm import services
from crm.identity import normalise_email
from crm.models import Channel, Message, Ticket

CATEGORIES = ("general", "technical", "billing", "account", "integrations", "bug")
PRIORITIES = ("low", "medium", "high")


@dataclass(frozen=True)
class Submission:
    ticket: Ticket
    message: Message
    created: bool


def submission_provider_id(*, email: str, idempotency_key: str | None) -> str:
    """The provider id of a submission. A client's ``Idempotency-Key`` is scoped to the
    email address, so one person's key can never return another person's ticket."""
    if not idempotency_key:
        return f"webform-{uuid.uuid4().hex}"
    digest = hashlib.sha256(f"{normalise_email(email)}\n{idempotency_key}".encode()).hexdigest()[:40]
    return f"webform-key-{digest}"


@transaction.atomic
def webform_submit(
    *,
    name: str,
    email: str,
    subject: str,
    category: str,
    priority: str,
    message: str,
    phone: str = "",
    time_zone: str = "",
    idempotency_key: str | None = None,
    client: dict[str, Any] | None = None,
) -> Submission:
    """Store a support-form submission and open its ticket. A repeated ``idempotency_key``
    (the browser retrying after a lost response) returns the first ticket. ``time_zone``:
    the browser's IANA zone, so times in replies can be given in the customer's own."""
    provider_id = submission_provider_id(email=email, idempotency_key=idempotency_key)
    accepted = services.inbound_message_accept(
        channel=Channel.WEB_FORM,
        provider_id=provider_id,
        content=message,
        email=email,
        phone=phone or None,
        name=name,
        subject=subject,
        metadata={"category": category, "priority": priority, "form": "support", **({"client": client} if client
                                                                                   else {}),
                  # What was typed: the reply greets by this name, and staff see the phone
                  # (not linked when the address is a known customer's).
                  "name": name, **({"phone": phone} if phone else {}),
                  # Where the replies are emailed (with a link back to the ticket page).
                  "email": normalise_email(email),
                  **({"time_zone": time_zone} if time_zone else {})},
        claimed_identity=True,  # anyone can type any address into a public form
    )
    stored = accepted.message
    if not accepted.created and stored.ticket_id:
        return Submission(ticket=stored.ticket, message=stored, created=False)
    conversation = stored.conversation
    ticket = services.ticket_open(
        customer=conversation.customer,
        conversation=conversation,
        channel=Channel.WEB_FORM,
        subject=subject,
        category=category,
        priority=priority,
    )
    services.message_attach_to_ticket(message=stored, ticket=ticket)
    return Submission(ticket=ticket, message=stored, created=accepted.created)
