"""ticket_feedback_record: the customer says whether the AI's answer helped."""
from __future__ import annotations

import pytest

from crm import services
from crm.errors import IllegalTransition, InvalidInput
from crm.models import (
    Author,
    Channel,
    Conversation,
    EscalationReason,
    ResolutionType,
    TicketEvent,
    TicketStatus,
    Urgency,
)
from crm.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ANSWER = "To reset your password, open the sign-in page and choose Forgot password."


def answered_ticket(*, channel: str = Channel.WEB_FORM, priority: str = "medium",  # type: ignore[no-untyped-def]
                    email: str = "pat@example.com"):
    inbound = services.inbound_message_accept(channel=channel, provider_id=f"{channel}-{email}",
                                              content="Forgot my password", email=email).message
    ticket, _ = services.ticket_for_conversation(conversation=inbound.conversation, channel=channel, priority=priority)
    services.message_attach_to_ticket(message=inbound, ticket=ticket)
    answer = services.outbound_message_record(ticket=ticket, channel=channel, content=ANSWER, reply_to=inbound)
    return ticket, answer


def feedback_events(ticket):  # type: ignore[no-untyped-def]
    return list(TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.FEEDBACK).values_list("data", flat=True))


def test_didnt_help_escalates_with_what_the_ai_answered() -> None:
    ticket, answer = answered_ticket()

    result = services.ticket_feedback_record(ticket=ticket, helped=False, channel=Channel.WEB_FORM)

    assert result.recorded and result.answer == answer
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.ESCALATED
    assert ticket.escalation_reason == EscalationReason.KNOWLEDGE_NOT_FOUND
    assert "did not help" in ticket.escalation_summary and "choose Forgot password" in ticket.escalation_summary
    assert ticket.escalation_packet["feedback"] == {"helped": False, "channel": "web_form", "message_id": answer.pk}
    assert feedback_events(ticket) == [{"helped": False, "channel": "web_form", "message_id": answer.pk}]


def test_didnt_help_on_an_escalated_ticket_keeps_its_reason_and_adds_to_the_summary() -> None:
    ticket, _ = answered_ticket()
    services.ticket_escalate(ticket=ticket, reason=EscalationReason.REFUND_REQUEST, urgency=Urgency.HIGH,
                             summary="Wants a refund.")

    services.ticket_feedback_record(ticket=ticket, helped=False, channel=Channel.WHATSAPP, comment="still broken")

    ticket.refresh_from_db()
    assert ticket.escalation_reason == EscalationReason.REFUND_REQUEST and ticket.urgency == Urgency.HIGH
    assert ticket.escalation_summary.startswith("Wants a refund.")
    assert 'Their words: "still broken"' in ticket.escalation_summary


def test_solved_it_resolves_as_confirmed_by_the_customer() -> None:
    ticket, answer = answered_ticket()

    services.ticket_feedback_record(ticket=ticket, helped=True, channel=Channel.WEB_FORM)

    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.RESOLVED
    assert "Confirmed by the customer" in ticket.resolution_notes
    assert Conversation.objects.get(pk=ticket.conversation_id).resolution_type == ResolutionType.AI
    assert feedback_events(ticket) == [{"helped": True, "channel": "web_form", "message_id": answer.pk}]


def test_solved_on_a_ticket_the_ai_already_resolved_records_the_confirmation() -> None:
    ticket, _ = answered_ticket()
    services.ticket_resolve(ticket=ticket, by_ai=True)  # what the pipeline does when the AI answers

    services.ticket_feedback_record(ticket=ticket, helped=True, channel=Channel.WHATSAPP)

    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.RESOLVED and "Confirmed by the customer (whatsapp)" in ticket.resolution_notes

    # "Didn't help" after the AI resolved it: back to a person.
    other, _ = answered_ticket(email="lee@example.com")
    services.ticket_resolve(ticket=other, by_ai=True)
    services.ticket_feedback_record(ticket=other, helped=False, channel=Channel.WEB_FORM)
    other.refresh_from_db()
    assert other.status == TicketStatus.ESCALATED


def test_solved_after_a_staff_reply_is_a_resolution_by_staff() -> None:
    ticket, _ = answered_ticket()
    services.outbound_message_record(ticket=ticket, channel=Channel.WEB_FORM, content="Sorted.", author=Author.STAFF,
                                     staff_user=UserFactory())
    services.ticket_feedback_record(ticket=ticket, helped=True, channel=Channel.WEB_FORM)
    assert Conversation.objects.get(pk=ticket.conversation_id).resolution_type == ResolutionType.HUMAN


def test_the_same_verdict_twice_records_once_and_a_change_of_mind_counts() -> None:
    ticket, _ = answered_ticket()
    services.ticket_feedback_record(ticket=ticket, helped=True, channel=Channel.WEB_FORM)
    again = services.ticket_feedback_record(ticket=ticket, helped=True, channel=Channel.WEB_FORM)
    assert not again.recorded and len(feedback_events(ticket)) == 1

    services.ticket_feedback_record(ticket=ticket, helped=False, channel=Channel.WEB_FORM)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.ESCALATED  # resolved → with a person again
    assert [e["helped"] for e in feedback_events(ticket)] == [True, False]


def test_feedback_needs_an_ai_answer_on_an_open_ticket() -> None:
    ticket, answer = answered_ticket()
    other, _ = answered_ticket(channel=Channel.EMAIL, email="kim@example.com")
    with pytest.raises(InvalidInput):
        services.ticket_feedback_record(ticket=other, helped=True, channel=Channel.EMAIL, answer=answer)

    services.ticket_close(ticket=ticket)
    with pytest.raises(IllegalTransition):
        services.ticket_feedback_record(ticket=ticket, helped=False, channel=Channel.WEB_FORM)
    assert feedback_events(ticket) == []


def test_the_customers_priority_is_a_floor_under_the_escalation_urgency() -> None:
    high, _ = answered_ticket(priority="high")
    services.ticket_escalate(ticket=high, reason=EscalationReason.KNOWLEDGE_NOT_FOUND, urgency=Urgency.NORMAL,
                             summary="No article.")
    high.refresh_from_db()
    assert high.urgency == Urgency.HIGH  # not normal: the customer said high
    hours = (high.sla_due_at - high.escalated_at).total_seconds() / 3600
    assert hours == pytest.approx(4)

    low, _ = answered_ticket(channel=Channel.EMAIL, priority="low", email="kim@example.com")
    services.ticket_escalate(ticket=low, reason=EscalationReason.SECURITY_INCIDENT, urgency=Urgency.URGENT,
                             summary="Account taken over.")
    low.refresh_from_db()
    assert low.urgency == Urgency.URGENT  # a floor, never a ceiling

    medium, _ = answered_ticket(email="ana@example.com")  # the default priority of every ticket
    services.ticket_escalate(ticket=medium, reason=EscalationReason.KNOWLEDGE_NOT_FOUND, urgency=Urgency.LOW,
                             summary="Only an injection attempt.")
    medium.refresh_from_db()
    assert medium.urgency == Urgency.LOW  # the rules decide
