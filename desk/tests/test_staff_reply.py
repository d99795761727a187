"""Staff replies from the desk: formatted for the channel, recorded, delivered, and the AI kept out."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from agent_app.formatting import PART_SEPARATOR, format_for_channel
from channels_app.support_links import ticket_token
from crm import services
from crm.errors import AlreadyClaimed, IllegalTransition, InvalidInput
from crm.models import AgentMetric, Author, Message, ProcessingState, TicketEvent, TicketStatus
from desk import staff_reply
from desk.tests.test_admin import ensure_groups, escalated_ticket, member

# Delivery runs in-process here, as the worker would run it once the reply is recorded.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("celery_eager")]

TEXT = (
    "Thanks for your patience. I have refunded the duplicate charge of **$49** today; it shows on your "
    "statement within 5 business days. See [our refunds page](https://help.loomline.example/refunds)."
)


@pytest.fixture
def maya(client):
    user = member(username="maya", first_name="Maya", last_name="Ortiz")
    client.force_login(user)
    client.user = user
    return client


def _reply(client, ticket, text: str = TEXT, channel: str | None = None, follow: bool = True):  # type: ignore
    url = reverse("admin:crm_escalatedticket_reply", args=[ticket.pk])
    return client.post(url, {"text": text, "channel": channel or ticket.source_channel}, follow=follow)


@pytest.mark.parametrize("channel, delivered_as", [("email", "sandbox"), ("whatsapp", "sandbox"),
                                                   ("web_form", "sent")])  # emailed
def test_a_staff_reply_is_formatted_recorded_and_delivered_on_each_channel(
    maya, django_capture_on_commit_callbacks, channel, delivered_as
):
    ticket = escalated_ticket(channel=channel)
    customer = ticket.customer

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = _reply(maya, ticket, follow=False)
        assert response.status_code == 302
        # Recorded before anything is sent; sending waits for the commit.
        assert Message.objects.get(ticket=ticket, author=Author.STAFF).delivery_status == "pending"

    assert len(callbacks) == 1
    reply = Message.objects.get(ticket=ticket, author=Author.STAFF)
    assert reply.direction == "outbound" and reply.channel == channel and reply.staff_user == maya.user
    assert reply.content == format_for_channel(TEXT, channel=channel, customer_name=customer.name,
                                               ticket_reference=ticket.reference, signer="Maya from Loomline Support")
    assert "**" not in reply.content and "our refunds page (https://help.loomline.example/refunds)" in reply.content
    assert reply.delivery_status == delivered_as
    # The reply claimed the ticket for Maya; a human still owns it.
    ticket.refresh_from_db()
    assert ticket.assignee == maya.user and ticket.status == TicketStatus.PENDING
    assert ticket.first_response_at is not None
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.ASSIGNED, actor=maya.user).count() == 1


def test_email_reply_goes_into_the_customers_gmail_thread(maya, django_capture_on_commit_callbacks):
    ticket = escalated_ticket(channel="email", email="dana.thread@example.com")
    inbound = Message.objects.get(ticket=ticket, author=Author.CUSTOMER)
    with django_capture_on_commit_callbacks(execute=True):
        _reply(maya, ticket)
    reply = Message.objects.get(ticket=ticket, author=Author.STAFF)
    sent = reply.metadata["sandbox"]
    assert sent["to"] == "dana.thread@example.com"
    assert sent["thread_id"] == inbound.metadata["thread_id"]
    assert sent["in_reply_to"] == inbound.metadata["message_id_header"]
    assert sent["subject"] == "Re: Charged twice"
    assert reply.content.startswith("Hi Dana,") and reply.content.endswith("Best regards,\nMaya from Loomline Support")


def test_a_reply_staff_write_in_spanish_is_greeted_and_signed_off_in_spanish(maya, django_capture_on_commit_callbacks):
    ticket = escalated_ticket(channel="email", email="dana.es@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        staff_reply.staff_reply_send(ticket=ticket, user=maya.user,
                                     text="Hemos anulado el cargo duplicado; verá el reembolso en su cuenta en unos días.")
    reply = Message.objects.get(ticket=ticket, author=Author.STAFF)
    assert reply.content.startswith("Hola, Dana:") and reply.content.endswith("Un saludo,\nMaya from Loomline Support")


def test_whatsapp_reply_within_the_session_window_goes_to_the_customers_number(
    maya, django_capture_on_commit_callbacks
):
    ticket = escalated_ticket(channel="whatsapp", phone="+14155550111")
    long_text = " ".join(["This is a long explanation of the refund process."] * 60)  # ~3,000 characters
    with django_capture_on_commit_callbacks(execute=True):
        _reply(maya, ticket, text=long_text)
    reply = Message.objects.get(ticket=ticket, author=Author.STAFF)
    assert reply.delivery_status == "sandbox"
    assert reply.metadata["sandbox"]["to"] == "whatsapp:+14155550111"
    assert reply.metadata["sandbox"]["window_open"] is True
    parts = reply.content.split(PART_SEPARATOR)
    assert len(parts) == reply.metadata["sandbox"]["parts"] > 1
    assert all(len(part) <= 1600 for part in parts)


@pytest.mark.django_db(transaction=True)
def test_the_desk_tells_staff_whether_the_reply_went_out(settings, client):
    # Real commits here, as in production: delivery runs before the page comes back.
    ensure_groups()
    user = member(username="omar", first_name="Omar")
    client.force_login(user)
    sent = _reply(client, escalated_ticket(channel="web_form")).content.decode()
    assert "Reply sent by Web form (Sent)" in sent  # emailed; "Delivered" once the customer's page shows it

    settings.TWILIO_WHATSAPP_TEMPLATE_SID = ""
    ticket = escalated_ticket(channel="whatsapp", at=timezone.now() - timedelta(hours=30))
    page = _reply(client, ticket).content.decode()
    reply = Message.objects.get(ticket=ticket, author=Author.STAFF)
    assert reply.delivery_status == "failed"
    assert "could not be delivered" in page
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.ESCALATED  # still with a human, who must reach them another way
    assert ticket.escalation_packet["delivery_failures"][0]["message_id"] == reply.pk


def test_web_form_reply_is_visible_on_the_ticket_status_page(maya, client, django_capture_on_commit_callbacks):
    ticket = escalated_ticket(channel="web_form")
    with django_capture_on_commit_callbacks(execute=True):
        _reply(maya, ticket)
    client.logout()
    status = client.get(f"/support/ticket/{ticket.reference}?token={ticket_token(reference=ticket.reference)}")
    assert status.status_code == 200
    shown = status.json()["messages"]
    assert shown[-1]["author"] == "staff"
    assert "refunded the duplicate charge of $49" in shown[-1]["content"]
    assert shown[-1]["content"].endswith("— Maya from Loomline Support")


def test_staff_reply_can_switch_to_another_channel_the_customer_uses(maya, django_capture_on_commit_callbacks):
    ticket = escalated_ticket(channel="whatsapp", phone="+14155550222", email="both@example.com")
    assert staff_reply.reply_channels(ticket=ticket) == ["email", "whatsapp"]
    with django_capture_on_commit_callbacks(execute=True):
        _reply(maya, ticket, channel="email")
    reply = Message.objects.get(ticket=ticket, author=Author.STAFF)
    assert reply.channel == "email" and reply.metadata["sandbox"]["to"] == "both@example.com"
    assert reply.content.startswith("Hi Dana,")


def test_a_reply_on_a_channel_the_customer_cannot_be_reached_on_is_refused(maya):
    ticket = escalated_ticket(channel="whatsapp", phone="+14155550333")  # no email known
    page = _reply(maya, ticket, channel="email").content.decode()
    assert "cannot be reached" in page
    assert not Message.objects.filter(ticket=ticket, author=Author.STAFF).exists()


def test_a_ticket_someone_else_holds_cannot_be_answered(maya):
    ticket = escalated_ticket()
    services.ticket_assign(ticket=ticket, assignee=member(username="noor"))
    page = _reply(maya, ticket).content.decode()
    assert "Reply not sent" in page and "already assigned to noor" in page
    assert not Message.objects.filter(ticket=ticket, author=Author.STAFF).exists()
    with pytest.raises(AlreadyClaimed):
        staff_reply.staff_reply_send(ticket=ticket, user=maya.user, text="Hello")


def test_empty_replies_and_tickets_off_the_queue_are_refused(maya):
    ticket = escalated_ticket()
    assert "Reply not sent" in _reply(maya, ticket, text="   ").content.decode()
    with pytest.raises(InvalidInput):
        staff_reply.staff_reply_send(ticket=ticket, user=maya.user, text="**")  # nothing left after formatting
    services.ticket_resolve(ticket=ticket)
    with pytest.raises(IllegalTransition):
        staff_reply.staff_reply_send(ticket=ticket, user=maya.user, text="One more thing")
    assert not Message.objects.filter(ticket=ticket, author=Author.STAFF).exists()


def test_the_ai_stays_out_while_a_human_owns_the_ticket(maya, django_capture_on_commit_callbacks):
    from agent_app.pipeline import process_message

    ticket = escalated_ticket(channel="email", email="waiting@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        _reply(maya, ticket)
    follow_up = services.inbound_message_accept(
        channel="email", provider_id="follow-up-1", content="Thanks! And can you also refund last month?",
        email="waiting@example.com", email_thread_id=ticket.conversation.email_thread_id,
    ).message
    assert follow_up.conversation_id == ticket.conversation_id

    assert process_message(message_id=follow_up.pk) == "skipped"

    follow_up.refresh_from_db()
    assert follow_up.processing_state == ProcessingState.SKIPPED
    assert follow_up.ticket_id == ticket.pk  # joins the human's ticket
    assert not Message.objects.filter(conversation=ticket.conversation, author=Author.AGENT).exists()
    assert AgentMetric.objects.get(message=follow_up).outcome == "skipped"

    # Handed back, the AI answers the next message again.
    services.ticket_hand_back(ticket=ticket, actor=maya.user)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.IN_PROGRESS and ticket.assignee is None


def test_retry_sends_pending_staff_replies(maya):
    ticket = escalated_ticket(channel="web_form")
    services.ticket_assign(ticket=ticket, assignee=maya.user)
    # Recorded but never sent (the web process died between commit and send).
    pending = services.outbound_message_record(ticket=ticket, channel="web_form", content="Hello", author="staff",
                                               staff_user=maya.user)
    page = maya.get(reverse("admin:crm_escalatedticket_change", args=[ticket.pk])).content.decode()
    assert "Retry sending" in page
    maya.post(reverse("admin:crm_escalatedticket_desk", args=[ticket.pk, "retry"]))
    pending.refresh_from_db()
    assert pending.delivery_status == "sent"  # emailed to the form's address


# --- Through the real senders, against local fakes of Gmail and Twilio ----------------------------


def test_staff_email_reply_is_sent_by_gmail_into_the_customers_thread(
    maya, fake_gmail, django_capture_on_commit_callbacks
):
    from email import policy
    from email.parser import BytesParser

    ticket = escalated_ticket(channel="email", email="dana.gmail@example.com")
    inbound = Message.objects.get(ticket=ticket, author=Author.CUSTOMER)
    with django_capture_on_commit_callbacks(execute=True):
        _reply(maya, ticket, follow=False)

    [sent] = fake_gmail.sent
    assert sent["request"]["threadId"] == inbound.metadata["thread_id"]
    mime = BytesParser(policy=policy.default).parsebytes(sent["raw"])
    assert mime["To"].addresses[0].addr_spec == "dana.gmail@example.com"
    assert mime["In-Reply-To"] == inbound.metadata["message_id_header"]
    assert mime["Subject"] == "Re: Charged twice"
    assert mime["Auto-Submitted"] is None  # a person wrote this one
    reply = Message.objects.get(ticket=ticket, author=Author.STAFF)
    assert mime.get_content().replace("\r\n", "\n").strip() == reply.content
    assert (reply.delivery_status, reply.provider_id) == ("sent", sent["id"])


def test_staff_whatsapp_reply_is_sent_by_twilio_to_the_customers_number(
    maya, fake_twilio, django_capture_on_commit_callbacks
):
    ticket = escalated_ticket(channel="whatsapp", phone="+14155550144")
    with django_capture_on_commit_callbacks(execute=True):
        _reply(maya, ticket, follow=False)
    [sent] = fake_twilio.sent
    reply = Message.objects.get(ticket=ticket, author=Author.STAFF)
    assert sent.to == "whatsapp:+14155550144" and sent.body == reply.content
    assert (reply.delivery_status, reply.provider_id) == ("queued", sent.sid)


def test_staff_whatsapp_reply_after_24_hours_goes_as_the_approved_template(
    maya, fake_twilio, settings, django_capture_on_commit_callbacks
):
    settings.TWILIO_WHATSAPP_TEMPLATE_SID = "HX00000000000000000000000000000001"
    ticket = escalated_ticket(channel="whatsapp", phone="+14155550155", at=timezone.now() - timedelta(hours=26))
    with django_capture_on_commit_callbacks(execute=True):
        _reply(maya, ticket, follow=False)
    [sent] = fake_twilio.sent
    assert sent.content_sid == "HX00000000000000000000000000000001" and sent.body == ""
    assert ticket.reference in sent.content_variables
    reply = Message.objects.get(ticket=ticket, author=Author.STAFF)
    assert reply.metadata["sent_as_template"] == "HX00000000000000000000000000000001"
