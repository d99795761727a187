"""Messages: inbound intake, outbound records, delivery state and processing claims.

Every function is one business action in one transaction, keyword-only and typed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from crm.errors import InvalidInput
from crm.events import CHANNEL_AUDIT_TOPIC, Topic
from crm.models import (
    Author,
    Channel,
    Conversation,
    Customer,
    DeliveryStatus,
    Direction,
    EscalationReason,
    Message,
    Outcome,
    ProcessingState,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from crm.services.conversations import conversation_continue
from crm.services.customers import customer_resolve
from crm.services.metrics import (
    RunFigures,
    agent_metric_record,
    agent_metric_reply_sent,
)
from crm.services.outbox import outbox_add, outbox_add_all
from crm.services.tickets import (
    ticket_flag_failure,
    ticket_for_conversation,
    ticket_customer_replied,
    ticket_hand_back,
)
from crm.text import storable_data, storable_text
from crm.validation import check_channel

MAX_CONTENT_CHARS = 100_000


@dataclass(frozen=True)
class InboundResult:
    message: Message
    created: bool


@transaction.atomic
def inbound_message_accept(
    *,
    channel: str,
    provider_id: str,
    content: str,
    email: str | None = None,
    phone: str | None = None,
    name: str = "",
    subject: str = "",
    metadata: dict[str, Any] | None = None,
    email_thread_id: str = "",
    ticket: Ticket | None = None,
    received_at: datetime | None = None,
    claimed_identity: bool = False,
) -> InboundResult:
    """Store one inbound message and queue it for the agent, exactly once per provider id.

    A second delivery of the same provider id returns the stored message with
    ``created=False`` and writes nothing. ``claimed_identity``: the sender's email and
    phone were typed in, not proven (see ``customer_resolve``).
    """
    check_channel(channel)
    provider_id = (provider_id or "").strip()
    if not provider_id:
        raise InvalidInput("A provider message id is required for idempotency.", field="provider_id")
    if len(provider_id) > 200 or storable_text(provider_id) != provider_id:
        # Not cleaned like the text below: a changed id would break exactly-once.
        raise InvalidInput("The provider message id is malformed.", field="provider_id")
    # Every channel arrives here, so this is where text PostgreSQL would refuse (NUL,
    # lone surrogates) is cleaned: one odd mail or webhook must not fail the intake.
    content = storable_text(content)
    subject = storable_text(subject)
    name = storable_text(name or "")
    email_thread_id = storable_text(email_thread_id)
    metadata = storable_data(metadata or {})
    if len(content) > MAX_CONTENT_CHARS:
        raise InvalidInput(f"The message is longer than {MAX_CONTENT_CHARS} characters.", field="content")

    # A unique lookup: no ORDER BY, only the id (the whole row only for the rare duplicate).
    if Message.objects.filter(channel=channel, provider_id=provider_id).order_by().values_list("pk", flat=True)[:1]:
        return InboundResult(Message.objects.get(channel=channel, provider_id=provider_id), created=False)

    now = received_at or timezone.now()
    customer = customer_resolve(email=email, phone=phone, name=name, claimed=claimed_identity)
    continued = conversation_continue(customer=customer, channel=channel, now=now, email_thread_id=email_thread_id)
    conversation = continued.conversation
    try:
        # A savepoint, so that losing a race to a concurrent duplicate leaves the
        # outer transaction usable.
        with transaction.atomic():
            message = Message.objects.create(
                conversation=conversation,
                ticket=ticket,
                channel=channel,
                direction=Direction.INBOUND,
                author=Author.CUSTOMER,
                subject=subject[:300],
                content=content,
                provider_id=provider_id,
                processing_state=ProcessingState.RECEIVED,
                metadata=metadata,
                created_at=now,
            )
    except IntegrityError:
        return InboundResult(Message.objects.get(channel=channel, provider_id=provider_id), created=False)

    zone = metadata.get("time_zone")
    if isinstance(zone, str) and zone and zone != customer.time_zone:
        Customer.objects.filter(pk=customer.pk).update(time_zone=zone[:64])
    if conversation.last_message_at != now:  # not a conversation conversation_continue just opened
        Conversation.objects.filter(pk=conversation.pk).update(last_message_at=now)
    # An answer to a ticket waiting on the customer (or on hold) puts it back in its
    # person's queue now, before the pipeline sees the message (which then holds it for them).
    if continued.may_be_held:
        ticket_customer_replied(conversation_id=conversation.pk, message_id=message.pk, now=now)
    event = {
        "event": "message.received",
        "message_id": message.pk,
        "customer_id": customer.pk,
        "conversation_id": conversation.pk,
        "channel": channel,
        "received_at": now.isoformat(),
    }
    key = str(customer.pk)
    outbox_add_all(events=[(Topic.TICKETS_INCOMING, key, event), (CHANNEL_AUDIT_TOPIC[channel], key, event)])
    return InboundResult(message, created=True)


@transaction.atomic
def outbound_message_record(
    *,
    ticket: Ticket,
    channel: str,
    content: str,
    author: str = Author.AGENT,
    staff_user: AbstractBaseUser | None = None,
    subject: str = "",
    metadata: dict[str, Any] | None = None,
    reply_to: Message | None = None,
) -> Message:
    """Record a reply before it is sent, so a crash after sending can never lose it.

    The sender later moves ``delivery_status`` on through ``message_delivery_update``.
    An AI reply to an inbound message is written once: asking again returns the first.
    """
    check_channel(channel)
    if reply_to is not None and author == Author.AGENT:
        earlier = Message.objects.filter(reply_to=reply_to, author=Author.AGENT).first()
        if earlier is not None:
            return earlier
    if author not in (Author.AGENT, Author.STAFF, Author.SYSTEM):
        raise InvalidInput(f"An outbound message cannot be written by {author!r}.", field="author")
    if not content.strip():
        raise InvalidInput("A reply cannot be empty.", field="content")
    message = Message.objects.create(
        conversation_id=ticket.conversation_id,
        ticket=ticket,
        channel=channel,
        direction=Direction.OUTBOUND,
        author=author,
        staff_user=staff_user,
        subject=subject[:300],
        content=content,
        delivery_status=DeliveryStatus.PENDING,
        reply_to=reply_to,
        metadata=metadata or {},
    )
    if ticket.first_response_at is None:
        Ticket.objects.filter(pk=ticket.pk, first_response_at__isnull=True).update(first_response_at=message.created_at)
    TicketEvent.objects.create(ticket_id=ticket.pk, kind=TicketEvent.Kind.REPLIED, actor=staff_user,
                               data={"message_id": message.pk, "author": author, "channel": channel})
    Conversation.objects.filter(pk=ticket.conversation_id).update(last_message_at=message.created_at)
    return message


# Delivery states only move forward, so a late "sent" callback cannot undo "delivered".
_DELIVERY_ORDER = {
    DeliveryStatus.PENDING: 0,
    DeliveryStatus.QUEUED: 1,
    DeliveryStatus.SENT: 2,
    DeliveryStatus.DELIVERED: 3,
    DeliveryStatus.READ: 4,
    DeliveryStatus.SANDBOX: 5,
    DeliveryStatus.UNDELIVERED: 5,
    DeliveryStatus.FAILED: 5,
}


@transaction.atomic
def message_delivery_update(
    *,
    message: Message,
    status: str,
    provider_id: str | None = None,
    error_code: str = "",
    metadata: dict[str, Any] | None = None,
) -> Message:
    """Move an outbound message's delivery status forward (never backward)."""
    if status not in _DELIVERY_ORDER:
        raise InvalidInput(f"Unknown delivery status {status!r}.", field="status")
    message = Message.objects.select_for_update().get(pk=message.pk)
    fields = []
    if _DELIVERY_ORDER[status] >= _DELIVERY_ORDER.get(message.delivery_status, 0):
        message.delivery_status = status
        fields.append("delivery_status")
    if provider_id and not message.provider_id:
        message.provider_id = provider_id
        fields.append("provider_id")
    if error_code:
        message.delivery_error_code = error_code[:40]
        fields.append("delivery_error_code")
    if status in (DeliveryStatus.SENT, DeliveryStatus.SANDBOX, DeliveryStatus.QUEUED, DeliveryStatus.DELIVERED) \
            and message.sent_at is None:
        message.sent_at = timezone.now()
        fields.append("sent_at")
    if metadata:
        message.metadata = {**message.metadata, **metadata}
        fields.append("metadata")
    if fields:
        message.save(update_fields=fields)
    if "sent_at" in fields:
        agent_metric_reply_sent(reply=message)
    return message


