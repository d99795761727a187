"""POST /webhooks/gmail: push authentication and decoding, then the sync task (history sync
through the Gmail API client, parsing), run here as a worker would run it."""
from __future__ import annotations

import base64
import json

import pytest

from channels_app.gmail.client import GmailUnavailable
from channels_app.gmail.push import decode_push
from channels_app.models import GmailMailbox
from channels_app.tasks import gmail_mailbox_sync_task
from channels_app.tests.helpers import gmail_push, make_mail, push_body
from crm.models import Channel, Conversation, Customer, Message

# Every test queues its sync tasks on a queue of its own on the real broker and runs them itself.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("gmail_sync_queue")]

SA = "gmail-push@loomline-prod.iam.gserviceaccount.com"
AUDIENCE = "https://support.loomline.example/webhooks/gmail"


@pytest.fixture
def mailbox_at(fake_gmail):  # type: ignore[no-untyped-def]
    """The mailbox has been watched: our stored history id is Gmail's current one."""
    GmailMailbox.objects.create(address="support@loomline.example", history_id=fake_gmail.history_id)
    return fake_gmail


# --- Authentication -------------------------------------------------------------------------


def test_the_push_is_acknowledged_at_once_and_the_worker_stores_the_new_mail(  # type: ignore[no-untyped-def]
    api, mailbox_at, gmail_sync_queue
) -> None:
    mail = mailbox_at.deliver(make_mail())
    response = gmail_push(api, push_body(mailbox_at.history_id))

    # The request only verified the push and queued the sync: Gmail was not called.
    assert response.status_code == 202
    assert response.json() == {"status": "queued", "history_id": mailbox_at.history_id}
    assert mailbox_at.server.requests == []
    assert Message.objects.count() == 0
    assert gmail_sync_queue.queued == [("support@loomline.example", mailbox_at.history_id)]

    # The worker runs the sync: history.list, then messages.get for the new mail.
    assert gmail_sync_queue.run() == [{"fetched": 1, "stored": 1, "duplicates": 0, "ignored": 0, "full_sync": False}]
    assert [r.path.rsplit("/", 1)[-1] for r in mailbox_at.server.requests] == ["history", mail.id]
    message = Message.objects.get()
    assert (message.channel, message.provider_id) == (Channel.EMAIL, mail.id)
    assert message.subject == "Reset link never arrives"
    assert message.content == "I asked for a reset link twice. Nothing arrives."
    meta = message.metadata
    assert meta["gmail_id"] == mail.id and meta["thread_id"] == mail.thread_id
    assert meta["from"] == "ana.diaz@example.com" and meta["subject"] == "Reset link never arrives"
    assert meta["message_id_header"].startswith("<") and meta["references"] == []
    assert meta["attachments"] == []
    assert message.conversation.email_thread_id == mail.thread_id
    assert message.conversation.customer.name == "Ana Díaz"
    assert GmailMailbox.objects.get().history_id == mailbox_at.history_id


def test_shared_secret_in_the_authorization_header_works_too(api, mailbox_at) -> None:  # type: ignore[no-untyped-def]
    from django.conf import settings

    mailbox_at.deliver(make_mail())
    response = gmail_push(api, push_body(mailbox_at.history_id), bearer=settings.GMAIL_PUSH_SHARED_SECRET)
    assert response.status_code == 202


def test_missing_token_is_401_and_wrong_token_is_403(api, mailbox_at, gmail_sync_queue) -> None:  # type: ignore[no-untyped-def]
    mailbox_at.deliver(make_mail())
    missing = api.post("/webhooks/gmail", data=push_body(mailbox_at.history_id), content_type="application/json")
    wrong = gmail_push(api, push_body(mailbox_at.history_id), token="guess")

    assert (missing.status_code, wrong.status_code) == (401, 403)
    assert "detail" in missing.json() and "detail" in wrong.json()
    assert Message.objects.count() == 0
    assert [r.path for r in mailbox_at.server.requests] == []  # nothing fetched for a stranger
    assert gmail_sync_queue.queued == []  # nor queued


