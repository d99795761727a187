"""Business actions on the CRM. One action, one transaction, keyword-only and typed.

Nothing else changes a ticket's status or a message's processing state. Side effects
that leave the database (Kafka, Celery) are written to the outbox inside the same
transaction, so they happen if and only if the data they announce was committed.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from crm import sla
from crm.errors import AlreadyClaimed, IllegalTransition, InvalidInput
from crm.events import CHANNEL_AUDIT_TOPIC, Topic
from crm.identity import normalise_email, normalise_phone
from crm.models import (
    URGENCY_RANK,
    AgentMetric,
    Author,
    Channel,
    Conversation,
    ConversationStatus,
    Customer,
    CustomerIdentifier,
    DeliveryStatus,
    Direction,
    EscalationReason,
    IdentifierKind,
    Message,
    Outcome,
    OutboxEvent,
    Priority,
    ProcessingState,
    ResolutionType,
    Ticket,
    TicketEvent,
    TicketStatus,
    Urgency,
)
from crm.text import storable_data, storable_text

MAX_CONTENT_CHARS = 100_000

# The ticket lifecycle. A resolved ticket reopens when the customer writes again; a
# closed one never does (a new ticket is opened instead).
TRANSITIONS: dict[str, set[str]] = {
    TicketStatus.OPEN: {TicketStatus.IN_PROGRESS, TicketStatus.ESCALATED, TicketStatus.RESOLVED, TicketStatus.CLOSED},
    TicketStatus.IN_PROGRESS: {TicketStatus.ESCALATED, TicketStatus.RESOLVED, TicketStatus.CLOSED},
    TicketStatus.ESCALATED: {TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED, TicketStatus.CLOSED},
    TicketStatus.RESOLVED: {TicketStatus.OPEN, TicketStatus.ESCALATED, TicketStatus.CLOSED},
    TicketStatus.CLOSED: set(),
}


def _check_channel(channel: str) -> str:
    if channel not in Channel.values:
        raise InvalidInput(
            f"Unknown channel {channel!r}; expected one of {', '.join(Channel.values)}.", field="channel"
        )
    return channel


# --- Outbox -----------------------------------------------------------------------------


def outbox_add(*, topic: str, key: str, payload: dict[str, Any]) -> OutboxEvent:
    """Queue an event for Kafka in the caller's transaction."""
    if topic not in Topic.ALL:
        raise InvalidInput(f"Unknown topic {topic!r}.", field="topic")
    return OutboxEvent.objects.create(topic=topic, key=key, payload=payload)


# --- Customers and conversations -----------------------------------------------------------


def _identifier_owner(kind: str, value: str) -> Customer | None:
    identifier = CustomerIdentifier.objects.select_related("customer").filter(kind=kind, value=value).first()
    return identifier.customer if identifier else None


def _link_identifier(customer: Customer, kind: str, value: str) -> None:
    # ON CONFLICT DO NOTHING: a last line of defence; the advisory locks taken in
    # customer_resolve already keep two resolutions of one value from overlapping.
    CustomerIdentifier.objects.bulk_create(
        [CustomerIdentifier(customer=customer, kind=kind, value=value)], ignore_conflicts=True
    )


