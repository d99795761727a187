"""Reads of the CRM that reports need and nobody else does. No writes here."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import OuterRef, Subquery

from crm.models import Author, Direction, EscalationReason, Message, Ticket


@dataclass(frozen=True)
class GapQuestion:
    ticket_id: int
    reference: str
    channel: str
    created_at: datetime
    question: str


def gap_questions(*, start: datetime, end: datetime, channel: str = "", limit: int = 2000) -> list[GapQuestion]:
    """Tickets opened in ``[start, end)`` and escalated because the knowledge base had no answer,
    newest first, each with the customer's question (the message that escalated it, else the first)."""
    tickets = Ticket.objects.filter(created_at__gte=start, created_at__lt=end,
                                    escalation_reason=EscalationReason.KNOWLEDGE_NOT_FOUND)
    if channel:
        tickets = tickets.filter(source_channel=channel)
    return _questions(tickets, limit=limit)


def gap_questions_by_ids(*, ticket_ids: list[int]) -> list[GapQuestion]:
    return _questions(Ticket.objects.filter(pk__in=ticket_ids,
                                            escalation_reason=EscalationReason.KNOWLEDGE_NOT_FOUND),
                      limit=len(ticket_ids))


def _questions(tickets: Any, *, limit: int) -> list[GapQuestion]:
    first_inbound = Message.objects.filter(ticket=OuterRef("pk"), direction=Direction.INBOUND).order_by(
        "created_at", "id").values("content")[:1]
    rows = list(tickets.order_by("-created_at").annotate(first_question=Subquery(first_inbound)).values(
        "id", "reference", "source_channel", "created_at", "first_question", "escalation_packet")[:limit])
    escalating_ids = [int(r["escalation_packet"]["message_id"]) for r in rows
                      if isinstance((r["escalation_packet"] or {}).get("message_id"), int)]
    escalating = dict(Message.objects.filter(pk__in=escalating_ids).values_list("pk", "content"))
    found = []
    for r in rows:
        text = escalating.get((r["escalation_packet"] or {}).get("message_id")) or r["first_question"] or ""
        text = " ".join(text.split())
        if text:
            found.append(GapQuestion(r["id"], r["reference"], r["source_channel"], r["created_at"], text[:1000]))
    return found


def staff_replies_for(*, ticket_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """What staff answered on these tickets, in order: the replies that closed the gap."""
    replies: dict[int, list[dict[str, Any]]] = {}
    for m in Message.objects.filter(ticket_id__in=ticket_ids, author=Author.STAFF,
                                    direction=Direction.OUTBOUND).order_by("created_at", "id").values(
            "ticket_id", "content", "created_at"):
        replies.setdefault(m["ticket_id"], []).append({"ticket_id": m["ticket_id"], "content": m["content"][:1000]})
    return replies


def tickets_for_export(*, start: datetime, end: datetime, channel: str = "") -> Any:
    """Tickets opened in the range, one row each, with the fields a manager filters on."""
    tickets = Ticket.objects.filter(created_at__gte=start, created_at__lt=end)
    if channel:
        tickets = tickets.filter(source_channel=channel)
    return tickets.order_by("created_at", "id").values_list(
        "reference", "created_at", "source_channel", "status", "priority", "category", "urgency",
        "escalation_reason", "escalated_at", "assignee__username", "sla_due_at", "sla_breached_at",
        "first_response_at", "resolved_at", "closed_at", "customer__email", "subject",
        "conversation__resolution_type")


def conversation_detail(*, conversation_id: int, message_limit: int = 500) -> dict[str, Any] | None:
    """A conversation with its messages on every channel, its tickets and its customer; None if unknown."""
    from crm.models import Conversation

    conversation = Conversation.objects.select_related("customer").filter(pk=conversation_id).first()
    if conversation is None:
        return None
    messages = list(conversation.messages.select_related("ticket").order_by("created_at", "id")[:message_limit + 1])
    return {
        "conversation": conversation,
        "customer": conversation.customer,
        "messages": messages[:message_limit],
        "messages_truncated": len(messages) > message_limit,
        "tickets": list(conversation.tickets.order_by("created_at", "id")),
    }


def customer_by_identifier(*, kind: str, value: str) -> Any:
    """The customer an already normalised email or phone identifies, or None."""
    from crm.models import Customer, CustomerIdentifier

    identifier = CustomerIdentifier.objects.filter(kind=kind, value=value).select_related("customer").first()
    if identifier is not None:
        return identifier.customer
    if kind == "email":
        return Customer.objects.filter(email=value).first()
    return None


def customer_summary(*, customer: Any, ticket_limit: int = 20) -> dict[str, Any]:
    return {
        "customer": customer,
        "identifiers": list(customer.identifiers.order_by("kind", "value")),
        "tickets": list(customer.tickets.order_by("-created_at")[:ticket_limit]),
    }