def test_a_valid_google_oidc_token_is_accepted(mailbox_at, google_certs, gmail_push_synced) -> None:  # type: ignore[no-untyped-def]
    mailbox_at.deliver(make_mail())
    token = google_certs.token(audience=AUDIENCE, email=SA)
    assert gmail_push_synced(push_body(mailbox_at.history_id), bearer=token)["stored"] == 1
    assert Message.objects.count() == 1


@pytest.mark.parametrize(
    "claims",
    [
        {"audience": "https://someone-else.example/push", "email": SA},
        {"audience": AUDIENCE, "email": "attacker@evil-project.iam.gserviceaccount.com"},
        {"audience": AUDIENCE, "email": SA, "email_verified": False},
        {"audience": AUDIENCE, "email": SA, "issuer": "https://evil.example"},
        {"audience": AUDIENCE, "email": SA, "issued_at": 1_600_000_000},  # long expired: a replayed token
    ],
    ids=["audience", "service-account", "unverified", "issuer", "expired"],
)
def test_oidc_tokens_that_fail_a_check_are_403(api, mailbox_at, google_certs, gmail_sync_queue, claims) -> None:  # type: ignore[no-untyped-def]
    mailbox_at.deliver(make_mail())
    response = gmail_push(api, push_body(mailbox_at.history_id), bearer=google_certs.token(**claims))
    assert response.status_code == 403
    assert gmail_sync_queue.queued == [] and Message.objects.count() == 0


def test_a_token_signed_with_another_key_is_403(api, mailbox_at, google_certs) -> None:  # type: ignore[no-untyped-def]
    from channels_app.tests.fakes.google_oidc import FakeGoogleCerts

    forger = FakeGoogleCerts()  # same key id, different private key
    token = google_certs.token(audience=AUDIENCE, email=SA, signer=forger.signer)
    assert gmail_push(api, push_body(1), bearer=token).status_code == 403


def test_with_oidc_configured_the_shared_secret_is_not_enough(api, mailbox_at, google_certs) -> None:  # type: ignore[no-untyped-def]
    from django.conf import settings

    response = gmail_push(api, push_body(1), token=settings.GMAIL_PUSH_SHARED_SECRET)
    assert response.status_code == 401
    assert gmail_push(api, push_body(1), bearer="not.a.jwt").status_code == 403


def test_unreachable_google_certificates_make_pubsub_retry(api, mailbox_at, google_certs, gmail_sync_queue, settings) -> None:  # type: ignore[no-untyped-def]
    settings.GMAIL_PUSH_CERTS_URL = google_certs.certs_url.replace("/oauth2/v1/certs", "/missing")
    response = gmail_push(api, push_body(1), bearer=google_certs.token(audience=AUDIENCE, email=SA))
    assert response.status_code == 503
    assert gmail_sync_queue.queued == []


def test_a_push_the_broker_does_not_take_is_503_so_pubsub_retries(api, mailbox_at, broker_unreachable) -> None:  # type: ignore[no-untyped-def]
    mailbox_at.deliver(make_mail())

    response = gmail_push(api, push_body(mailbox_at.history_id))

    # Not acknowledged: Pub/Sub redelivers the push until a sync is queued.
    assert response.status_code == 503 and response["Retry-After"]
    assert "could not be queued" in response.json()["detail"]
    assert mailbox_at.server.requests == [] and Message.objects.count() == 0


# --- Idempotency and the sync ------------------------------------------------------------------


def test_a_replayed_push_stores_nothing_new(mailbox_at, gmail_push_synced) -> None:  # type: ignore[no-untyped-def]
    mailbox_at.deliver(make_mail())
    body = push_body(mailbox_at.history_id)
    assert gmail_push_synced(body)["stored"] == 1
    assert gmail_push_synced(body)["stored"] == 0
    assert Message.objects.count() == 1


def test_a_sync_task_delivered_twice_stores_nothing_twice(api, mailbox_at, gmail_sync_queue) -> None:  # type: ignore[no-untyped-def]
    mailbox_at.deliver(make_mail())
    gmail_push(api, push_body(mailbox_at.history_id))
    gmail_sync_queue.deliver_again()  # acks_late: a worker died after the sync, before the ack

    first, second = gmail_sync_queue.run()

    assert (first["stored"], second["stored"]) == (1, 0)
    assert Message.objects.count() == 1