def _identifier_lock_key(kind: str, value: str) -> int:
    """A stable signed 64-bit key for ``pg_advisory_xact_lock`` (Python's ``hash`` is salted per process)."""
    digest = hashlib.blake2b(f"customer-identifier\n{kind}\n{value}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _lock_identifiers(identifiers: list[tuple[str, str]]) -> None:
    """Serialise every resolution involving one of these identifiers until our transaction ends.

    Without it two webhooks from a new sender both miss the lookup (neither sees the
    other's uncommitted rows) and create two customers, or collide on the unique email.
    Keys are taken in one global order, so two resolutions that share two identifiers
    cannot deadlock. (One-bigint keys never collide with the two-int4 keys used elsewhere.)
    """
    with connection.cursor() as cursor:
        for key in sorted({_identifier_lock_key(kind, value) for kind, value in identifiers}):
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


@transaction.atomic
def customer_resolve(
    *, email: str | None = None, phone: str | None = None, name: str = "", claimed: bool = False
) -> Customer:
    """Find the customer behind an email and/or a phone number, or create them.

    ``claimed``: the identifiers were typed into a form, not proven by the channel (a
    WhatsApp number is proven by Twilio's signature, an address by our replies going to
    it). A claim finds a customer like any other contact, but it never adds an
    identifier, a name or an address to a customer who already existed: otherwise typing
    someone's address next to your own number would make your WhatsApp messages theirs.

    When one submission carries both and they belong to nobody yet, both are linked to
    one customer. When they already belong to two different customers we keep the
    email's owner (email is the cross-channel key) and do not merge silently: merging
    people is a decision for staff. Concurrent resolutions of one identifier are
    serialised: the lock is held until the caller's transaction commits, so the second
    finds what the first created.
    """
    norm_email = normalise_email(email) if email else None
    norm_phone = normalise_phone(phone) if phone else None
    name = storable_text(name or "")
    if not norm_email and not norm_phone:
        raise InvalidInput("An email address or a phone number is required to identify the customer.")
    _lock_identifiers(
        ([(IdentifierKind.EMAIL, norm_email)] if norm_email else [])
        + ([(IdentifierKind.PHONE, norm_phone)] if norm_phone else [])
    )

    by_email = _identifier_owner(IdentifierKind.EMAIL, norm_email) if norm_email else None
    email_linked = by_email is not None
    if norm_email and by_email is None:
        # Staff can type an address into a customer in the admin, which sets the field
        # but links no identifier. That customer owns the address all the same (and
        # creating another would break the unique email); rows typed by hand may differ
        # in case.
        by_email = Customer.objects.filter(email__iexact=norm_email).order_by("pk").first()
    by_phone = _identifier_owner(IdentifierKind.PHONE, norm_phone) if norm_phone else None
    customer = by_email or by_phone
    if customer is None:
        customer = Customer.objects.create(name=(name or "").strip()[:200], email=norm_email)
    elif claimed:
        if norm_email and not email_linked and by_email is not None:
            # The address is already this customer's (typed into the admin by staff).
            _link_identifier(customer, IdentifierKind.EMAIL, norm_email)
        return customer
    else:
        changed = []
        if name and not customer.name:
            customer.name = name.strip()[:200]
            changed.append("name")
        if norm_email and not customer.email and by_email is None:
            if not Customer.objects.filter(email=norm_email).exists():
                customer.email = norm_email
                changed.append("email")
        if changed:
            customer.save(update_fields=[*changed, "updated_at"])
    if norm_email and not email_linked:
        _link_identifier(customer, IdentifierKind.EMAIL, norm_email)
    if norm_phone and by_phone is None:
        _link_identifier(customer, IdentifierKind.PHONE, norm_phone)
    return customer


@transaction.atomic
def conversation_for(
    *, customer: Customer, channel: str, now: datetime | None = None, email_thread_id: str = ""
) -> Conversation:
    """The customer's active conversation, continued across channels, or a new one.

    A conversation stays active while the customer has written within
    ``CONVERSATION_WINDOW_HOURS``. An email reply in a known Gmail thread always
    returns to that thread's conversation.
    """
    _check_channel(channel)
    now = now or timezone.now()
    if email_thread_id:
        threaded = (
            Conversation.objects.select_for_update()
            .filter(customer=customer, email_thread_id=email_thread_id)
            .order_by("-last_message_at")
            .first()
        )
        if threaded:
            if threaded.status != ConversationStatus.ACTIVE:
                threaded.status = ConversationStatus.ACTIVE
                threaded.ended_at = None
                threaded.save(update_fields=["status", "ended_at"])
            return threaded
    window_start = now - timedelta(hours=settings.CONVERSATION_WINDOW_HOURS)
    active = (
        Conversation.objects.select_for_update()
        .filter(customer=customer, status=ConversationStatus.ACTIVE)
        .order_by("-last_message_at")
    )
    current = None
    for conversation in active:
        if current is None and conversation.last_message_at >= window_start:
            current = conversation
        else:
            # Stale: the customer went quiet. Close it so reports see where it ended.
            conversation.status = ConversationStatus.CLOSED
            conversation.ended_at = conversation.last_message_at
            conversation.save(update_fields=["status", "ended_at"])
    if current is None:
        current = Conversation.objects.create(
            customer=customer, initial_channel=channel, started_at=now, last_message_at=now
        )
    if email_thread_id and not current.email_thread_id:
        current.email_thread_id = email_thread_id
        current.save(update_fields=["email_thread_id"])
    return current


# --- Messages -------------------------------------------------------------------------------


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
    _check_channel(channel)
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

    existing = Message.objects.filter(channel=channel, provider_id=provider_id).first()
    if existing:
        return InboundResult(existing, created=False)

    now = received_at or timezone.now()
    customer = customer_resolve(email=email, phone=phone, name=name, claimed=claimed_identity)
    conversation = conversation_for(customer=customer, channel=channel, now=now, email_thread_id=email_thread_id)
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

    Conversation.objects.filter(pk=conversation.pk).update(last_message_at=now)
    event = {
        "event": "message.received",
        "message_id": message.pk,
        "customer_id": customer.pk,
        "conversation_id": conversation.pk,
        "channel": channel,
        "received_at": now.isoformat(),
    }
    key = str(customer.pk)
    outbox_add(topic=Topic.TICKETS_INCOMING, key=key, payload=event)
    outbox_add(topic=CHANNEL_AUDIT_TOPIC[channel], key=key, payload=event)
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
    _check_channel(channel)
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
    return message


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
        Message.objects.filter(pk=message_id).update(ticket=ticket)
    ticket = ticket_flag_failure(
        ticket=ticket, reason=EscalationReason.PROCESSING_FAILED,
        note=f"Automatic processing of message #{message_id} failed after retries; the customer may have no "
             f"answer yet. Error: {error[:500]}",
        failure={"message_id": message_id, "error": error[:1000]}, packet_key="processing_failures",
    )
    # Reports count failures too; a later successful replay replaces this row.
    metric, created = AgentMetric.objects.get_or_create(message=message, defaults=dict(
        ticket=ticket, channel=message.channel, outcome=Outcome.FAILED, latency_ms=message.latency_ms or 0,
        tokens_used=message.tokens_used or 0, escalation_reason=ticket.escalation_reason))
    if created:
        outbox_add(topic=Topic.METRICS, key=str(message.conversation.customer_id), payload={
            "event": "message.failed", "message_id": message_id, "ticket": ticket.reference,
            "channel": message.channel, "outcome": Outcome.FAILED, "escalation_reason": ticket.escalation_reason,
            "tokens_used": metric.tokens_used, "at": timezone.now().isoformat(),
        })
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


def _transition(ticket: Ticket, to_status: str, *, actor: AbstractBaseUser | None = None, **data: Any) -> None:
    if to_status not in TRANSITIONS.get(ticket.status, set()):
        raise IllegalTransition(
            f"Ticket {ticket.reference} cannot go from {ticket.status} to {to_status}.", field="status"
        )
    from_status = ticket.status
    ticket.status = to_status
    ticket._status_by_service = True
    TicketEvent.objects.create(
        ticket=ticket, kind=TicketEvent.Kind.STATUS, from_status=from_status, to_status=to_status, actor=actor, data=data
    )


def _locked(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


@transaction.atomic
def ticket_open(
    *,
    customer: Customer,
    conversation: Conversation,
    channel: str,
    subject: str = "",
    category: str = "",
    priority: str = Priority.MEDIUM,
) -> Ticket:
    """Open a new ticket in a conversation."""
    _check_channel(channel)
    if priority not in Priority.values:
        raise InvalidInput(f"Unknown priority {priority!r}; expected one of {', '.join(Priority.values)}.",
                           field="priority")
    if conversation.customer_id != customer.pk:
        raise InvalidInput("The conversation belongs to another customer.", field="conversation")
    ticket = Ticket.objects.create(
        customer=customer,
        conversation=conversation,
        source_channel=channel,
        subject=subject[:300],
        category=category[:40],
        priority=priority,
    )
    TicketEvent.objects.create(ticket=ticket, kind=TicketEvent.Kind.OPENED, to_status=ticket.status,
                               data={"channel": channel})
    return ticket


@transaction.atomic
def ticket_for_conversation(
    *, conversation: Conversation, channel: str, subject: str = "", category: str = "", priority: str = Priority.MEDIUM
) -> tuple[Ticket, bool]:
    """The conversation's current ticket, reopened if it was resolved, or a new one.

    Returns ``(ticket, created)``. This is what makes ``create_ticket`` safe to call on
    every message: a follow-up lands on the same ticket.
    """
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    current = (
        Ticket.objects.select_for_update()
        .filter(conversation=conversation)
        .exclude(status=TicketStatus.CLOSED)
        .order_by("-created_at")
        .first()
    )
    if current is not None:
        if current.status == TicketStatus.RESOLVED:
            _transition(current, TicketStatus.OPEN, reason="customer wrote again")
            current.resolved_at = None
            current.save(update_fields=["status", "resolved_at", "updated_at"])
        return current, False
    ticket = ticket_open(
        customer=conversation.customer,
        conversation=conversation,
        channel=channel,
        subject=subject,
        category=category,
        priority=priority,
    )
    return ticket, True


@transaction.atomic
def ticket_start(*, ticket: Ticket) -> Ticket:
    """The AI starts working an open ticket."""
    ticket = _locked(ticket)
    if ticket.status == TicketStatus.IN_PROGRESS:
        return ticket
    _transition(ticket, TicketStatus.IN_PROGRESS)
    ticket.save(update_fields=["status", "updated_at"])
    return ticket


@transaction.atomic
def ticket_escalate(
    *,
    ticket: Ticket,
    reason: str,
    urgency: str,
    summary: str,
    packet: dict[str, Any] | None = None,
    actor: AbstractBaseUser | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Hand a ticket to humans with the reason, urgency and a summary they can act on.

    Publishes ``fte.escalations`` through the outbox. Escalating an already escalated
    ticket updates the packet (more context) and keeps the earlier SLA clock; its urgency
    can rise (the due time then moves sooner) but never fall.
    """
    if reason not in EscalationReason.values:
        raise InvalidInput(f"Unknown escalation reason {reason!r}.", field="reason")
    if urgency not in Urgency.values:
        raise InvalidInput(f"Unknown urgency {urgency!r}; expected one of {', '.join(Urgency.values)}.",
                           field="urgency")
    if not summary.strip():
        raise InvalidInput("An escalation needs a summary for the human.", field="summary")
    now = now or timezone.now()
    ticket = _locked(ticket)
    already = ticket.status == TicketStatus.ESCALATED
    if not already:
        _transition(ticket, TicketStatus.ESCALATED, actor=actor, reason=reason)
        ticket.escalated_at = now
        ticket.sla_due_at = sla.sla_due_at(urgency=urgency, channel=ticket.source_channel, start=now)
        ticket.sla_breached_at = None
    elif URGENCY_RANK[urgency] > URGENCY_RANK.get(ticket.urgency, 9):
        urgency = ticket.urgency  # more context never makes a ticket less urgent
    elif URGENCY_RANK[urgency] < URGENCY_RANK.get(ticket.urgency, 9) and ticket.sla_due_at:
        # More urgent now: the clock that started at the escalation runs shorter.
        sooner = sla.sla_due_at(urgency=urgency, channel=ticket.source_channel, start=ticket.escalated_at or now)
        ticket.sla_due_at = min(ticket.sla_due_at, sooner)
    ticket.escalation_reason = reason
    ticket.urgency = urgency
    ticket.urgency_rank = URGENCY_RANK[urgency]
    ticket.escalation_summary = summary[:5000]
    # Escalating again adds context: what staff already had (which message escalated,
    # failures) stays unless the new packet says otherwise.
    ticket.escalation_packet = {**(ticket.escalation_packet or {}), **(packet or {})} if already else (packet or {})
    ticket.save()
    TicketEvent.objects.create(ticket=ticket, kind=TicketEvent.Kind.ESCALATED, actor=actor,
                               data={"reason": reason, "urgency": urgency, "again": already})
    outbox_add(
        topic=Topic.ESCALATIONS,
        key=str(ticket.customer_id),
        payload={
            "event": "ticket.escalated",
            "ticket_id": ticket.pk,
            "reference": ticket.reference,
            "reason": reason,
            "urgency": urgency,
            "channel": ticket.source_channel,
            "sla_due_at": ticket.sla_due_at.isoformat() if ticket.sla_due_at else None,
            "summary": ticket.escalation_summary,
        },
    )
    return ticket


@transaction.atomic
def ticket_flag_failure(*, ticket: Ticket, reason: str, note: str, failure: dict[str, Any], packet_key: str) -> Ticket:
    """Hand a ticket to a person because something failed (processing, delivery).

    An already escalated ticket keeps its reason, since staff work from it (a security
    incident whose notice could not be sent is still a security incident): the failure
    is added to its summary and packet and its urgency raised to at least high.
    """
    ticket = _locked(ticket)
    if ticket.status == TicketStatus.CLOSED:
        return ticket
    if ticket.status == TicketStatus.ESCALATED:
        packet = dict(ticket.escalation_packet or {})
        packet.setdefault(packet_key, []).append(failure)
        return ticket_escalate(ticket=ticket, reason=ticket.escalation_reason or reason, urgency=Urgency.HIGH,
                               summary=f"{ticket.escalation_summary}\n\n{note}".strip(), packet=packet)
    return ticket_escalate(ticket=ticket, reason=reason, urgency=Urgency.HIGH, summary=note,
                           packet={packet_key: [failure]})


@transaction.atomic
def ticket_assign(
    *, ticket: Ticket, assignee: AbstractBaseUser, actor: AbstractBaseUser | None = None, force: bool = False
) -> Ticket:
    """Give a ticket to a member of staff.

    Without ``force`` this is a claim: it succeeds only if nobody else holds the
    ticket, decided by one conditional UPDATE, so two staff clicking "assign to me"
    at once cannot both win.
    """
    if not getattr(assignee, "is_staff", False) or not assignee.is_active:
        raise InvalidInput(f"{assignee} is not active staff and cannot be assigned tickets.", field="assignee")
    now = timezone.now()
    query = Ticket.objects.filter(pk=ticket.pk).exclude(status=TicketStatus.CLOSED)
    if not force:
        query = query.filter(Q(assignee__isnull=True) | Q(assignee=assignee))
    if not query.update(assignee=assignee, assigned_at=now, updated_at=now):
        current = Ticket.objects.select_related("assignee").get(pk=ticket.pk)
        if current.status == TicketStatus.CLOSED:
            raise IllegalTransition(f"Ticket {current.reference} is closed.")
        raise AlreadyClaimed(f"Ticket {current.reference} is already assigned to {current.assignee}.")
    TicketEvent.objects.create(ticket_id=ticket.pk, kind=TicketEvent.Kind.ASSIGNED, actor=actor or assignee,
                               data={"assignee": assignee.pk, "force": force})
    return Ticket.objects.get(pk=ticket.pk)


@transaction.atomic
def ticket_hand_back(*, ticket: Ticket, actor: AbstractBaseUser | None = None) -> Ticket:
    """Staff give an escalated ticket back to the AI, which answers the next message."""
    ticket = _locked(ticket)
    _transition(ticket, TicketStatus.IN_PROGRESS, actor=actor, handed_back=True)
    ticket.assignee = None
    ticket.assigned_at = None
    ticket.save()
    TicketEvent.objects.create(ticket=ticket, kind=TicketEvent.Kind.HANDED_BACK, actor=actor)
    return ticket


@transaction.atomic
def ticket_resolve(
    *, ticket: Ticket, notes: str = "", by_ai: bool = False, actor: AbstractBaseUser | None = None
) -> Ticket:
    """Mark a ticket resolved (the customer has their answer)."""
    ticket = _locked(ticket)
    if ticket.status == TicketStatus.RESOLVED:
        return ticket
    _transition(ticket, TicketStatus.RESOLVED, actor=actor, by_ai=by_ai)
    ticket.resolved_at = timezone.now()
    if notes:
        ticket.resolution_notes = notes[:5000]
    ticket.save()
    Conversation.objects.filter(pk=ticket.conversation_id).update(
        resolution_type=ResolutionType.AI if by_ai else ResolutionType.HUMAN
    )
    return ticket


@transaction.atomic
def ticket_close(*, ticket: Ticket, notes: str = "", actor: AbstractBaseUser | None = None) -> Ticket:
    """Close a ticket for good; a later message from the customer opens a new one."""
    ticket = _locked(ticket)
    _transition(ticket, TicketStatus.CLOSED, actor=actor)
    ticket.closed_at = timezone.now()
    if notes:
        ticket.resolution_notes = notes[:5000]
    ticket.save()
    return ticket


@transaction.atomic
def ticket_mark_sla_breach(*, ticket: Ticket, now: datetime | None = None) -> Ticket | None:
    """Mark an overdue escalated ticket breached and raise its urgency. Idempotent."""
    now = now or timezone.now()
    ticket = _locked(ticket)
    if (
        ticket.status != TicketStatus.ESCALATED
        or ticket.sla_breached_at is not None
        or ticket.sla_due_at is None
        or ticket.sla_due_at > now
    ):
        return None
    ticket.sla_breached_at = now
    ticket.urgency = sla.raised_urgency(ticket.urgency or Urgency.NORMAL)
    ticket.urgency_rank = URGENCY_RANK[ticket.urgency]
    ticket.save(update_fields=["sla_breached_at", "urgency", "urgency_rank", "updated_at"])
    TicketEvent.objects.create(ticket=ticket, kind=TicketEvent.Kind.SLA_BREACHED, data={"urgency": ticket.urgency})
    outbox_add(
        topic=Topic.ESCALATIONS,
        key=str(ticket.customer_id),
        payload={
            "event": "ticket.sla_breached",
            "ticket_id": ticket.pk,
            "reference": ticket.reference,
            "urgency": ticket.urgency,
            "sla_due_at": ticket.sla_due_at.isoformat(),
        },
    )
    return ticket
