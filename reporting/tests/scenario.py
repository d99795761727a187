"""A small, hand-built day of support whose every figure is known (see ``EXPECTED``).

Built through crm services, the way production writes; only the clocks are then moved
(test code may write rows directly) so durations have known values.

| ticket | channel | what happened | counts as |
|---|---|---|---|
| A | email | AI answered (30 s, 1,000 gpt-4o tokens, sentiment 0.5), resolved 8 days ago, quiet since | AI assumed |
| B | whatsapp | AI answered (60 s, 2,000 gpt-4o tokens, sentiment 0), customer said it helped | AI confirmed |
| C | web form | AI answered (90 s, 500 gpt-4o-mini tokens), customer wrote again (still waiting) | AI reopened; backlog 1 |
| D | email | escalated knowledge_not_found (normal) 3 h ago; Sam claimed after 10 min, replied after 30 min, resolved after 70 min; sentiment -0.5 | escalated; SLA met; human first response 30 min; handle 1 h |
| E | whatsapp | escalated refund_request (high) 3 h ago, claimed by Sam, no reply, SLA breached | escalated; SLA breached |
| F | email | AI answered just now (45 s, offline model, 0 tokens, sentiment 0.4) | AI pending |
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import Group
from django.utils import timezone

from crm import services
from crm.models import Author, Channel, EscalationReason, Message, Outcome, Ticket, TicketEvent, Urgency
from crm.tests.factories import UserFactory

MANAGERS = "Support managers"


@dataclass
class Scenario:
    now: datetime
    sam: object
    tickets: dict[str, Ticket]


def _inbound(channel: str, who: str, text: str, n: int = 1) -> Message:
    contact = {"email": f"{who}@example.com"} if channel != Channel.WHATSAPP else {"phone": f"+1415555{n:04d}"}
    return services.inbound_message_accept(channel=channel, provider_id=f"{who}-{n}-{text[:10]}", content=text,
                                           name=who.title(), **contact).message


def _ai_answer(message: Message, *, tokens: int, model: str, e2e_ms: int, sentiment: float | None) -> Ticket:
    ticket, _ = services.ticket_for_conversation(conversation=message.conversation, channel=message.channel)
    services.message_attach_to_ticket(message=message, ticket=ticket)
    assert services.message_claim(message_id=message.pk)
    services.outbound_message_record(ticket=ticket, channel=message.channel, content="Here is how.",
                                     author=Author.AGENT, reply_to=message)
    services.message_finish(message_id=message.pk, state="processed")
    ticket = services.ticket_resolve(ticket=ticket, by_ai=True)
    services.agent_metric_record(message=message, ticket=ticket, outcome=Outcome.ANSWERED, figures=services.RunFigures(
        latency_ms=1000, tokens_used=tokens, model_name=model, end_to_end_ms=e2e_ms, sentiment=sentiment))
    return ticket


def _escalate(message: Message, *, reason: str, urgency: str, at: datetime, sentiment: float | None) -> Ticket:
    ticket, _ = services.ticket_for_conversation(conversation=message.conversation, channel=message.channel)
    services.message_attach_to_ticket(message=message, ticket=ticket)
    assert services.message_claim(message_id=message.pk)
    services.message_finish(message_id=message.pk, state="processed")
    ticket = services.ticket_escalate(ticket=ticket, reason=reason, urgency=urgency, summary="Needs a person",
                                      packet={"message_id": message.pk}, now=at)
    services.agent_metric_record(message=message, ticket=ticket, outcome=Outcome.ESCALATED, escalation_reason=reason,
                                 figures=services.RunFigures(latency_ms=800, sentiment=sentiment))
    return ticket


def build(*, rollups: bool = True) -> Scenario:
    """The scenario, with its rollups stored (as the metrics events and the periodic refresh would)."""
    now = timezone.now()
    t0 = now - timedelta(hours=3)
    sam = UserFactory(username="sam", first_name="Sam", last_name="Rivera")
    tickets: dict[str, Ticket] = {}

    tickets["A"] = _ai_answer(_inbound(Channel.EMAIL, "ann", "How do I export my board to PDF?"),
                              tokens=1000, model="gpt-4o", e2e_ms=30_000, sentiment=0.5)
    TicketEvent.objects.filter(ticket=tickets["A"], kind="status", to_status="resolved").update(
        created_at=now - timedelta(days=8))

    tickets["B"] = _ai_answer(_inbound(Channel.WHATSAPP, "bob", "Do you have a dark mode?", 1),
                              tokens=2000, model="gpt-4o", e2e_ms=60_000, sentiment=0.0)
    # The customer's "that worked" (issue 12's feedback, as reporting reads it).
    TicketEvent.objects.create(ticket=tickets["B"], kind="feedback", data={"helped": True, "channel": "web_form"})

    tickets["C"] = _ai_answer(_inbound(Channel.WEB_FORM, "cat", "What is the API rate limit?"),
                              tokens=500, model="gpt-4o-mini", e2e_ms=90_000, sentiment=None)
    again = _inbound(Channel.WEB_FORM, "cat", "That did not answer it, how many calls per minute?", 2)
    services.ticket_for_conversation(conversation=again.conversation, channel=again.channel)  # reopens C

    tickets["D"] = _escalate(_inbound(Channel.EMAIL, "dan", "Can I print my timeline to PDF?"),
                             reason=EscalationReason.KNOWLEDGE_NOT_FOUND, urgency=Urgency.NORMAL, at=t0,
                             sentiment=-0.5)
    services.ticket_assign(ticket=tickets["D"], assignee=sam)
    reply = services.outbound_message_record(ticket=tickets["D"], channel=Channel.EMAIL, author=Author.STAFF,
                                             staff_user=sam, content="Use File, then Print, then Save as PDF.")
    Message.objects.filter(pk=reply.pk).update(created_at=t0 + timedelta(minutes=30))
    services.ticket_resolve(ticket=tickets["D"], actor=sam)
    TicketEvent.objects.filter(ticket=tickets["D"], kind="assigned").update(created_at=t0 + timedelta(minutes=10))
    TicketEvent.objects.filter(ticket=tickets["D"], kind="status", to_status="resolved").update(
        created_at=t0 + timedelta(minutes=70))

    tickets["E"] = _escalate(_inbound(Channel.WHATSAPP, "eve", "I want a refund for last month", 2),
                             reason=EscalationReason.REFUND_REQUEST, urgency=Urgency.HIGH, at=t0, sentiment=None)
    services.ticket_assign(ticket=tickets["E"], assignee=sam)
    assert services.ticket_mark_sla_breach(ticket=tickets["E"], now=now) is not None

    tickets["F"] = _ai_answer(_inbound(Channel.EMAIL, "fay", "How do I invite a teammate?"),
                              tokens=0, model="offline-model", e2e_ms=45_000, sentiment=0.4)
    if rollups:
        from reporting.tasks import refresh_rollups

        refresh_rollups()
    return Scenario(now=timezone.now(), sam=sam, tickets={k: Ticket.objects.get(pk=t.pk) for k, t in tickets.items()})


def manager(username: str = "boss") -> object:
    import importlib

    from django.apps import apps

    if not Group.objects.filter(name=MANAGERS).exists():
        importlib.import_module("crm.migrations.0005_support_groups").create_groups(apps, None)
    user = UserFactory(username=username, email=f"{username}@loomline.example")
    user.groups.add(Group.objects.get(name=MANAGERS))
    return user


PRICES = {"gpt-4o": 5.0, "gpt-4o-mini": 0.3}
EXPECTED_COST = 3000 / 1e6 * 5.0 + 500 / 1e6 * 0.3