def test_a_message_seen_in_two_syncs_is_stored_once(mailbox_at, gmail_push_synced) -> None:  # type: ignore[no-untyped-def]
    start = mailbox_at.history_id
    mailbox_at.deliver(make_mail())
    assert gmail_push_synced(push_body(mailbox_at.history_id))["stored"] == 1
    # Another worker had not seen our history id move: it syncs from the old one.
    GmailMailbox.objects.update(history_id=start)
    result = gmail_push_synced(push_body(mailbox_at.history_id))
    assert result["duplicates"] == 1 and Message.objects.count() == 1


def test_every_new_mail_since_the_stored_history_is_fetched_across_pages(mailbox_at, gmail_push_synced, settings) -> None:  # type: ignore[no-untyped-def]
    settings.GMAIL_HISTORY_PAGE_SIZE = 2
    for i in range(5):  # three history.list pages
        mailbox_at.deliver(make_mail(sender=f"customer{i}@example.com", name=f"Customer {i}"))
    assert gmail_push_synced(push_body(mailbox_at.history_id))["stored"] == 5
    assert Customer.objects.count() == 5
    assert sum(r.path.endswith("/history") for r in mailbox_at.server.requests) == 3


def test_an_expired_history_id_triggers_a_bounded_full_sync(mailbox_at, gmail_push_synced) -> None:  # type: ignore[no-untyped-def]
    mailbox_at.deliver(make_mail(sender="first@example.com"))
    mailbox_at.deliver(make_mail(sender="second@example.com"))
    mailbox_at.expire_history_before = mailbox_at.history_id + 1  # our stored id is now too old

    assert gmail_push_synced(push_body(mailbox_at.history_id))["full_sync"] is True
    assert sorted(m.metadata["from"] for m in Message.objects.all()) == ["first@example.com", "second@example.com"]
    mailbox = GmailMailbox.objects.get()
    assert mailbox.history_id == mailbox_at.history_id and mailbox.last_full_sync_at is not None


def test_the_first_push_without_a_stored_history_does_a_full_sync(fake_gmail, gmail_push_synced) -> None:  # type: ignore[no-untyped-def]
    fake_gmail.deliver(make_mail())
    result = gmail_push_synced(push_body(fake_gmail.history_id))
    assert result["full_sync"] is True and result["stored"] == 1
    assert GmailMailbox.objects.get().history_id == fake_gmail.history_id


def test_a_gmail_outage_fails_the_sync_in_the_worker_and_the_history_does_not_move(  # type: ignore[no-untyped-def]
    api, mailbox_at, gmail_sync_queue, settings
) -> None:
    settings.GMAIL_API_RETRIES = 0  # the client's own retries sleep; one failure is enough here
    start = mailbox_at.history_id
    mailbox_at.deliver(make_mail())
    mailbox_at.failures = {"get": [(500, "backendError")]}

    # Gmail's outage is not the push's problem: it is acknowledged.
    assert gmail_push(api, push_body(mailbox_at.history_id)).status_code == 202
    [(address, history_id)] = gmail_sync_queue.queued
    with pytest.raises(GmailUnavailable):
        gmail_mailbox_sync_task(address, history_id)  # one attempt, without the task's retries

    mailbox = GmailMailbox.objects.get()
    assert mailbox.history_id == start and "HTTP 500" in mailbox.last_error
    assert Message.objects.count() == 0


def test_the_sync_task_retries_a_gmail_outage(api, mailbox_at, gmail_sync_queue, settings) -> None:  # type: ignore[no-untyped-def]
    settings.GMAIL_API_RETRIES = 0
    mail = mailbox_at.deliver(make_mail())
    mailbox_at.failures = {"get": [(500, "backendError")]}
    gmail_push(api, push_body(mailbox_at.history_id))

    [result] = gmail_sync_queue.run()  # the first attempt fails, the task's retry stores the mail

    assert result["stored"] == 1 and Message.objects.count() == 1
    assert sum(r.path.endswith(f"/messages/{mail.id}") for r in mailbox_at.server.requests) == 2
    mailbox = GmailMailbox.objects.get()
    assert mailbox.history_id == mailbox_at.history_id and mailbox.last_error == ""


