"""The ticket lifecycle: opening, escalation, assignment, staff replies, waiting on the
customer, resolution, SLA breaches.

Every function is one business action in one transaction, keyword-only and typed.

While a ticket is escalated, pending (waiting on the customer) or on hold, a person owns
it (``HUMAN_STATUSES``): the AI stays out, and a customer's message puts a pending or
on-hold ticket back in that person's queue (``ticket_customer_replied``). The SLA clock
follows every status change in ``_transition`` (paused while pending; see crm/sla.py).
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from crm import sla
from crm.errors import AlreadyClaimed, IllegalTransition, InvalidInput
from crm.events import Topic
from crm.models import (
    HUMAN_STATUSES,
    PRIORITY_URGENCY,
    URGENCY_RANK,
    Conversation,
    Customer,
    EscalationReason,
    Priority,
    ResolutionType,
    SLATarget,
    Ticket,
    TicketEvent,
    TicketStatus,
    Urgency,
)
from crm.services.outbox import outbox_add
from crm.validation import check_channel

log = logging.getLogger(__name__)

_S = TicketStatus
# The ticket lifecycle. A resolved ticket reopens when the customer writes again; a
# closed one never does (a new ticket is opened instead). Escalated, pending and on hold
# are a person's: they move among themselves (a staff reply, the customer answering,
# waiting on a third party) and leave by resolving, closing or handing back to the AI.
TRANSITIONS: dict[str, set[str]] = {
    _S.OPEN: {_S.IN_PROGRESS, _S.ESCALATED, _S.RESOLVED, _S.CLOSED},
    _S.IN_PROGRESS: {_S.ESCALATED, _S.RESOLVED, _S.CLOSED},
    _S.ESCALATED: {_S.IN_PROGRESS, _S.PENDING, _S.ON_HOLD, _S.RESOLVED, _S.CLOSED},
    _S.PENDING: {_S.ESCALATED, _S.ON_HOLD, _S.IN_PROGRESS, _S.RESOLVED, _S.CLOSED},
    _S.ON_HOLD: {_S.ESCALATED, _S.PENDING, _S.IN_PROGRESS, _S.RESOLVED, _S.CLOSED},
    _S.RESOLVED: {_S.OPEN, _S.ESCALATED, _S.CLOSED},
    _S.CLOSED: set(),
}

# What staff may leave a ticket as when they reply (or set it to without replying).
STAFF_NEXT_STATUSES: tuple[str, ...] = (_S.PENDING, _S.ON_HOLD, _S.ESCALATED, _S.RESOLVED)


def _transition(ticket: Ticket, to_status: str, *, actor: AbstractBaseUser | None = None,
                now: datetime | None = None, **data: Any) -> None:
    if to_status not in TRANSITIONS.get(ticket.status, set()):
        raise IllegalTransition(
            f"Ticket {ticket.reference} cannot go from {ticket.get_status_display().lower()} to "
            f"{TicketStatus(to_status).label.lower()}.", field="status"
        )
    now = now or timezone.now()
    from_status = ticket.status
    ticket.status = to_status
    ticket.status_changed_at = now
    ticket._status_by_service = True
    TicketEvent.objects.create(
        ticket=ticket, kind=TicketEvent.Kind.STATUS, from_status=from_status, to_status=to_status, actor=actor,
        data=data, created_at=now,
    )
    _sla_follow(ticket, now=now, actor=actor)


def _sla_follow(ticket: Ticket, *, now: datetime, actor: AbstractBaseUser | None) -> None:
    """Pause or resume the SLA clock for the ticket's new status (the caller saves the ticket)."""
    if ticket.status not in HUMAN_STATUSES:
        ticket.sla_paused_at = None  # off the desk: no clock runs
        return
    if ticket.sla_due_at is None:
        return
    paused = ticket.sla_paused_at is not None
    if sla.paused_in(ticket.status) and not paused:
        ticket.sla_paused_at = now
        TicketEvent.objects.create(ticket=ticket, kind=TicketEvent.Kind.SLA, actor=actor, created_at=now,
                                   data={"change": "paused", "status": ticket.status,
                                         "target": ticket.sla_target, "due": ticket.sla_due_at.isoformat()})
    elif not sla.paused_in(ticket.status) and paused:
        ticket.sla_due_at = sla.resumed_due_at(urgency=ticket.urgency or Urgency.NORMAL, due=ticket.sla_due_at,
                                               paused_at=ticket.sla_paused_at, now=now)
        ticket.sla_paused_at = None
        TicketEvent.objects.create(ticket=ticket, kind=TicketEvent.Kind.SLA, actor=actor, created_at=now,
                                   data={"change": "resumed", "status": ticket.status,
                                         "target": ticket.sla_target, "due": ticket.sla_due_at.isoformat()})


