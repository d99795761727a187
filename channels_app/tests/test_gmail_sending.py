"""Email replies through users.messages.send, against a local fake Gmail API."""
from __future__ import annotations

from email import policy
from email.parser import BytesParser

import pytest

from channels_app.delivery import deliver_message
from channels_app.models import GmailMailbox
from channels_app.senders import GmailSender, SandboxSender, SendError, get_sender
from channels_app.tests.helpers import make_mail, push_body
from crm import services
from crm.models import Author, Channel, DeliveryStatus, Message, TicketStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbound_mail(fake_gmail, gmail_push_synced):  # type: ignore[no-untyped-def]
    """A customer's mail, received through the webhook and the sync task like any other."""
    GmailMailbox.objects.create(address="support@loomline.example", history_id=fake_gmail.history_id)
    fake_gmail.deliver(make_mail(message_id="<cust-1@example.com>", references=["<older@example.com>"],
                                 in_reply_to="<older@example.com>"))
    assert gmail_push_synced(push_body(fake_gmail.history_id))["stored"] == 1
    return Message.objects.get()


def _reply(inbound: Message, content: str = "Hi Ana,\n\nCheck your spam folder.\n\nBest regards,\nLoomline Support",
           author: str = Author.AGENT) -> Message:
    ticket, _ = services.ticket_for_conversation(conversation=inbound.conversation, channel=Channel.EMAIL,
                                                 subject=inbound.subject)
    return services.outbound_message_record(ticket=ticket, channel=Channel.EMAIL, content=content, author=author,
                                            subject=f"Re: {inbound.subject}", reply_to=inbound)


def _parse(raw: bytes):  # type: ignore[no-untyped-def]
    return BytesParser(policy=policy.default).parsebytes(raw)


def test_the_reply_lands_in_the_customers_thread_as_proper_mime(fake_gmail, inbound_mail) -> None:  # type: ignore[no-untyped-def]
    assert isinstance(get_sender(Channel.EMAIL), GmailSender)
    reply = _reply(inbound_mail)

    assert deliver_message(message_id=reply.pk) == DeliveryStatus.SENT

    [sent] = fake_gmail.sent
    assert sent["request"]["threadId"] == inbound_mail.metadata["thread_id"]
    mime = _parse(sent["raw"])
    assert mime["From"] == "Loomline Support <support@loomline.example>"
    assert mime["To"] == "Ana Díaz <ana.diaz@example.com>"
    assert mime["Subject"] == "Re: Reset link never arrives"
    assert mime["In-Reply-To"] == "<cust-1@example.com>"
    assert mime["References"] == "<older@example.com> <cust-1@example.com>"
    assert mime["Message-ID"].endswith("@loomline.example>")
    assert mime["Auto-Submitted"] == "auto-replied"
    assert mime["X-Loomline-Ticket"] == reply.ticket.reference
    assert mime.get_content_type() == "text/plain" and mime.get_content_charset() == "utf-8"
    assert mime.get_content().replace("\r\n", "\n").strip() == reply.content  # CRLF on the wire
    reply.refresh_from_db()
    assert (reply.provider_id, reply.delivery_status) == (sent["id"], DeliveryStatus.SENT)
    assert reply.metadata["message_id_header"] == mime["Message-ID"]


def test_a_staff_reply_is_not_marked_automatic(fake_gmail, inbound_mail) -> None:  # type: ignore[no-untyped-def]
    reply = _reply(inbound_mail, author=Author.STAFF)
    deliver_message(message_id=reply.pk)
    assert _parse(fake_gmail.sent[0]["raw"])["Auto-Submitted"] is None


def test_reply_to_header_wins_over_from(fake_gmail, gmail_push_synced) -> None:  # type: ignore[no-untyped-def]
    fake_gmail.deliver(make_mail(extra={"Reply-To": "ana.private@example.org"}))
    gmail_push_synced(push_body(fake_gmail.history_id))
    reply = _reply(Message.objects.get())
    deliver_message(message_id=reply.pk)
    assert _parse(fake_gmail.sent[0]["raw"])["To"].addresses[0].addr_spec == "ana.private@example.org"