def web_replies_mark_shown(*, ticket: Ticket, now: datetime | None = None) -> list[int]:
    """The support page has just shown this ticket's web-form replies to the customer.

    Records when (``metadata.shown_on_page_at``) and moves replies the sender already
    handled ("queued": on the page only; "sent": emailed too) to "delivered": for the web
    form, "delivered" means the customer's page displayed it. A reply still "pending"
    keeps its state, so the delivery task still emails it; it becomes "delivered" then.
    Returns the ids changed. Cheap when there is nothing to mark (one indexed query).
    """
    now = now or timezone.now()
    unseen = Message.objects.filter(
        Q(delivery_status__in=[DeliveryStatus.QUEUED, DeliveryStatus.SENT])
        | Q(delivery_status=DeliveryStatus.PENDING) & ~Q(metadata__has_key="shown_on_page_at"),
        ticket=ticket, channel=Channel.WEB_FORM, direction=Direction.OUTBOUND,
    )
    changed = []
    for message in unseen:
        shown = {"shown_on_page_at": (message.metadata or {}).get("shown_on_page_at") or now.isoformat()}
        status = message.delivery_status if message.delivery_status == DeliveryStatus.PENDING \
            else DeliveryStatus.DELIVERED
        message_delivery_update(message=message, status=status, metadata=shown)
        changed.append(message.pk)
    return changed


