"""Replies on WhatsApp through the twilio Client, against a local fake Twilio API."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from channels_app.delivery import deliver_message
from channels_app.senders import SandboxSender, SendError, WhatsAppSender, get_sender
from crm import services
from crm.models import Channel, DeliveryStatus, Message, TicketStatus

pytestmark = pytest.mark.django_db


def _conversation_reply(content: str, *, hours_since_customer_wrote: float = 1, phone: str = "+14155550123",
                        sid: str = "SMin1") -> Message:
    inbound = services.inbound_message_accept(
        channel=Channel.WHATSAPP, provider_id=sid, content="How do I reset my password?", phone=phone,
        name="Ana Díaz", metadata={"from": f"whatsapp:{phone}"},
        received_at=timezone.now() - timedelta(hours=hours_since_customer_wrote),
    ).message
    ticket, _ = services.ticket_for_conversation(conversation=inbound.conversation, channel=Channel.WHATSAPP)
    return services.outbound_message_record(ticket=ticket, channel=Channel.WHATSAPP, content=content, reply_to=inbound)


def test_without_an_account_sid_whatsapp_is_sandboxed(settings) -> None:  # type: ignore[no-untyped-def]
    settings.TWILIO_ACCOUNT_SID = ""
    assert isinstance(get_sender(Channel.WHATSAPP), SandboxSender)
    reply = _conversation_reply("Open Settings → Security.")

    assert deliver_message(message_id=reply.pk) == DeliveryStatus.SANDBOX
    reply.refresh_from_db()
    assert reply.get_delivery_status_display() == "Sandbox — not sent"
    assert reply.metadata["sandbox"]["to"] == "whatsapp:+14155550123"


def test_the_sandbox_does_not_log_the_customers_number(settings, caplog) -> None:  # type: ignore[no-untyped-def]
    settings.TWILIO_ACCOUNT_SID = ""
    reply = _conversation_reply("Open Settings → Security.")

    with caplog.at_level("DEBUG"):
        deliver_message(message_id=reply.pk)

    assert any("sandbox" in r.getMessage() for r in caplog.records)
    assert not [r.getMessage() for r in caplog.records if "5550123" in r.getMessage()]


def test_a_reply_is_sent_from_our_number_to_the_customer(fake_twilio, settings) -> None:  # type: ignore[no-untyped-def]
    assert isinstance(get_sender(Channel.WHATSAPP), WhatsAppSender)
    reply = _conversation_reply("Open Settings → Security → Reset password.")

    assert deliver_message(message_id=reply.pk) == DeliveryStatus.QUEUED

    [sent] = fake_twilio.sent
    assert (sent.from_, sent.to, sent.body) == ("whatsapp:+14155238886", "whatsapp:+14155550123",
                                                "Open Settings → Security → Reset password.")
    assert sent.status_callback == settings.PUBLIC_BASE_URL + "/webhooks/whatsapp/status"
    reply.refresh_from_db()
    assert reply.provider_id == sent.sid and reply.delivery_status == DeliveryStatus.QUEUED
    assert reply.metadata["twilio_sids"] == [sent.sid]


def test_a_long_reply_goes_out_in_ordered_parts(fake_twilio) -> None:  # type: ignore[no-untyped-def]
    parts = [f"({i}/3) " + ("word " * 300).strip() for i in (1, 2, 3)]
    reply = _conversation_reply("\n\f\n".join(parts))

    deliver_message(message_id=reply.pk)

    assert [s.body for s in fake_twilio.sent] == parts
    assert all(len(s.body) <= 1600 for s in fake_twilio.sent)
    reply.refresh_from_db()
    assert reply.metadata["twilio_sids"] == [s.sid for s in fake_twilio.sent]


def test_an_oversized_part_is_split_again_at_a_word(fake_twilio) -> None:  # type: ignore[no-untyped-def]
    reply = _conversation_reply(("lorem " * 500).strip())  # 2,999 characters, no separator
    deliver_message(message_id=reply.pk)
    assert len(fake_twilio.sent) == 2
    assert all(len(s.body) <= 1600 and not s.body.endswith(" ") for s in fake_twilio.sent)


def test_a_transient_failure_is_retried_and_resumes_after_the_parts_already_sent(fake_twilio) -> None:  # type: ignore[no-untyped-def]
    reply = _conversation_reply("part one\n\f\npart two\n\f\npart three")
    fake_twilio.failures = [None, (503, 20503, "Service unavailable")]

    with pytest.raises(SendError) as caught:
        deliver_message(message_id=reply.pk)
    assert caught.value.permanent is False
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.PENDING
    assert [s.body for s in fake_twilio.sent] == ["part one"]

    assert deliver_message(message_id=reply.pk) == DeliveryStatus.QUEUED  # the Celery retry
    assert [s.body for s in fake_twilio.sent] == ["part one", "part two", "part three"]


@pytest.mark.parametrize("failure", [(429, 20429, "Too Many Requests"), (500, 0, "Internal error"),
                                     (400, 63018, "Rate limit exceeded for the WhatsApp channel")])
def test_rate_limits_and_server_errors_are_transient(fake_twilio, failure) -> None:  # type: ignore[no-untyped-def]
    reply = _conversation_reply("Hello")
    fake_twilio.failures = [failure]
    with pytest.raises(SendError) as caught:
        deliver_message(message_id=reply.pk)
    assert caught.value.permanent is False


def test_an_unreachable_twilio_is_transient(settings) -> None:  # type: ignore[no-untyped-def]
    from tests.support.network import refused_port

    settings.TWILIO_ACCOUNT_SID = "AC" + "1" * 32
    reply = _conversation_reply("Hello")
    with refused_port() as port, pytest.raises(SendError) as caught:
        settings.TWILIO_API_BASE_URL = f"http://127.0.0.1:{port}"
        deliver_message(message_id=reply.pk)
    assert caught.value.permanent is False and caught.value.code == "network"


@pytest.mark.parametrize("code", [21211, 21610, 63016])
def test_a_permanent_twilio_error_fails_the_reply_and_flags_the_ticket(fake_twilio, code) -> None:  # type: ignore[no-untyped-def]
    reply = _conversation_reply("Hello")
    fake_twilio.failures = [(400, code, "Refused")]

    assert deliver_message(message_id=reply.pk) == DeliveryStatus.FAILED

    reply.refresh_from_db()
    assert (reply.delivery_status, reply.delivery_error_code) == (DeliveryStatus.FAILED, str(code))
    ticket = reply.ticket
    ticket.refresh_from_db()
    assert (ticket.status, ticket.escalation_reason, ticket.urgency) == (TicketStatus.ESCALATED, "delivery_failed",
                                                                         "high")
    assert ticket.escalation_packet["delivery_failures"][0]["error_code"] == str(code)
    # Delivering again sends nothing: the reply is no longer pending.
    assert deliver_message(message_id=reply.pk) == DeliveryStatus.FAILED
    assert fake_twilio.sent == []


def test_outside_the_session_window_without_a_template_no_free_text_is_sent(fake_twilio, settings) -> None:  # type: ignore[no-untyped-def]
    settings.TWILIO_WHATSAPP_TEMPLATE_SID = ""
    reply = _conversation_reply("Here is the answer", hours_since_customer_wrote=25)

    assert deliver_message(message_id=reply.pk) == DeliveryStatus.FAILED

    assert fake_twilio.sent == []
    reply.refresh_from_db()
    assert reply.delivery_error_code == "outside_session_window"
    reply.ticket.refresh_from_db()
    assert reply.ticket.status == TicketStatus.ESCALATED and reply.ticket.escalation_reason == "delivery_failed"


def test_outside_the_session_window_the_template_is_sent(fake_twilio, settings) -> None:  # type: ignore[no-untyped-def]
    settings.TWILIO_WHATSAPP_TEMPLATE_SID = "HX" + "c" * 32
    reply = _conversation_reply("Here is the answer", hours_since_customer_wrote=30)

    assert deliver_message(message_id=reply.pk) == DeliveryStatus.QUEUED

    [sent] = fake_twilio.sent
    assert sent.content_sid == "HX" + "c" * 32 and sent.body == ""
    assert '"1": "Ana"' in sent.content_variables and reply.ticket.reference in sent.content_variables
    reply.refresh_from_db()
    assert reply.metadata["sent_as_template"] == "HX" + "c" * 32


def test_just_inside_the_window_free_text_is_allowed(fake_twilio, settings) -> None:  # type: ignore[no-untyped-def]
    settings.TWILIO_WHATSAPP_TEMPLATE_SID = ""
    reply = _conversation_reply("Here is the answer", hours_since_customer_wrote=23.5)
    assert deliver_message(message_id=reply.pk) == DeliveryStatus.QUEUED
    assert fake_twilio.sent[0].body == "Here is the answer"


def test_a_delivered_message_is_not_sent_twice(fake_twilio) -> None:  # type: ignore[no-untyped-def]
    reply = _conversation_reply("Hello")
    deliver_message(message_id=reply.pk)
    deliver_message(message_id=reply.pk)
    assert len(fake_twilio.sent) == 1


def test_wrong_credentials_are_permanent(fake_twilio, settings) -> None:  # type: ignore[no-untyped-def]
    settings.TWILIO_AUTH_TOKEN = "not-the-token"
    reply = _conversation_reply("Hello")
    assert deliver_message(message_id=reply.pk) == DeliveryStatus.FAILED
    reply.refresh_from_db()
    assert reply.delivery_error_code == "20003"