def test_a_push_for_another_mailbox_is_acknowledged_and_ignored(api, mailbox_at, gmail_sync_queue) -> None:  # type: ignore[no-untyped-def]
    response = gmail_push(api, push_body(5, address="someone@else.example"))
    assert response.status_code == 200 and response.json()["status"] == "ignored"
    assert mailbox_at.server.requests == [] and gmail_sync_queue.queued == []


# --- What is ignored ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "mail",
    [
        make_mail(sender="support@loomline.example", name="Loomline Support"),
        make_mail(subject="Out of office: back Monday", extra={"Auto-Submitted": "auto-replied"}),
        make_mail(extra={"X-Autoreply": "yes"}),
        make_mail(extra={"Precedence": "bulk"}),
        make_mail(sender="MAILER-DAEMON@mx.example.com", name="Mail Delivery System",
                  subject="Undelivered Mail Returned to Sender"),
    ],
    ids=["own-address", "auto-submitted", "x-autoreply", "bulk", "bounce"],
)
def test_robots_and_our_own_mail_are_not_stored(mailbox_at, gmail_push_synced, mail) -> None:  # type: ignore[no-untyped-def]
    mailbox_at.deliver(mail)
    assert gmail_push_synced(push_body(mailbox_at.history_id))["ignored"] == 1
    assert Message.objects.count() == 0


def test_a_delivery_status_report_is_not_stored(mailbox_at, gmail_push_synced) -> None:  # type: ignore[no-untyped-def]
    raw = (b"From: Mail Delivery Subsystem <postmaster@mx.example.com>\r\nTo: support@loomline.example\r\n"
           b"Subject: Delivery Status Notification (Failure)\r\nMessage-ID: <dsn1@mx.example.com>\r\n"
           b'MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
           b"--b\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
           b"--b\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n--b--\r\n")
    mailbox_at.deliver(raw)
    assert gmail_push_synced(push_body(mailbox_at.history_id))["ignored"] == 1


def test_garbage_in_the_mailbox_is_skipped_not_fatal(mailbox_at, gmail_push_synced) -> None:  # type: ignore[no-untyped-def]
    mailbox_at.deliver(b"\x00\x01 this is not a mail")
    mailbox_at.deliver(make_mail())
    result = gmail_push_synced(push_body(mailbox_at.history_id))
    assert result["ignored"] == 1 and result["stored"] == 1


def _raw_mail(*, subject: bytes = b"Help", body: bytes = b"hello", ctype: bytes = b"text/plain; charset=utf-8",
              sender: bytes = b"Bob <bob@example.com>", extra: bytes = b"") -> bytes:
    return (b"From: " + sender + b"\r\nTo: support@loomline.example\r\nSubject: " + subject
            + b"\r\nMessage-ID: <odd-1@example.com>\r\nContent-Type: " + ctype + b"\r\n" + extra + b"\r\n"
            + body + b"\r\n")


_ATTACHMENT_WITH_NUL_NAME = _raw_mail(
    ctype=b'multipart/mixed; boundary="b"', body=(
        b"--b\r\nContent-Type: text/plain\r\n\r\nSee the file.\r\n"
        b"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename*=utf-8''inv%00oice.pdf"
        b"\r\n\r\nxx\r\n--b--"))