def message_attach_to_ticket(*, message: Message, ticket: Ticket, only_if_unattached: bool = False) -> bool:
    """File a message under a ticket. With ``only_if_unattached`` a message already filed stays where it is.

    True if the message was changed.
    """
    rows = Message.objects.filter(pk=message.pk)
    if only_if_unattached:
        rows = rows.filter(ticket__isnull=True)
    changed = bool(rows.update(ticket=ticket))
    if changed:
        message.ticket = ticket
    return changed


def outbound_messages_withdraw(*, message_ids: list[int]) -> list[int]:
    """Delete replies that were recorded but never handed to a channel; returns the ids withdrawn.

    Governance withdraws answers the rules do not allow; a reply already on its way
    (any state past "pending") is history and stays.
    """
    withdrawn = Message.objects.filter(pk__in=message_ids, direction=Direction.OUTBOUND,
                                       delivery_status=DeliveryStatus.PENDING)
    ids = list(withdrawn.values_list("pk", flat=True))
    withdrawn.delete()
    return ids


def message_record_run(*, message_id: int, tokens_used: int, tool_calls: list[dict[str, Any]] | None = None) -> None:
    """Keep what an agent run cost (and, once governed, its audit trail) before the work goes on,
    so a retry after a later failure reuses them instead of paying again."""
    updates: dict[str, Any] = {"tokens_used": tokens_used}
    if tool_calls is not None:
        updates["tool_calls"] = tool_calls
    Message.objects.filter(pk=message_id).update(**updates)


def message_claim(*, message_id: int, lease_seconds: int | None = None) -> bool:
    """Claim an inbound message for processing. True only for the one who got it.

    A conditional UPDATE: a duplicate delivery finds the row already claimed and does
    nothing. The claim is a lease, so if the worker holding it dies, the redelivered
    task can claim it again once the lease has run out.
    """
    now = timezone.now()
    lease = lease_seconds if lease_seconds is not None else settings.PROCESSING_LEASE_SECONDS
    claimable = Q(processing_state=ProcessingState.RECEIVED) | Q(
        processing_state=ProcessingState.PROCESSING, claimed_until__lt=now
    )
    return bool(
        Message.objects.filter(claimable, pk=message_id, direction=Direction.INBOUND).update(
            processing_state=ProcessingState.PROCESSING,
            claimed_until=now + timedelta(seconds=lease),
            attempts=F("attempts") + 1,
        )
    )