def _notify_desk(ticket_id: int, *, why: str) -> None:
    """After the commit, tell staff a ticket reached the desk (crm.tasks.escalation_notify).

    Never raises: the email is a courtesy on top of the queue and its badge.
    """
    if not settings.ESCALATION_EMAIL_NOTIFY:
        return

    def send() -> None:
        from crm.tasks import escalation_notify  # the task module imports the services

        try:
            escalation_notify.apply_async(args=[ticket_id, why], retry=False)
        except Exception:  # noqa: BLE001 - any broker failure; the queue still shows the ticket
            log.warning("ticket %s: the staff notification could not be queued", ticket_id, exc_info=True)

    transaction.on_commit(send)


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


#: How much of an escalation summary is kept.
ESCALATION_SUMMARY_CHARS = 5000


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
    # A person already owns it (escalated, pending, on hold): more context, same clock.
    already = ticket.status in HUMAN_STATUSES
    came_back = already and ticket.status != TicketStatus.ESCALATED
    if ticket.status != TicketStatus.ESCALATED:
        _transition(ticket, TicketStatus.ESCALATED, actor=actor, now=now, reason=reason)
    if not already:
        ticket.escalated_at = now
        ticket.sla_target = SLATarget.FIRST_RESPONSE
        ticket.sla_due_at = sla.sla_due_at(urgency=urgency, channel=ticket.source_channel, start=now)
        ticket.sla_breached_at = None
        ticket.sla_paused_at = None
    elif URGENCY_RANK[urgency] > URGENCY_RANK.get(ticket.urgency, 9):
        urgency = ticket.urgency  # more context never makes a ticket less urgent
    elif (URGENCY_RANK[urgency] < URGENCY_RANK.get(ticket.urgency, 9) and ticket.sla_due_at
          and ticket.sla_target != SLATarget.RESOLUTION):
        # More urgent now: the clock that started at the escalation runs shorter.
        sooner = sla.sla_due_at(urgency=urgency, channel=ticket.source_channel, start=ticket.escalated_at or now)
        ticket.sla_due_at = min(ticket.sla_due_at, sooner)
    ticket.escalation_reason = reason
    ticket.urgency = urgency
    ticket.urgency_rank = URGENCY_RANK[urgency]
    ticket.escalation_summary = summary[:ESCALATION_SUMMARY_CHARS]
    # Escalating again adds context: what staff already had (which message escalated,
    # failures) stays unless the new packet says otherwise.
    ticket.escalation_packet = {**(ticket.escalation_packet or {}), **(packet or {})} if already else (packet or {})
    ticket.save()
    TicketEvent.objects.create(ticket=ticket, kind=TicketEvent.Kind.ESCALATED, actor=actor,
                               data={"reason": reason, "urgency": urgency, "again": already})
    if not already or came_back:
        _notify_desk(ticket.pk, why="escalated")
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
def ticket_escalation_add_context(*, ticket: Ticket, note: str, packet: dict[str, Any]) -> Ticket:
    """Add what staff should know to a ticket that is already escalated: the summary gains
    ``note`` and the packet ``packet``. Not a second escalation: no ESCALATED event and no
    fte.escalations record, and the reason, urgency and clock stay as they are."""
    ticket = _locked(ticket)
    ticket.escalation_summary = f"{ticket.escalation_summary}\n\n{note}".strip()[:ESCALATION_SUMMARY_CHARS]
    ticket.escalation_packet = {**(ticket.escalation_packet or {}), **packet}
    ticket.save(update_fields=["escalation_summary", "escalation_packet", "updated_at"])
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
    if ticket.status in HUMAN_STATUSES:
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
def ticket_close(*, ticket: Ticket, notes: str = "", actor: AbstractBaseUser | None = None,
                 auto: bool = False) -> Ticket:
    """Close a ticket for good; a later message from the customer opens a new one."""
    ticket = _locked(ticket)
    _transition(ticket, TicketStatus.CLOSED, actor=actor, **({"auto": True} if auto else {}))
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
        ticket.status not in HUMAN_STATUSES
        or ticket.sla_paused_at is not None
        or ticket.sla_breached_at is not None
        or ticket.sla_due_at is None
        or ticket.sla_due_at > now
    ):
        return None
    ticket.sla_breached_at = now
    ticket.urgency = sla.raised_urgency(ticket.urgency or Urgency.NORMAL)
    ticket.urgency_rank = URGENCY_RANK[ticket.urgency]
    ticket.save(update_fields=["sla_breached_at", "urgency", "urgency_rank", "updated_at"])
    TicketEvent.objects.create(ticket=ticket, kind=TicketEvent.Kind.SLA_BREACHED,
                               data={"urgency": ticket.urgency, "target": ticket.sla_target})
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


