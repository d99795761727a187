"""deliver_message: the contract the agent and the staff desk rely on."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import OperationalError, connection

from channels_app import delivery
from channels_app.delivery import deliver_message
from channels_app.senders import SendError, WebFormSender, get_sender
from channels_app.support_links import ticket_token_check
from channels_app.tasks import deliver_message_task
from crm import services
from crm.errors import InvalidInput
from crm.models import Channel, DeliveryStatus, TicketStatus

pytestmark = pytest.mark.django_db


def _web_form_reply():  # type: ignore[no-untyped-def]
    inbound = services.inbound_message_accept(channel=Channel.WEB_FORM, provider_id="wf-1",
                                              content="Where are my invoices?", email="ana@example.com").message
    ticket, _ = services.ticket_for_conversation(conversation=inbound.conversation, channel=Channel.WEB_FORM)
    return services.outbound_message_record(ticket=ticket, channel=Channel.WEB_FORM, content="Under Billing.",
                                            reply_to=inbound)


def test_a_web_form_reply_is_emailed_with_a_link_to_the_ticket_page(mailoutbox) -> None:  # type: ignore[no-untyped-def]
    assert isinstance(get_sender(Channel.WEB_FORM), WebFormSender)
    reply = _web_form_reply()

    # "sent": emailed, not yet shown on the customer's page.
    assert deliver_message(message_id=reply.pk) == DeliveryStatus.SENT
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.SENT
    assert reply.provider_id == f"webform-reply-{reply.pk}"
    assert reply.metadata["emailed"]["to"] == "ana@example.com"
    [mail] = mailoutbox
    assert mail.to == ["ana@example.com"]
    assert reply.ticket.reference in mail.subject and "Under Billing." in mail.body
    link = next(line for line in mail.body.splitlines() if "/support/?ticket=" in line)
    query = parse_qs(urlsplit(link).query)
    assert query["ticket"] == [reply.ticket.reference]
    ticket_token_check(reference=reply.ticket.reference, token=query["token"][0])
    # idempotent: delivering again sends nothing
    assert deliver_message(message_id=reply.pk) == DeliveryStatus.SENT
    assert len(mailoutbox) == 1


def test_a_retry_after_the_email_went_does_not_email_again(mailoutbox, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    reply = _web_form_reply()
    calls = []
    real_update = services.message_delivery_update

    def fail_on_the_final_record(**kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs["status"])
        if kwargs["status"] != DeliveryStatus.PENDING:
            raise OperationalError("the database went away after the email was sent")
        return real_update(**kwargs)

    monkeypatch.setattr(delivery.services, "message_delivery_update", fail_on_the_final_record)
    with pytest.raises(OperationalError):
        deliver_message(message_id=reply.pk)
    monkeypatch.undo()
    assert len(mailoutbox) == 1

    assert deliver_message(message_id=reply.pk) == DeliveryStatus.SENT  # the retry
    assert len(mailoutbox) == 1


def test_a_failing_email_backend_is_retried_and_nothing_is_recorded_as_emailed(settings) -> None:  # type: ignore[no-untyped-def]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens
    reply = _web_form_reply()

    with pytest.raises(SendError) as raised:
        deliver_message(message_id=reply.pk)
    assert not raised.value.permanent
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.PENDING and "emailed" not in reply.metadata


def test_a_reply_the_page_showed_is_delivered(mailoutbox) -> None:  # type: ignore[no-untyped-def]
    reply = _web_form_reply()
    # The page polled before the delivery task ran: still pending, so it is still emailed.
    assert services.web_replies_mark_shown(ticket=reply.ticket) == [reply.pk]
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.PENDING
    assert services.web_replies_mark_shown(ticket=reply.ticket) == []  # marked once

    assert deliver_message(message_id=reply.pk) == DeliveryStatus.DELIVERED
    assert len(mailoutbox) == 1

    later = services.outbound_message_record(ticket=reply.ticket, channel=Channel.WEB_FORM, content="More.")
    assert deliver_message(message_id=later.pk) == DeliveryStatus.SENT
    assert services.web_replies_mark_shown(ticket=reply.ticket) == [later.pk]
    later.refresh_from_db()
    assert later.delivery_status == DeliveryStatus.DELIVERED and later.metadata["shown_on_page_at"]


def test_inbound_or_missing_messages_are_refused() -> None:
    reply = _web_form_reply()
    inbound_id = reply.reply_to_id
    with pytest.raises(InvalidInput):
        deliver_message(message_id=inbound_id)
    with pytest.raises(InvalidInput):
        deliver_message(message_id=999_999)


def test_a_message_another_worker_is_delivering_is_left_alone(fake_twilio) -> None:  # type: ignore[no-untyped-def]
    inbound = services.inbound_message_accept(channel=Channel.WHATSAPP, provider_id="SMx", content="hi",
                                              phone="+14155550123", metadata={"from": "whatsapp:+14155550123"}).message
    ticket, _ = services.ticket_for_conversation(conversation=inbound.conversation, channel=Channel.WHATSAPP)
    reply = services.outbound_message_record(ticket=ticket, channel=Channel.WHATSAPP, content="Hello")

    other = connection.copy()  # a second session, like a second worker
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [delivery._LOCK_NAMESPACE, reply.pk])
        assert deliver_message(message_id=reply.pk) == DeliveryStatus.PENDING
        assert fake_twilio.sent == []
        # Unlock explicitly: closing the session releases the lock only when the
        # server backend has exited, which can be after the next line runs.
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [delivery._LOCK_NAMESPACE, reply.pk])
    finally:
        other.close()
    assert deliver_message(message_id=reply.pk) == DeliveryStatus.QUEUED
    assert len(fake_twilio.sent) == 1


def test_the_celery_task_gives_up_after_its_retries_and_hands_the_ticket_to_a_human(fake_twilio, settings) -> None:  # type: ignore[no-untyped-def]
    settings.CELERY_TASK_MAX_RETRIES = 0
    inbound = services.inbound_message_accept(channel=Channel.WHATSAPP, provider_id="SMy", content="hi",
                                              phone="+14155550123", metadata={"from": "whatsapp:+14155550123"}).message
    ticket, _ = services.ticket_for_conversation(conversation=inbound.conversation, channel=Channel.WHATSAPP)
    reply = services.outbound_message_record(ticket=ticket, channel=Channel.WHATSAPP, content="Hello")
    fake_twilio.failures = [(503, 20503, "Service unavailable")]

    assert deliver_message_task.apply(args=[reply.pk]).get() == "failed"

    reply.refresh_from_db()
    ticket.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.FAILED
    assert ticket.status == TicketStatus.ESCALATED and ticket.escalation_reason == "delivery_failed"


def test_a_closed_ticket_is_not_reopened_by_a_failed_delivery(fake_twilio) -> None:  # type: ignore[no-untyped-def]
    inbound = services.inbound_message_accept(channel=Channel.WHATSAPP, provider_id="SMz", content="hi",
                                              phone="+14155550123", metadata={"from": "whatsapp:+14155550123"}).message
    ticket, _ = services.ticket_for_conversation(conversation=inbound.conversation, channel=Channel.WHATSAPP)
    reply = services.outbound_message_record(ticket=ticket, channel=Channel.WHATSAPP, content="Hello")
    services.ticket_close(ticket=ticket)
    fake_twilio.failures = [(400, 21610, "Unsubscribed")]

    assert deliver_message(message_id=reply.pk) == DeliveryStatus.FAILED
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED


def test_a_delivery_that_meets_a_restarting_database_is_retried_not_left_to_the_sweep(fake_twilio, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from django.db import OperationalError

    from channels_app import tasks

    inbound = services.inbound_message_accept(channel=Channel.WHATSAPP, provider_id="SMdb", content="hi",
                                              phone="+14155550123", metadata={"from": "whatsapp:+14155550123"}).message
    ticket, _ = services.ticket_for_conversation(conversation=inbound.conversation, channel=Channel.WHATSAPP)
    reply = services.outbound_message_record(ticket=ticket, channel=Channel.WHATSAPP, content="Hello")
    real, calls = tasks.deliver_message, []

    def once_away(*, message_id: int) -> str:
        calls.append(message_id)
        if len(calls) == 1:
            raise OperationalError("the database system is shutting down")
        return real(message_id=message_id)

    monkeypatch.setattr(tasks, "deliver_message", once_away)
    assert deliver_message_task.apply(args=[reply.pk]).get() == DeliveryStatus.QUEUED
    assert calls == [reply.pk, reply.pk] and len(fake_twilio.sent) == 1
