"""The whole loop per channel: the provider's request hits our webhook, the real agent
(agent_app.pipeline.process_message, offline model) answers, and the reply leaves
through that channel's sender in that channel's format — to a local fake provider.
"""
from __future__ import annotations

import json
from email import policy
from email.parser import BytesParser

import pytest

from channels_app.models import GmailMailbox
from channels_app.support_links import ticket_token
from channels_app.tasks import deliver_message_task
from channels_app.tests.helpers import make_mail, push_body, twilio_params, twilio_post
from crm import services
from crm.models import AgentMetric, Author, DeliveryStatus, Message, TicketStatus

pipeline = pytest.importorskip("agent_app.pipeline", reason="the agent pipeline is not written yet")

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("help_centre")]


def _process(message: Message) -> str:
    """What the Celery tasks do: claim, run the pipeline, then the delivery task sends each reply
    (run here in-process, its retries included)."""
    assert services.message_claim(message_id=message.pk)
    outcome = pipeline.process_message(message_id=message.pk)
    for reply in Message.objects.filter(reply_to=message, author=Author.AGENT, delivery_status="pending"):
        deliver_message_task.apply(args=[reply.pk])
    return outcome


def _agent_replies(message: Message) -> list[Message]:
    return list(Message.objects.filter(reply_to=message, author=Author.AGENT).order_by("id"))


def test_whatsapp_question_to_twilio_reply(api, fake_twilio) -> None:  # type: ignore[no-untyped-def]
    assert twilio_post(api, "/webhooks/whatsapp",
                       twilio_params(Body="how do i reset my password?")).status_code == 200
    inbound = Message.objects.get()

    assert _process(inbound) == "answered"

    [reply] = _agent_replies(inbound)
    assert reply.channel == "whatsapp" and reply.delivery_status == DeliveryStatus.QUEUED
    assert [s.sid for s in fake_twilio.sent] == reply.metadata["twilio_sids"]
    sent = fake_twilio.sent
    assert all(s.to == "whatsapp:+14155550123" and s.from_ == "whatsapp:+14155238886" for s in sent)
    text = "\n".join(s.body for s in sent)
    assert all(len(s.body) <= 1600 for s in sent)
    # WhatsApp style: plain conversational text, no markdown, no email greeting or signature.
    assert "**" not in text and "](" not in text and "Best regards" not in text
    assert "password" in text.lower()


def test_whatsapp_refund_request_is_escalated_and_the_notice_goes_out(api, fake_twilio) -> None:  # type: ignore[no-untyped-def]
    body = "I was charged twice this month, I want a refund of the second payment"
    twilio_post(api, "/webhooks/whatsapp", twilio_params(Body=body))
    inbound = Message.objects.get()

    assert _process(inbound) == "escalated"

    inbound.refresh_from_db()
    assert inbound.ticket.status == TicketStatus.ESCALATED
    assert inbound.ticket.escalation_reason == "refund_request"
    assert len(fake_twilio.sent) >= 1  # the customer is told a person will follow up
    assert _agent_replies(inbound)[0].delivery_status == DeliveryStatus.QUEUED


def test_email_question_to_a_threaded_gmail_reply(fake_gmail, gmail_push_synced) -> None:  # type: ignore[no-untyped-def]
    GmailMailbox.objects.create(address="support@loomline.example", history_id=fake_gmail.history_id)
    mail = fake_gmail.deliver(make_mail(subject="Password reset", message_id="<q1@example.com>",
                                        body="Hello,\n\nI forgot my password. How can I set a new one?\n\nAna"))
    assert gmail_push_synced(push_body(fake_gmail.history_id))["stored"] == 1
    inbound = Message.objects.get()

    assert _process(inbound) == "answered"

    [reply] = _agent_replies(inbound)
    assert reply.delivery_status == DeliveryStatus.SENT
    [sent] = fake_gmail.sent
    assert sent["request"]["threadId"] == mail.thread_id
    mime = BytesParser(policy=policy.default).parsebytes(sent["raw"])
    assert mime["Subject"] == "Re: Password reset"
    assert mime["In-Reply-To"] == "<q1@example.com>"
    assert mime["To"].addresses[0].addr_spec == "ana.diaz@example.com"
    body = mime.get_content().replace("\r\n", "\n")
    # Email style: greeting, the answer, the reference and a signature.
    assert body.startswith("Hi Ana,")
    inbound.refresh_from_db()
    assert f"Your reference: {inbound.ticket.reference}" in body
    assert body.rstrip().endswith("Loomline Support")


def test_web_form_question_to_a_reply_on_the_ticket_page(api) -> None:  # type: ignore[no-untyped-def]
    response = api.post("/support/submit", content_type="application/json", data=json.dumps({
        "name": "Ana Díaz", "email": "ana@example.com", "subject": "Invoices", "category": "billing",
        "priority": "medium", "message": "Where can I download our invoices?"}))
    reference = response.json()["ticket_id"]
    inbound = Message.objects.get()

    assert _process(inbound) == "answered"

    [reply] = _agent_replies(inbound)
    assert reply.delivery_status == DeliveryStatus.SENT  # emailed to the form's address
    assert reply.metadata["emailed"]["to"] == "ana@example.com"
    page = api.get(f"/support/ticket/{reference}?token={ticket_token(reference=reference)}").json()
    assert [m["author"] for m in page["messages"]] == ["customer", "agent"]
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.DELIVERED  # the customer's page showed it
    answer = page["messages"][1]["content"]
    # Web form style: a short greeting, the answer, a sign-off.
    assert answer.startswith("Hi Ana,") and "Loomline Support" in answer
    assert len(answer.split()) <= 300