@transaction.atomic
def ticket_staff_replied(
    *, ticket: Ticket, actor: AbstractBaseUser, status: str = TicketStatus.PENDING, now: datetime | None = None
) -> Ticket:
    """Record what a staff reply does to the ticket: the first human response, then ``status``.

    Called in the transaction that records the reply. The first staff reply after an
    escalation meets the first-response target (the ``sla`` event says whether in time)
    and starts the resolution target from that moment. Then the ticket moves to
    ``status``: waiting on the customer by default (the clock pauses), on hold, still
    needing a reply (escalated) or resolved.
    """
    if status not in STAFF_NEXT_STATUSES:
        raise InvalidInput(f"After a reply a ticket can be {', '.join(STAFF_NEXT_STATUSES)}, not {status!r}.",
                           field="status")
    now = now or timezone.now()
    ticket = _locked(ticket)
    if ticket.status not in HUMAN_STATUSES:
        raise IllegalTransition(f"Ticket {ticket.reference} is {ticket.get_status_display().lower()}, not with staff.",
                                field="status")
    if ticket.first_human_response_at is None:
        ticket.first_human_response_at = now
    if ticket.sla_target != SLATarget.RESOLUTION:
        due = ticket.sla_due_at
        urgency = ticket.urgency or Urgency.NORMAL
        ticket.sla_target = SLATarget.RESOLUTION
        ticket.sla_due_at = sla.resolution_due_at(urgency=urgency, start=now)
        ticket.sla_breached_at = None
        ticket.sla_paused_at = None
        TicketEvent.objects.create(ticket=ticket, kind=TicketEvent.Kind.SLA, actor=actor, created_at=now, data={
            "change": "target", "target": SLATarget.RESOLUTION, "due": ticket.sla_due_at.isoformat(),
            "first_response_due": due.isoformat() if due else None,
            "first_response_met": due is None or now <= due,
        })
    if status == TicketStatus.RESOLVED:
        _transition(ticket, TicketStatus.RESOLVED, actor=actor, now=now, by_reply=True)
        ticket.resolved_at = now
        Conversation.objects.filter(pk=ticket.conversation_id).update(resolution_type=ResolutionType.HUMAN)
    elif status != ticket.status:
        _transition(ticket, status, actor=actor, now=now, by_reply=True)
    ticket.save()
    return ticket


@transaction.atomic
def ticket_set_status(*, ticket: Ticket, status: str, actor: AbstractBaseUser) -> Ticket:
    """Staff move a ticket they work between escalated (needs a reply), pending and on hold."""
    if status not in HUMAN_STATUSES:
        raise InvalidInput(f"Use resolve, close or hand back for {status!r}.", field="status")
    ticket = _locked(ticket)
    if ticket.status not in HUMAN_STATUSES:
        raise IllegalTransition(f"Ticket {ticket.reference} is {ticket.get_status_display().lower()}, not with staff.",
                                field="status")
    if ticket.status != status:
        _transition(ticket, status, actor=actor)
        ticket.save()
    return ticket


@transaction.atomic(savepoint=False)  # one lookup in the intake's transaction; no savepoint round trips
def ticket_customer_replied(*, conversation_id: int, message_id: int | None = None,
                            now: datetime | None = None) -> Ticket | None:
    """The customer wrote in a conversation whose ticket waits on them or is on hold.

    The ticket goes back to escalated, with its assignee: into the same person's queue,
    its SLA clock running again. Returns the ticket moved, or None.
    """
    ticket = (Ticket.objects.select_for_update()
              .filter(conversation_id=conversation_id, status__in=[TicketStatus.PENDING, TicketStatus.ON_HOLD])
              .order_by("-created_at").first())
    if ticket is None:
        return None
    _transition(ticket, TicketStatus.ESCALATED, now=now, reason="customer replied", message_id=message_id)
    ticket.save()
    _notify_desk(ticket.pk, why="customer_replied")
    return ticket


@transaction.atomic
def ticket_note_add(*, ticket: Ticket, actor: AbstractBaseUser, text: str) -> TicketEvent:
    """An internal note on a ticket: for colleagues, never sent to the customer."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput("Write the note before saving it.", field="text")
    if len(text) > 10_000:
        raise InvalidInput("A note is at most 10,000 characters.", field="text")
    return TicketEvent.objects.create(ticket_id=ticket.pk, kind=TicketEvent.Kind.NOTE, actor=actor,
                                      data={"text": text})


def tickets_close_stale_pending(*, now: datetime | None = None, days: int | None = None,
                                limit: int = 500) -> list[Ticket]:
    """Close tickets that have waited on the customer for ``days`` (``TICKET_AUTO_CLOSE_PENDING_DAYS``).

    Each is closed in its own transaction by ``ticket_close``; a ticket the customer
    answered meanwhile is no longer pending and is left alone. 0 days: nothing closes.
    """
    days = settings.TICKET_AUTO_CLOSE_PENDING_DAYS if days is None else days
    if days <= 0:
        return []
    cutoff = (now or timezone.now()) - timedelta(days=days)
    stale = list(Ticket.objects.filter(status=TicketStatus.PENDING, status_changed_at__lte=cutoff)
                 .order_by("status_changed_at", "id").values_list("pk", flat=True)[:limit])
    closed = []
    for pk in stale:
        with transaction.atomic():
            ticket = Ticket.objects.select_for_update().get(pk=pk)
            if ticket.status != TicketStatus.PENDING or ticket.status_changed_at > cutoff:
                continue
            closed.append(ticket_close(
                ticket=ticket, auto=True,
                notes=ticket.resolution_notes or f"Closed after {days} days without an answer from the customer."))
    return closed