def message_finish(
    *,
    message_id: int,
    state: str,
    latency_ms: int | None = None,
    tokens_used: int | None = None,
    tool_calls: list[dict[str, Any]] | None = None,
    error: str = "",
) -> None:
    """Record how processing an inbound message ended."""
    if state not in (ProcessingState.PROCESSED, ProcessingState.SKIPPED, ProcessingState.FAILED):
        raise InvalidInput(f"{state!r} is not a final processing state.", field="state")
    updates: dict[str, Any] = {"processing_state": state, "processed_at": timezone.now(), "claimed_until": None}
    if latency_ms is not None:
        updates["latency_ms"] = latency_ms
    if tokens_used is not None:
        updates["tokens_used"] = tokens_used
    if tool_calls is not None:
        updates["tool_calls"] = tool_calls
    if error:
        updates["last_error"] = error[:5000]
    Message.objects.filter(pk=message_id).update(**updates)


def message_record_error(*, message_id: int, error: str) -> None:
    """Remember why an attempt failed and release the claim, so the retry can claim it."""
    Message.objects.filter(pk=message_id, processing_state=ProcessingState.PROCESSING).update(
        last_error=error[:5000], processing_state=ProcessingState.RECEIVED, claimed_until=None
    )


@transaction.atomic
def message_fail(*, message_id: int, error: str, dlq_record: dict[str, Any] | None = None) -> Message | None:
    """Give up on an inbound message after its retries: mark it failed, dead-letter it,
    and hand its ticket to a human so the customer is not left waiting."""
    message = Message.objects.select_for_update(of=("self",)).select_related("ticket", "conversation").filter(
        pk=message_id).first()
    if message is None:
        return None
    message.processing_state = ProcessingState.FAILED
    message.claimed_until = None
    message.last_error = error[:5000]
    message.processed_at = timezone.now()
    message.save(update_fields=["processing_state", "claimed_until", "last_error", "processed_at"])
    outbox_add(topic=Topic.DLQ, key=str(message.conversation.customer_id),
               payload=dlq_record or {"stage": "task", "message_id": message_id, "error": error[:2000]})
    ticket = message.ticket
    if ticket is None:
        ticket, _ = ticket_for_conversation(conversation=message.conversation, channel=message.channel)
        message_attach_to_ticket(message=message, ticket=ticket)
    ticket = ticket_flag_failure(
        ticket=ticket, reason=EscalationReason.PROCESSING_FAILED,
        note=f"Automatic processing of message #{message_id} failed after retries; the customer may have no "
             f"answer yet. Error: {error[:500]}",
        failure={"message_id": message_id, "error": error[:1000]}, packet_key="processing_failures",
    )
    # Reports count failures too; a later successful replay replaces this row.
    agent_metric_record(message=message, ticket=ticket, outcome=Outcome.FAILED,
                        escalation_reason=ticket.escalation_reason,
                        figures=RunFigures(latency_ms=message.latency_ms or 0, tokens_used=message.tokens_used or 0))
    return message


def message_extend_lease(*, message_id: int, lease_seconds: int | None = None) -> None:
    """Keep a live worker's claim: called as the run makes progress (each tool call, delivery),
    so a long run is not mistaken for a dead worker's and processed a second time."""
    lease = lease_seconds if lease_seconds is not None else settings.PROCESSING_LEASE_SECONDS
    Message.objects.filter(pk=message_id, processing_state=ProcessingState.PROCESSING).update(
        claimed_until=timezone.now() + timedelta(seconds=lease))


@transaction.atomic
def message_requeue(*, message_id: int) -> bool:
    """Put a failed inbound message back in the queue (DLQ replay). True if it was failed.

    Replaying re-opens the automatic path: a ticket that was escalated only because
    processing failed, and that no one on staff has picked up, goes back to the AI.
    """
    requeued = bool(
        # A replayed message starts its attempts afresh (the stalled-message sweep counts them).
        Message.objects.filter(pk=message_id, processing_state=ProcessingState.FAILED).update(
            processing_state=ProcessingState.RECEIVED, claimed_until=None, attempts=0
        )
    )
    if requeued:
        ticket = Ticket.objects.filter(messages__pk=message_id, status=TicketStatus.ESCALATED,
                                       escalation_reason=EscalationReason.PROCESSING_FAILED,
                                       assignee__isnull=True).first()
        if ticket is not None:
            ticket_hand_back(ticket=ticket)
    return requeued


# --- Tickets ----------------------------------------------------------------------------------