@pytest.mark.parametrize(
    "raw, content",
    [
        (_raw_mail(subject=b"=?utf-8?q?bad=00nul?="), "hello"),
        (_raw_mail(body=b"hello +2AA- there", ctype=b"text/plain; charset=utf-7"), "hello \ufffd there"),
        (_raw_mail(body=b"hello \\ud800 there", ctype=b"text/plain; charset=unicode_escape"), "hello \ufffd there"),
        (_raw_mail(extra=b"In-Reply-To: <a\x00b@example.com>\r\n"), "hello"),
        (_ATTACHMENT_WITH_NUL_NAME, "See the file."),
    ],
    ids=["nul-in-encoded-subject", "utf7-lone-surrogate", "unicode-escape-surrogate", "nul-in-in-reply-to",
         "nul-in-attachment-name"],
)
def test_text_the_database_refuses_is_cleaned_and_the_mail_stored(mailbox_at, gmail_push_synced, raw, content) -> None:  # type: ignore[no-untyped-def]
    mailbox_at.deliver(raw)
    assert gmail_push_synced(push_body(mailbox_at.history_id))["stored"] == 1
    message = Message.objects.get()
    assert message.content == content
    assert "\x00" not in message.subject + json.dumps(message.metadata)
    assert GmailMailbox.objects.get().history_id == mailbox_at.history_id


def test_a_sender_address_over_254_characters_is_skipped_and_mail_behind_it_arrives(mailbox_at, gmail_push_synced, caplog) -> None:  # type: ignore[no-untyped-def]
    long_sender = "a" * 64 + "@" + ("b" * 60 + ".") * 4 + "com"
    odd = mailbox_at.deliver(make_mail(sender=long_sender))
    mailbox_at.deliver(make_mail(sender="carol@example.com", subject="A normal mail"))

    result = gmail_push_synced(push_body(mailbox_at.history_id))

    assert result["ignored"] == 1 and result["stored"] == 1
    assert Message.objects.get().subject == "A normal mail"
    assert GmailMailbox.objects.get().history_id == mailbox_at.history_id
    assert any(odd.id in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)


def test_a_mail_the_database_still_refuses_is_skipped_logged_and_the_history_moves_on(mailbox_at, gmail_push_synced, caplog) -> None:  # type: ignore[no-untyped-def]
    # A thread id wider than the column: a refusal no cleaning foresaw. Retrying it
    # would fail on every push and hold back every mail after it.
    poison = mailbox_at.deliver(make_mail(subject="Odd thread"), thread_id="t" * 300)
    mailbox_at.deliver(make_mail(sender="carol@example.com", subject="A normal mail"))

    first = gmail_push_synced(push_body(mailbox_at.history_id))

    assert first["ignored"] == 1 and first["stored"] == 1
    assert GmailMailbox.objects.get().history_id == mailbox_at.history_id
    warning = next(r for r in caplog.records if poison.id in r.getMessage())
    assert warning.levelname == "WARNING" and "could not be stored" in warning.getMessage()
    # Later mail keeps arriving.
    mailbox_at.deliver(make_mail(sender="dan@example.com", subject="Later"))
    assert gmail_push_synced(push_body(mailbox_at.history_id))["stored"] == 1
    assert sorted(Message.objects.values_list("subject", flat=True)) == ["A normal mail", "Later"]


# --- Threading --------------------------------------------------------------------------------


def test_a_reply_in_the_same_gmail_thread_continues_the_conversation(mailbox_at, gmail_push_synced) -> None:  # type: ignore[no-untyped-def]
    first = mailbox_at.deliver(make_mail(message_id="<first@example.com>"))
    gmail_push_synced(push_body(mailbox_at.history_id))
    conversation = Message.objects.get().conversation
    Conversation.objects.filter(pk=conversation.pk).update(status="closed")  # even after it was closed

    mailbox_at.deliver(make_mail(subject="Re: Reset link never arrives", body="Still nothing.",
                                 in_reply_to="<first@example.com>", references=["<first@example.com>"]),
                       thread_id=first.thread_id)
    gmail_push_synced(push_body(mailbox_at.history_id))

    second = Message.objects.get(content="Still nothing.")
    assert second.conversation_id == conversation.pk
    assert second.metadata["in_reply_to"] == "<first@example.com>"


