"""The lifecycle staff work by: first human response, waiting on the customer, on hold,
the customer's answer coming back to the same person, auto-close, and the SLA clock."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from crm import selectors, services
from crm.errors import IllegalTransition, InvalidInput
from crm.models import AgentMetric, Author, Message, ProcessingState, SLATarget, Ticket, TicketEvent, TicketStatus
from crm.tasks import escalation_notify, sla_breaches_mark
from desk import staff_reply
from desk.tests.test_admin import escalated_ticket, member

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("celery_eager")]


@pytest.fixture
def maya():  # type: ignore[no-untyped-def]
    return member(username="maya", first_name="Maya", email="maya@loomline.example")


def _sla_events(ticket: Ticket) -> list[dict]:
    return list(TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.SLA).values_list("data", flat=True))


def test_a_staff_reply_is_the_first_human_response_and_waits_on_the_customer(maya, settings):
    settings.SLA_RESOLUTION_HOURS = {**settings.SLA_RESOLUTION_HOURS, "normal": 48}
    ticket = escalated_ticket(channel="email", at=timezone.now() - timedelta(hours=1))
    first_due = ticket.sla_due_at
    assert ticket.sla_target == SLATarget.FIRST_RESPONSE

    staff_reply.staff_reply_send(ticket=ticket, user=maya, text="We refunded the duplicate charge.")

    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.PENDING and ticket.assignee == maya
    assert ticket.first_human_response_at is not None
    assert ticket.sla_target == SLATarget.RESOLUTION
    # The resolution target counts from the reply, and waiting on the customer pauses it.
    expected = ticket.first_human_response_at + timedelta(hours=48)
    assert abs((ticket.sla_due_at - expected).total_seconds()) < 1
    assert ticket.sla_paused_at is not None
    target, paused = _sla_events(ticket)
    assert target["change"] == "target" and target["first_response_met"] is True
    assert target["first_response_due"] == first_due.isoformat()
    assert paused["change"] == "paused"
    status = TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.STATUS).last()
    assert (status.from_status, status.to_status, status.actor) == ("escalated", "pending", maya)


def test_a_late_first_response_is_recorded_as_missed(maya):
    ticket = escalated_ticket(urgency="urgent", at=timezone.now() - timedelta(hours=3))
    staff_reply.staff_reply_send(ticket=ticket, user=maya, text="Sorry for the wait.")
    assert _sla_events(ticket)[0]["first_response_met"] is False


@pytest.mark.parametrize("status", [TicketStatus.ON_HOLD, TicketStatus.ESCALATED, TicketStatus.RESOLVED])
def test_staff_choose_another_status_in_the_reply(maya, status):
    ticket = escalated_ticket()
    staff_reply.staff_reply_send(ticket=ticket, user=maya, text="Checking with engineering.", status=status)
    ticket.refresh_from_db()
    assert ticket.status == status
    assert ticket.first_human_response_at is not None
    # A second reply does not start the resolution clock again.
    if status != TicketStatus.RESOLVED:
        due = ticket.sla_due_at
        staff_reply.staff_reply_send(ticket=ticket, user=maya, text="Still on it.", status=status)
        ticket.refresh_from_db()
        assert ticket.sla_due_at == due


def test_a_status_staff_cannot_choose_is_refused(maya):
    ticket = escalated_ticket()
    with pytest.raises(InvalidInput):
        staff_reply.staff_reply_send(ticket=ticket, user=maya, text="Hi", status=TicketStatus.OPEN)
    assert not Message.objects.filter(ticket=ticket, author=Author.STAFF).exists()


def test_waiting_on_the_customer_pauses_the_clock_and_their_answer_resumes_it(maya):
    ticket = escalated_ticket(channel="email", email="pause@example.com")
    staff_reply.staff_reply_send(ticket=ticket, user=maya, text="Which invoice was it?")
    ticket.refresh_from_db()
    due, paused_at = ticket.sla_due_at, ticket.sla_paused_at
    assert sla_breaches_mark(now=due + timedelta(hours=5)) == []  # paused: never breached

    # Three hours later the customer answers in the same thread.
    later = paused_at + timedelta(hours=3)
    services.inbound_message_accept(channel="email", provider_id="answer-1", content="Invoice 1042.",
                                    email="pause@example.com", email_thread_id=ticket.conversation.email_thread_id,
                                    received_at=later)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.ESCALATED and ticket.assignee == maya  # back in Maya's queue
    assert ticket.sla_paused_at is None
    assert ticket.sla_due_at == due + (later - paused_at)  # moved on by the time it stood still
    event = TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.STATUS).last()
    assert event.data["reason"] == "customer replied" and event.to_status == "escalated"


def test_resuming_counts_only_business_hours(settings):
    from crm import sla

    settings.SLA_BUSINESS_HOURS = "mon-fri 09:00-17:00"
    settings.SLA_TIME_ZONE = "UTC"
    due = datetime(2026, 3, 2, 16, 0, tzinfo=dt_timezone.utc)  # a Monday
    paused = datetime(2026, 3, 2, 15, 0, tzinfo=dt_timezone.utc)
    now = datetime(2026, 3, 3, 10, 0, tzinfo=dt_timezone.utc)  # stood still 2 h Monday + 1 h Tuesday
    resumed = sla.resumed_due_at(urgency="normal", due=due, paused_at=paused, now=now)
    assert resumed == datetime(2026, 3, 3, 11, 0, tzinfo=dt_timezone.utc)  # 3 h on: 1 h Monday, 2 h Tuesday
    # Urgent clocks run around the clock.
    assert sla.resumed_due_at(urgency="urgent", due=due, paused_at=paused, now=now) == due + (now - paused)


def test_on_hold_keeps_the_clock_running_unless_configured(maya, settings):
    ticket = escalated_ticket()
    services.ticket_set_status(ticket=ticket, status=TicketStatus.ON_HOLD, actor=maya)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.ON_HOLD and ticket.sla_paused_at is None
    assert [t.pk for t in sla_breaches_mark(now=ticket.sla_due_at + timedelta(minutes=1))] == [ticket.pk]

    settings.SLA_PAUSE_ON_HOLD = True
    other = escalated_ticket()
    services.ticket_set_status(ticket=other, status=TicketStatus.ON_HOLD, actor=maya)
    other.refresh_from_db()
    assert other.sla_paused_at is not None


def test_transitions_among_the_persons_statuses_and_out():
    assert TicketStatus.PENDING in services.TRANSITIONS[TicketStatus.ESCALATED]
    assert TicketStatus.ON_HOLD in services.TRANSITIONS[TicketStatus.PENDING]
    assert TicketStatus.ESCALATED in services.TRANSITIONS[TicketStatus.ON_HOLD]
    for status in (TicketStatus.PENDING, TicketStatus.ON_HOLD):
        assert {TicketStatus.RESOLVED, TicketStatus.CLOSED, TicketStatus.IN_PROGRESS} <= services.TRANSITIONS[status]
    ticket = escalated_ticket()
    services.ticket_resolve(ticket=ticket)
    with pytest.raises(IllegalTransition):
        services.ticket_set_status(ticket=ticket, status=TicketStatus.PENDING, actor=member())


def test_a_pending_ticket_is_still_the_persons_and_handing_back_releases_it(maya):
    ticket = escalated_ticket()
    staff_reply.staff_reply_send(ticket=ticket, user=maya, text="Could you send a screenshot?")
    assert selectors.human_owns_conversation(conversation_id=ticket.conversation_id)
    services.ticket_hand_back(ticket=ticket, actor=maya)
    assert not selectors.human_owns_conversation(conversation_id=ticket.conversation_id)


def test_the_customers_answer_goes_to_the_person_not_the_ai_end_to_end(maya, django_capture_on_commit_callbacks):
    """Through the pipeline: a ticket waiting on the customer, the customer answers two days
    later (past the conversation window), the AI stays out and the person is told."""
    from agent_app.pipeline import process_message

    ticket = escalated_ticket(channel="whatsapp", phone="+14155550999")
    with django_capture_on_commit_callbacks(execute=True):
        staff_reply.staff_reply_send(ticket=ticket, user=maya, text="Can you confirm the last four card digits?")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.PENDING
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        answer = services.inbound_message_accept(
            channel="whatsapp", provider_id="wa-answer-1", content="It ends in 4242.", phone="+14155550999",
            received_at=timezone.now() + timedelta(days=2),
        ).message
    assert answer.conversation_id == ticket.conversation_id  # the person's conversation, not a new one

    assert process_message(message_id=answer.pk) == "skipped"

    answer.refresh_from_db()
    ticket.refresh_from_db()
    assert answer.processing_state == ProcessingState.SKIPPED and answer.ticket_id == ticket.pk
    assert ticket.status == TicketStatus.ESCALATED and ticket.assignee == maya
    assert not Message.objects.filter(conversation=ticket.conversation, author=Author.AGENT,
                                      created_at__gt=answer.created_at).exists()
    assert AgentMetric.objects.get(message=answer).outcome == "skipped"
    # Maya hears about it.
    assert [m.to for m in mail.outbox] == [["maya@loomline.example"]]
    assert "replied" in mail.outbox[0].subject and ticket.reference in mail.outbox[0].subject


def test_tickets_pending_too_long_are_closed(maya, settings):
    settings.TICKET_AUTO_CLOSE_PENDING_DAYS = 5
    stale = escalated_ticket()
    fresh = escalated_ticket()
    staff_reply.staff_reply_send(ticket=stale, user=maya, text="Anything else?")
    staff_reply.staff_reply_send(ticket=fresh, user=maya, text="Anything else?")
    Ticket.objects.filter(pk=stale.pk).update(status_changed_at=timezone.now() - timedelta(days=6))

    closed = services.tickets_close_stale_pending()

    assert [t.pk for t in closed] == [stale.pk]
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == TicketStatus.CLOSED and "5 days" in stale.resolution_notes
    assert fresh.status == TicketStatus.PENDING
    assert TicketEvent.objects.get(ticket=stale, to_status="closed").data == {"auto": True}
    settings.TICKET_AUTO_CLOSE_PENDING_DAYS = 0
    assert services.tickets_close_stale_pending(now=timezone.now() + timedelta(days=30)) == []


def test_an_escalation_emails_the_support_staff_group(settings, django_capture_on_commit_callbacks):
    settings.ESCALATION_EMAIL_NOTIFY = True
    member(username="ana", email="ana@loomline.example")
    member(username="ben", email="ben@loomline.example")
    member("Support managers", username="lead", email="lead@loomline.example")  # managers watch the queue
    with django_capture_on_commit_callbacks(execute=True):
        ticket = escalated_ticket(reason="refund_request", urgency="high")
    assert sorted(m.to[0] for m in mail.outbox) == ["ana@loomline.example", "ben@loomline.example"]
    message = mail.outbox[0]
    assert ticket.reference in message.subject and "Refund request" in message.subject
    assert "Billing Operations" in message.body and f"/admin/crm/escalatedticket/{ticket.pk}/change/" in message.body
    # A ticket that left the desk before the task ran is not announced.
    services.ticket_resolve(ticket=ticket)
    assert escalation_notify(ticket.pk) == 0


def test_internal_notes_are_events_never_messages(maya):
    ticket = escalated_ticket()
    note = services.ticket_note_add(ticket=ticket, actor=maya, text="Customer is on the Enterprise plan; ask CSM.")
    assert note.kind == TicketEvent.Kind.NOTE and note.data["text"].startswith("Customer")
    assert not Message.objects.filter(ticket=ticket, author=Author.STAFF).exists()
    with pytest.raises(InvalidInput):
        services.ticket_note_add(ticket=ticket, actor=maya, text="  ")


def test_desk_status_buttons(client, maya):
    ticket = escalated_ticket()
    services.ticket_assign(ticket=ticket, assignee=maya)
    client.force_login(maya)
    client.post(reverse("admin:crm_escalatedticket_desk", args=[ticket.pk, "on_hold"]))
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.ON_HOLD
    client.post(reverse("admin:crm_escalatedticket_desk", args=[ticket.pk, "pending"]))
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.PENDING
    client.post(reverse("admin:crm_escalatedticket_desk", args=[ticket.pk, "reopen"]))
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.ESCALATED