@pytest.mark.django_db(transaction=True)
def test_make_run_sandbox_loop_from_simulate_inbound(settings, live_server, celery_eager) -> None:  # type: ignore[no-untyped-def]
    """make run: no credentials; simulate_inbound → webhook → sync task → agent → reply recorded, not sent."""
    from django.core.management import call_command

    settings.PUBLIC_BASE_URL = live_server.url
    settings.TWILIO_ACCOUNT_SID = ""
    settings.GMAIL_CREDENTIALS_FILE = settings.GMAIL_API_ENDPOINT = ""
    for channel, sender in [("whatsapp", "+14155550123"), ("email", "ana@example.com")]:
        call_command("simulate_inbound", "--channel", channel, "--from", sender, "--name", "Ana",
                     "--text", "How do I reset my password?", stdout=None)
    for inbound in Message.objects.filter(direction="inbound"):
        assert _process(inbound) == "answered"
        [reply] = _agent_replies(inbound)
        assert reply.delivery_status == DeliveryStatus.SANDBOX
        assert reply.get_delivery_status_display() == "Sandbox — not sent"
        assert reply.metadata["sandbox"]["channel"] == inbound.channel


def test_a_channel_outage_is_retried_by_the_delivery_task_not_by_running_the_agent_again(api, fake_twilio) -> None:  # type: ignore[no-untyped-def]
    twilio_post(api, "/webhooks/whatsapp", twilio_params(Body="I want a refund for last month's invoice"))
    inbound = Message.objects.get()
    fake_twilio.failures = [(503, 20503, "Service unavailable")]

    assert _process(inbound) == "escalated"  # the outage is the delivery task's to retry

    inbound.refresh_from_db()
    assert inbound.attempts == 1 and inbound.processing_state == "processed"
    [notice] = _agent_replies(inbound)
    assert notice.delivery_status == DeliveryStatus.QUEUED and len(fake_twilio.sent) >= 1
    metric = AgentMetric.objects.get(message=inbound)
    assert metric.outcome == "escalated" and metric.tokens_used == inbound.tokens_used > 0
    assert metric.end_to_end_ms is not None  # filled in when the reply went out


def test_a_reply_that_never_gets_through_hands_the_ticket_over_and_keeps_its_reason(api, fake_twilio, settings) -> None:  # type: ignore[no-untyped-def]
    twilio_post(api, "/webhooks/whatsapp", twilio_params(Body="Someone hacked my account and changed my password"))
    inbound = Message.objects.get()
    fake_twilio.failures = [(503, 20503, "Service unavailable")] * (settings.CELERY_TASK_MAX_RETRIES + 1)

    assert _process(inbound) == "escalated"

    [notice] = _agent_replies(inbound)
    assert notice.delivery_status == DeliveryStatus.FAILED
    ticket = Message.objects.get(pk=inbound.pk).ticket
    assert (ticket.escalation_reason, ticket.urgency) == ("security_incident", "urgent")
    assert ticket.escalation_packet["delivery_failures"][0]["message_id"] == notice.pk

    # Out of retries and replayed: still with a person, and no second notice.
    services.message_fail(message_id=inbound.pk, error="gave up")
    ticket.refresh_from_db()
    assert (ticket.escalation_reason, ticket.urgency) == ("security_incident", "urgent")
    assert services.message_requeue(message_id=inbound.pk)
    assert Message.objects.get(pk=inbound.pk).attempts == 0  # a replay starts its attempts afresh
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.ESCALATED
    fake_twilio.failures = []
    assert _process(inbound) == "escalated"
    assert [m.pk for m in _agent_replies(inbound)] == [notice.pk]


def test_a_second_form_submission_while_a_person_owns_the_first_goes_to_them_too(api) -> None:  # type: ignore[no-untyped-def]
    first = api.post("/support/submit", content_type="application/json", data=json.dumps({
        "name": "Ana Díaz", "email": "ana@example.com", "subject": "Refund", "category": "billing",
        "priority": "medium", "message": "I want a refund for last month."})).json()["ticket_id"]
    _process(Message.objects.get(ticket__reference=first))
    second = api.post("/support/submit", content_type="application/json", data=json.dumps({
        "name": "Ana Díaz", "email": "ana@example.com", "subject": "Invoices", "category": "billing",
        "priority": "medium", "message": "Also, where can I download our invoices?"})).json()["ticket_id"]

    assert _process(Message.objects.get(ticket__reference=second, direction="inbound")) == "skipped"

    page = api.get(f"/support/ticket/{second}?token={ticket_token(reference=second)}").json()
    assert page["status"] == "escalated"  # with the same person, not open and waiting for no one
    from crm.models import Ticket
    ticket = Ticket.objects.get(reference=second)
    assert ticket.escalation_packet["related_ticket"] == first


def test_the_form_reply_greets_by_the_name_typed_not_the_matched_customers(api) -> None:  # type: ignore[no-untyped-def]
    services.inbound_message_accept(channel="email", provider_id="g-ana", content="Hello",
                                    email="ana@example.com", name="Ana Díaz")
    reference = api.post("/support/submit", content_type="application/json", data=json.dumps({
        "name": "Sam", "email": "ana@example.com", "subject": "Invoices", "category": "billing",
        "priority": "medium", "message": "Where can I download our invoices?"})).json()["ticket_id"]
    assert _process(Message.objects.get(ticket__reference=reference, direction="inbound")) == "answered"
    answer = api.get(f"/support/ticket/{reference}?token={ticket_token(reference=reference)}").json()["messages"][1]["content"]
    assert answer.startswith("Hi Sam,") and "Ana" not in answer
