"""Management commands: simulate_inbound (over real HTTP), gmail_watch, load_demo_data; the watch task."""
from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from channels_app.models import GmailMailbox, SandboxMailMessage
from channels_app.tasks import gmail_watch_renew
from crm.models import Channel, DeliveryStatus, Message, ProcessingState, Ticket, TicketStatus


@pytest.fixture
def sandboxed(settings, live_server, celery_eager):  # type: ignore[no-untyped-def]
    """make run: channels without credentials, the web server at PUBLIC_BASE_URL, tasks run as queued."""
    settings.PUBLIC_BASE_URL = live_server.url
    settings.TWILIO_ACCOUNT_SID = ""
    settings.GMAIL_CREDENTIALS_FILE = ""
    settings.GMAIL_API_ENDPOINT = ""
    settings.GMAIL_PUSH_AUDIENCE = ""
    return live_server


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_simulate_whatsapp_goes_through_the_signed_webhook(sandboxed) -> None:  # type: ignore[no-untyped-def]
    output = _run("simulate_inbound", "--channel", "whatsapp", "--from", "+14155550123", "--name", "Ana",
                  "--text", "How do I reset my password?")

    assert "whatsapp: 200" in output
    message = Message.objects.get()
    assert (message.channel, message.content) == (Channel.WHATSAPP, "How do I reset my password?")
    assert message.provider_id.startswith("SM") and message.metadata["from"] == "whatsapp:+14155550123"


@pytest.mark.django_db(transaction=True)
def test_simulate_email_goes_through_push_history_and_messages_get(sandboxed) -> None:  # type: ignore[no-untyped-def]
    output = _run("simulate_inbound", "--channel", "email", "--from", "ana@example.com", "--name", "Ana Díaz",
                  "--subject", "Reset link", "--text", "The reset email never arrives.")

    assert "email: 202" in output and '"status": "queued"' in output
    [mail] = SandboxMailMessage.objects.all()
    message = Message.objects.get()
    assert (message.channel, message.provider_id, message.subject) == (Channel.EMAIL, mail.gmail_id, "Reset link")
    assert message.content == "The reset email never arrives."
    assert message.metadata["thread_id"] == mail.thread_id
    mailbox = GmailMailbox.objects.get()
    assert mailbox.history_id == mail.pk and mailbox.last_full_sync_at is not None

    # A second mail: now an incremental history.list sync.
    _run("simulate_inbound", "--channel", "email", "--from", "ben@example.com", "--text", "Another one")
    assert Message.objects.count() == 2
    second = SandboxMailMessage.objects.latest("pk")
    assert GmailMailbox.objects.get().history_id == second.pk
    assert GmailMailbox.objects.get().last_full_sync_at == mailbox.last_full_sync_at


@pytest.mark.django_db(transaction=True)
def test_simulate_web_form_posts_the_form_json(sandboxed) -> None:  # type: ignore[no-untyped-def]
    output = _run("simulate_inbound", "--channel", "web_form", "--from", "ana@example.com",
                  "--text", "Where do I find my invoices?")
    assert "TKT-" in output
    ticket = Ticket.objects.get()
    assert ticket.source_channel == Channel.WEB_FORM and ticket.messages.count() == 1


@pytest.mark.django_db(transaction=True)
def test_simulate_reports_what_the_webhook_refused(sandboxed) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError, match="400"):
        _run("simulate_inbound", "--channel", "web_form", "--from", "ana@example.com", "--text", "short")
    with pytest.raises(CommandError, match="not a valid phone"):
        _run("simulate_inbound", "--channel", "whatsapp", "--from", "12", "--text", "hello")


@pytest.mark.django_db
def test_simulate_email_refuses_a_real_mailbox(settings) -> None:  # type: ignore[no-untyped-def]
    settings.GMAIL_API_ENDPOINT = "http://127.0.0.1:9/"
    with pytest.raises(CommandError, match="real mailbox"):
        _run("simulate_inbound", "--channel", "email", "--from", "ana@example.com", "--text", "hello there")


# --- gmail_watch -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_gmail_watch_registers_the_watch_and_stores_the_history_id(fake_gmail, settings) -> None:  # type: ignore[no-untyped-def]
    settings.GMAIL_PUBSUB_TOPIC = "projects/loomline/topics/gmail"
    output = _run("gmail_watch")

    assert "Renewed watch on support@loomline.example" in output
    assert fake_gmail.watches == [{"topicName": "projects/loomline/topics/gmail", "labelIds": ["INBOX"],
                                   "labelFilterBehavior": "INCLUDE"}]
    mailbox = GmailMailbox.objects.get()
    assert mailbox.history_id == fake_gmail.history_id
    assert mailbox.watch_expiration > timezone.now() + timedelta(days=6)

    # Within its validity it is left alone; forced, it renews without moving the history id back.
    assert "Still valid" in _run("gmail_watch", "--if-expiring-within", "48")
    fake_gmail.deliver(b"From: a@example.com\r\nSubject: x\r\n\r\nhi")
    _run("gmail_watch")
    assert GmailMailbox.objects.get().history_id == mailbox.history_id
    assert len(fake_gmail.watches) == 2