def test_in_reply_to_maps_a_reply_to_its_conversation_when_the_thread_id_is_new(mailbox_at, gmail_push_synced) -> None:  # type: ignore[no-untyped-def]
    mailbox_at.deliver(make_mail(message_id="<first@example.com>"))
    gmail_push_synced(push_body(mailbox_at.history_id))
    original = Message.objects.get()

    # The customer's client broke Gmail's threading: a new threadId, but In-Reply-To names our thread.
    mailbox_at.deliver(make_mail(body="Following up.", in_reply_to="<first@example.com>"), thread_id="brandnewthread")
    gmail_push_synced(push_body(mailbox_at.history_id))

    follow_up = Message.objects.get(content="Following up.")
    assert follow_up.conversation_id == original.conversation_id
    assert follow_up.metadata["thread_id"] == "brandnewthread"


# --- Malformed pushes -------------------------------------------------------------------------


def _b64(value: object) -> str:
    return base64.b64encode(json.dumps(value).encode()).decode()


@pytest.mark.parametrize(
    "body",
    [
        b"not json at all",
        b"\xff\xfe not utf-8",
        b"[]",
        json.dumps({"message": {}}).encode(),
        json.dumps({"message": {"data": "%%% not base64 %%%"}}).encode(),
        json.dumps({"message": {"data": base64.b64encode(b"not json").decode()}}).encode(),
        json.dumps({"message": {"data": _b64({"emailAddress": "support@loomline.example"})}}).encode(),
        json.dumps({"message": {"data": _b64({"emailAddress": "support@loomline.example",
                                               "historyId": "<script>"})}}).encode(),
        json.dumps({"message": {"data": _b64(["a", "list"])}}).encode(),
        # Nested past the decoder's recursion limit, in the body and in message.data.
        pytest.param(b"[" * 200_000, id="nested-body"),
        pytest.param(json.dumps({"message": {"data": base64.b64encode(b"[" * 100_000).decode()}}).encode(),
                     id="nested-data"),
    ],
)
def test_malformed_pushes_are_400_and_store_nothing(api, mailbox_at, gmail_sync_queue, body) -> None:  # type: ignore[no-untyped-def]
    response = gmail_push(api, body)
    assert response.status_code == 400
    assert "detail" in response.json()
    assert gmail_sync_queue.queued == [] and Message.objects.count() == 0


def test_a_push_that_is_not_json_content_is_415(api, mailbox_at) -> None:  # type: ignore[no-untyped-def]
    from django.conf import settings

    response = api.post(f"/webhooks/gmail?token={settings.GMAIL_PUSH_SHARED_SECRET}", data="x=1",
                        content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415


def test_a_huge_push_is_413(api, mailbox_at, settings) -> None:  # type: ignore[no-untyped-def]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"message": {"data": "A" * 5000}}).encode()
    assert gmail_push(api, body).status_code == 413


@pytest.mark.parametrize("history", [10**20, 2**63, True, False, 0, -5, 1.5, "12a", "-5", "１２", None, [1]],
                         ids=["1e20", "2**63", "true", "false", "zero", "negative", "float", "not-digits",
                              "negative-string", "fullwidth-digits", "null", "list"])
def test_a_history_id_that_is_not_a_bigint_is_400(api, mailbox_at, history) -> None:  # type: ignore[no-untyped-def]
    # 10**20 was "bigint out of range" (a 500) on every push; True was taken as 1.
    body = json.dumps({"message": {"data": _b64({"emailAddress": "support@loomline.example",
                                                   "historyId": history})}}).encode()
    response = gmail_push(api, body)

    assert response.status_code == 400
    assert "historyId" in response.json()["detail"]
    assert GmailMailbox.objects.get().history_id == mailbox_at.history_id
    assert mailbox_at.server.requests == []


@pytest.mark.parametrize("history, expected", [(2**63 - 1, 2**63 - 1), ("4242", 4242), (7, 7)])
def test_decode_push_accepts_history_ids_up_to_bigint(history, expected) -> None:  # type: ignore[no-untyped-def]
    assert decode_push(push_body(history)).history_id == expected


def test_decode_push_accepts_urlsafe_base64() -> None:
    data = base64.urlsafe_b64encode(json.dumps({"emailAddress": "a@b.example", "historyId": "9" * 5}).encode())
    body = json.dumps({"message": {"data": data.decode().rstrip("=")}}).encode()
    assert decode_push(body).history_id == 99999
