"""The ticket lifecycle: opening, escalation, assignment, resolution, SLA breaches.

Every function is one business action in one transaction, keyword-only and typed.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from crm import sla
from crm.errors import AlreadyClaimed, IllegalTransition, InvalidInput
from crm.events import Topic
from crm.models import (
    PRIORITY_URGENCY,
    URGENCY_RANK,
    Conversation,
    Customer,
    EscalationReason,
    Priority,
    ResolutionType,
    Ticket,
    TicketEvent,
    TicketStatus,
    Urgency,
)
from crm.services.outbox import outbox_add
from crm.validation import check_channel

# The ticket lifecycle. A resolved ticket reopens when the customer writes again; a
# closed one never does (a new ticket is opened instead).
TRANSITIONS: dict[str, set[str]] = {
    TicketStatus.OPEN: {TicketStatus.IN_PROGRESS, TicketStatus.ESCALATED, TicketStatus.RESOLVED, TicketStatus.CLOSED},
    TicketStatus.IN_PROGRESS: {TicketStatus.ESCALATED, TicketStatus.RESOLVED, TicketStatus.CLOSED},
    TicketStatus.ESCALATED: {TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED, TicketStatus.CLOSED},
    TicketStatus.RESOLVED: {TicketStatus.OPEN, TicketStatus.ESCALATED, TicketStatus.CLOSED},
    TicketStatus.CLOSED: set(),
}


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
    check_channel(channel)
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
    can rise (the due time then moves sooner) but never fall. The ticket's priority (the
    one the customer chose on the form), when high or urgent, is a floor under ``urgency``
    (``PRIORITY_URGENCY``).
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
    # The priority the customer chose is the least urgency their ticket gets.
    floor = PRIORITY_URGENCY.get(ticket.priority)
    if floor is not None and URGENCY_RANK[floor] < URGENCY_RANK[urgency]:
        urgency = floor
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