@pytest.mark.django_db
def test_gmail_watch_without_a_topic_is_an_error(fake_gmail, settings) -> None:  # type: ignore[no-untyped-def]
    settings.GMAIL_PUBSUB_TOPIC = ""
    with pytest.raises(CommandError, match="GMAIL_PUBSUB_TOPIC"):
        _run("gmail_watch")
    assert gmail_watch_renew.apply().get() == "not configured"


@pytest.mark.django_db
def test_gmail_watch_in_sandbox_mode(settings) -> None:  # type: ignore[no-untyped-def]
    settings.GMAIL_API_ENDPOINT = ""
    settings.GMAIL_CREDENTIALS_FILE = ""
    assert "sandbox mode" in _run("gmail_watch")
    assert GmailMailbox.objects.get().watch_expiration is not None


@pytest.mark.django_db
def test_the_renewal_task_renews_only_a_watch_about_to_lapse(fake_gmail, settings) -> None:  # type: ignore[no-untyped-def]
    settings.GMAIL_PUBSUB_TOPIC = "projects/loomline/topics/gmail"
    assert gmail_watch_renew.apply().get().startswith("renewed until")
    assert gmail_watch_renew.apply().get().startswith("still valid")
    GmailMailbox.objects.update(watch_expiration=timezone.now() + timedelta(hours=20))
    assert gmail_watch_renew.apply().get().startswith("renewed until")
    assert len(fake_gmail.watches) == 2


# --- load_demo_data --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_demo_data_is_idempotent_and_fills_the_desk(settings) -> None:  # type: ignore[no-untyped-def]
    _run("load_demo_data")
    counts = (Message.objects.count(), Ticket.objects.count())
    assert "0 new scenario" in _run("load_demo_data")
    assert (Message.objects.count(), Ticket.objects.count()) == counts

    demo = Ticket.objects.filter(messages__provider_id__startswith="demo-").distinct()
    statuses = set(demo.values_list("status", flat=True))
    assert {TicketStatus.OPEN, TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED, TicketStatus.CLOSED,
            TicketStatus.ESCALATED} <= statuses
    escalated = demo.filter(status=TicketStatus.ESCALATED)
    assert 2 <= escalated.count() <= 4
    assert all(t.escalation_summary and t.sla_due_at for t in escalated)
    assert set(demo.values_list("source_channel", flat=True)) == {"email", "whatsapp", "web_form"}
    # Replies are shown as sandbox (or delivered on the web form), never as really sent.
    replies = Message.objects.filter(direction="outbound", provider_id__startswith="demo-")
    assert replies.exists()
    assert set(replies.values_list("delivery_status", flat=True)) <= {DeliveryStatus.SANDBOX, DeliveryStatus.DELIVERED}
    # One customer on two channels is one customer.
    ben = Message.objects.get(provider_id="demo-web-ben-2").conversation.customer
    assert set(ben.identifiers.values_list("kind", flat=True)) == {"email", "phone"}
    assert Message.objects.get(provider_id="demo-wa-ben-1").conversation.customer == ben
    # Scenario messages are done; sample tickets (if any) wait for the agent.
    assert not Message.objects.filter(provider_id__startswith="demo-", direction="inbound").exclude(
        provider_id__startswith="demo-sample-").exclude(processing_state=ProcessingState.PROCESSED).exists()


@pytest.mark.django_db
def test_demo_samples_are_left_for_the_agent(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    sample = tmp_path / "sample-tickets.json"
    sample.write_text(json.dumps([
        {"id": "S1", "channel": "web_form", "customer_email": "s1@example.com", "customer_name": "S One",
         "subject": "Invoices", "content": "Where do I download invoices?"},
        {"id": "S2", "channel": "whatsapp", "customer_phone": "+4917612340000", "content": "hi, 2fa help"},
        {"id": "S3", "channel": "whatsapp", "content": "no phone: skipped"},
        "not an object",
    ]))
    _run("load_demo_data", "--samples", str(sample))

    s1 = Message.objects.get(provider_id="demo-sample-S1")
    s2 = Message.objects.get(provider_id="demo-sample-S2")
    assert s1.processing_state == s2.processing_state == ProcessingState.RECEIVED
    assert s1.ticket is not None and s2.ticket is None  # the form opens its ticket; WhatsApp waits for the agent
    assert not Message.objects.filter(provider_id="demo-sample-S3").exists()
