"""Staff replies from the human desk: format, record, then hand to the delivery task.

The path is the same as for AI replies: the reply is recorded first (one transaction,
delivery status "pending"), and once that transaction has committed it is handed to
``channels_app.deliver_message``, which sends it through the channel's sender outside
any transaction and retries transient failures with back-off.

Replying claims the ticket for the replying member of staff when nobody holds it, and
refuses when someone else does: two people answering one customer at once is exactly
what the atomic claim exists to prevent.

A reply is the first human response when it is the first since the escalation (the
first-response target is met and the resolution target starts), and it moves the ticket
on: to waiting on the customer unless the member of staff chose on hold, still needing a
reply, or resolved (``crm.services.ticket_staff_replied``). Waiting or on hold, the
ticket is still that person's: the AI keeps out of the conversation
(``crm.selectors.human_owns_conversation``) and the customer's answer comes back to them.
"""
from __future__ import annotations

import logging

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from agent_app.formatting import SIGNATURE_NAME, format_for_channel
from agent_app.language import detect as detect_language
from channels_app.enqueue import enqueue_delivery
from crm import selectors, services
from crm.errors import IllegalTransition, InvalidInput
from crm.models import (
    HUMAN_STATUSES,
    Author,
    Channel,
    DeliveryStatus,
    Direction,
    IdentifierKind,
    Message,
    Ticket,
    TicketStatus,
)

log = logging.getLogger(__name__)

MAX_REPLY_CHARS = 10_000


def staff_signer(user: AbstractBaseUser) -> str:
    """How a staff reply is signed: "Maya from Loomline Support", or the team name alone."""
    first = (getattr(user, "first_name", "") or "").strip().split()
    return f"{first[0][:40]} from {SIGNATURE_NAME}" if first else SIGNATURE_NAME


def _last_inbound(ticket: Ticket, channel: str | None = None) -> Message | None:
    inbound = Message.objects.filter(conversation_id=ticket.conversation_id, direction=Direction.INBOUND)
    if channel:
        inbound = inbound.filter(channel=channel)
    return inbound.order_by("-created_at", "-id").first()


def reply_channels(*, ticket: Ticket) -> list[str]:
    """The channels a reply on this ticket can reach the customer on.

    The channels the customer wrote on in this conversation, the ticket's own channel,
    and email whenever we know their address (email reaches them from anywhere).
    """
    used = set(
        Message.objects.filter(conversation_id=ticket.conversation_id, direction=Direction.INBOUND)
        .values_list("channel", flat=True)
        .distinct()
    )
    used.add(ticket.source_channel)
    if ticket.customer.email or ticket.customer.identifiers.filter(kind=IdentifierKind.EMAIL).exists():
        used.add(Channel.EMAIL)
    return [c for c in Channel.values if c in used]


def default_reply_channel(*, ticket: Ticket) -> str:
    """Where the customer last wrote in this conversation; the ticket's channel otherwise."""
    last = _last_inbound(ticket)
    return last.channel if last else ticket.source_channel


def staff_reply_send(*, ticket: Ticket, user: AbstractBaseUser, text: str, channel: str | None = None,
                     status: str = TicketStatus.PENDING) -> Message:
    """Send a staff member's reply to the customer of a ticket a person owns.

    Formats ``text`` for the channel (``format_for_channel``, signed with the staff
    member's first name), records it as a staff message, claims the ticket for ``user``
    if it is unassigned, and after the commit hands it to the delivery task.
    ``channel`` defaults to where the customer last wrote. The ticket then moves to
    ``status`` (waiting on the customer unless told otherwise; see ``ticket_staff_replied``).

    Raises ``InvalidInput`` (empty reply, unreachable channel, a status staff cannot
    choose), ``IllegalTransition`` (no person owns the ticket) or ``AlreadyClaimed`` (another member of staff holds it).
    Returns the message as recorded (its delivery state moves on as the task works).
    """
    text = (text or "").strip()
    if not text:
        raise InvalidInput("Write a reply before sending.", field="text")
    if len(text) > MAX_REPLY_CHARS:
        raise InvalidInput(f"The reply is longer than {MAX_REPLY_CHARS} characters.", field="text")

    with transaction.atomic():
        # Lock the ticket (not its customer) so a concurrent claim or reassignment waits.
        ticket = Ticket.objects.select_for_update(of=("self",)).select_related("customer").get(pk=ticket.pk)
        if ticket.status not in HUMAN_STATUSES:
            raise IllegalTransition(
                f"Ticket {ticket.reference} is {ticket.get_status_display().lower()}: staff reply from the desk only "
                "while a person owns the ticket (escalated, waiting on the customer or on hold).",
                field="status",
            )
        if ticket.assignee_id != user.pk:
            # Unassigned: this claims it. Someone else's: AlreadyClaimed, nothing written.
            services.ticket_assign(ticket=ticket, assignee=user, actor=user)

        channel = channel or default_reply_channel(ticket=ticket)
        if channel not in reply_channels(ticket=ticket):
            raise InvalidInput(f"The customer cannot be reached on {channel!r} for this ticket.", field="channel")
        try:
            formatted = format_for_channel(
                text,
                channel=channel,
                customer_name=selectors.greeting_name(ticket=ticket, channel=channel),
                ticket_reference=ticket.reference,
                signer=staff_signer(user),
                language=detect_language(text),  # greeted and signed off in the language staff wrote in
            )
        except ValueError as exc:
            raise InvalidInput(f"Nothing left to send after formatting: {exc}.", field="text") from None

        answered = _last_inbound(ticket, channel)
        metadata = {"in_reply_to_message": answered.pk} if answered else {}
        message = services.outbound_message_record(
            ticket=ticket,
            channel=channel,
            content=formatted,
            author=Author.STAFF,
            staff_user=user,
            subject=answered.subject if answered and channel == Channel.EMAIL else "",
            metadata=metadata,
        )
        services.ticket_staff_replied(ticket=ticket, actor=user, status=status)
        message_id = message.pk
        # The one delivery path: the delivery task sends it, with its own retries.
        transaction.on_commit(lambda: enqueue_delivery(message_id))
    message.refresh_from_db()
    return message


def staff_reply_retry(*, ticket: Ticket) -> list[int]:
    """Hand the ticket's staff replies that are still pending to the delivery task again.

    Delivery is idempotent and locked per message, so a reply already on its way is
    not sent twice. Returns the ids handed over.
    """
    pending = list(Message.objects.filter(
        ticket_id=ticket.pk, author=Author.STAFF, direction=Direction.OUTBOUND, delivery_status=DeliveryStatus.PENDING
    ).order_by("created_at", "id").values_list("pk", flat=True))
    for message_id in pending:
        enqueue_delivery(message_id)
    return pending