def test_the_customers_answer_to_our_reply_continues_the_conversation(fake_gmail, inbound_mail, gmail_push_synced) -> None:  # type: ignore[no-untyped-def]
    reply = _reply(inbound_mail)
    deliver_message(message_id=reply.pk)
    reply.refresh_from_db()
    ours = reply.metadata["message_id_header"]

    fake_gmail.deliver(make_mail(body="That worked, thank you!", in_reply_to=ours, references=[ours]),
                       thread_id="a-thread-gmail-made-up")
    gmail_push_synced(push_body(fake_gmail.history_id))

    answer = Message.objects.get(content="That worked, thank you!")
    assert answer.conversation_id == inbound_mail.conversation_id


def test_an_email_to_a_customer_who_never_emailed_starts_a_new_thread(fake_gmail) -> None:  # type: ignore[no-untyped-def]
    inbound = services.inbound_message_accept(channel=Channel.WEB_FORM, provider_id="wf-1", content="Hi there",
                                              email="ben@example.com", name="Ben").message
    ticket, _ = services.ticket_for_conversation(conversation=inbound.conversation, channel=Channel.WEB_FORM,
                                                 subject="Slack")
    reply = services.outbound_message_record(ticket=ticket, channel=Channel.EMAIL, content="Hello Ben")

    deliver_message(message_id=reply.pk)

    [sent] = fake_gmail.sent
    assert "threadId" not in sent["request"]
    mime = _parse(sent["raw"])
    assert mime["To"] == "Ben <ben@example.com>" and mime["In-Reply-To"] is None
    assert mime["Subject"] == f"Slack [{ticket.reference}]"


@pytest.mark.parametrize("status, reason, permanent", [
    (500, "backendError", False),
    (503, "backendError", False),
    (429, "rateLimitExceeded", False),
    (403, "userRateLimitExceeded", False),
    (400, "invalidArgument", True),
    (403, "insufficientPermissions", True),
])
def test_gmail_errors_are_classed_permanent_or_transient(fake_gmail, inbound_mail, status, reason, permanent) -> None:  # type: ignore[no-untyped-def]
    fake_gmail.failures = {"send": [(status, reason)]}
    reply = _reply(inbound_mail)

    if permanent:
        assert deliver_message(message_id=reply.pk) == DeliveryStatus.FAILED
        reply.ticket.refresh_from_db()
        assert reply.ticket.status == TicketStatus.ESCALATED
        assert reply.ticket.escalation_reason == "delivery_failed"
    else:
        with pytest.raises(SendError) as caught:
            deliver_message(message_id=reply.pk)
        assert caught.value.permanent is False
        reply.refresh_from_db()
        assert reply.delivery_status == DeliveryStatus.PENDING
        assert deliver_message(message_id=reply.pk) == DeliveryStatus.SENT  # the retry goes through
    # a send is never retried by the client itself: one attempt per delivery
    assert sum(r.path.endswith("/messages/send") for r in fake_gmail.server.requests) == (1 if permanent else 2)


def test_an_escalated_ticket_keeps_its_reason_when_the_holding_reply_fails(fake_gmail, inbound_mail) -> None:  # type: ignore[no-untyped-def]
    reply = _reply(inbound_mail)
    services.ticket_escalate(ticket=reply.ticket, reason="refund_request", urgency="normal",
                             summary="Wants a refund.")
    fake_gmail.failures = {"send": [(400, "invalidArgument")]}

    deliver_message(message_id=reply.pk)

    reply.ticket.refresh_from_db()
    assert reply.ticket.escalation_reason == "refund_request"
    assert reply.ticket.urgency == "high"
    assert "could not be delivered" in reply.ticket.escalation_summary
    assert reply.ticket.escalation_packet["delivery_failures"][0]["message_id"] == reply.pk


def test_without_credentials_email_is_sandboxed(settings) -> None:  # type: ignore[no-untyped-def]
    settings.GMAIL_CREDENTIALS_FILE = ""
    settings.GMAIL_API_ENDPOINT = ""
    assert isinstance(get_sender(Channel.EMAIL), SandboxSender)
    inbound = services.inbound_message_accept(channel=Channel.EMAIL, provider_id="g1", content="Hello",
                                              email="ana@example.com", subject="Hi",
                                              metadata={"from": "ana@example.com", "thread_id": "t1",
                                                        "message_id_header": "<a@example.com>"}).message
    reply = _reply(inbound)

    assert deliver_message(message_id=reply.pk) == DeliveryStatus.SANDBOX
    reply.refresh_from_db()
    assert reply.metadata["sandbox"] == {"channel": "email", "to": "ana@example.com", "subject": "Re: Hi",
                                         "thread_id": "t1", "in_reply_to": "<a@example.com>"}
