"""Conversations: one thread per customer that continues across channels.

Every function is one business action in one transaction, keyword-only and typed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from crm.models import (
    HUMAN_STATUSES,
    Conversation,
    ConversationStatus,
    Customer,
    Ticket,
)
from crm.validation import check_channel


@dataclass(frozen=True)
class ConversationContinued:
    """The conversation a message belongs to, and whether a person may hold it (a ticket escalated,
    waiting on the customer or on hold). False only when known not to: then no ticket can be
    waiting on the customer, and the intake skips that lookup (a webhook's cost is its round trips)."""

    conversation: Conversation
    may_be_held: bool


def conversation_for(
    *, customer: Customer, channel: str, now: datetime | None = None, email_thread_id: str = ""
) -> Conversation:
    """The customer's active conversation, continued across channels, or a new one.

    A conversation stays active while the customer has written within
    ``CONVERSATION_WINDOW_HOURS``, and for as long as a person owns its ticket (escalated,
    waiting on the customer, on hold): a customer who answers a member of staff days
    later reaches that person, not the AI. An email reply in a known Gmail thread always
    returns to that thread's conversation.
    """
    return conversation_continue(customer=customer, channel=channel, now=now,
                                 email_thread_id=email_thread_id).conversation


def conversation_continue(
    *, customer: Customer, channel: str, now: datetime | None = None, email_thread_id: str = ""
) -> ConversationContinued:
    """``conversation_for``, saying also whether a person may hold the conversation."""
    check_channel(channel)
    now = now or timezone.now()
    # Validated first; no savepoint inside a caller's transaction (see customer_resolve).
    with transaction.atomic(savepoint=False):
        return _conversation_continue_or_open(customer=customer, channel=channel, now=now,
                                              email_thread_id=email_thread_id)


def _conversation_continue_or_open(*, customer: Customer, channel: str, now: datetime,
                                   email_thread_id: str) -> Conversation:
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
            # Not looked up on this path: the intake's own lookup says whether a ticket waits.
            return ConversationContinued(threaded, may_be_held=True)
    window_start = now - timedelta(hours=settings.CONVERSATION_WINDOW_HOURS)
    active = (
        Conversation.objects.select_for_update()
        .filter(customer=customer, status=ConversationStatus.ACTIVE)
        .order_by("-last_message_at")
    )
    active = list(active)
    held = set(Ticket.objects.filter(conversation_id__in=[c.pk for c in active], status__in=HUMAN_STATUSES)
               .values_list("conversation_id", flat=True))
    current = None
    for conversation in active:
        if current is None and (conversation.last_message_at >= window_start or conversation.pk in held):
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
    return ConversationContinued(current, may_be_held=current.pk in held)


# --- Messages -------------------------------------------------------------------------------


def conversation_set_sentiment(*, conversation_id: int, sentiment: float) -> None:
    """The latest sentiment read from the customer's words (-1 very negative … 1 very positive)."""
    Conversation.objects.filter(pk=conversation_id).update(sentiment=max(-1.0, min(1.0, sentiment)))
