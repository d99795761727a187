"""Gmail: the Pub/Sub push, the mailbox sync, replies in the customer's thread, the watch.

How mail arrives. Gmail publishes ``{"emailAddress", "historyId"}`` to a Pub/Sub topic
whenever the mailbox changes; the push subscription POSTs it to ``/webhooks/gmail``.
The push carries no mail: we ask ``users.history.list`` for everything since the last
historyId we stored and fetch each new message with ``users.messages.get``. A stored
historyId older than Gmail keeps (about a week) answers 404; then a bounded full sync
(the newest ``GMAIL_FULL_SYNC_MAX`` inbox messages of the last ``GMAIL_FULL_SYNC_DAYS``
days) catches up. Every message is stored once: the Gmail message id is its provider id.

Push authentication. In production the subscription signs each push with a Google OIDC
token (``Authorization: Bearer <JWT>``) whose audience is ``GMAIL_PUSH_AUDIENCE``; we
check the signature against Google's certificates, the issuer, the audience and that
the token was minted for ``GMAIL_PUSH_SERVICE_ACCOUNT`` with a verified email. Without
an audience configured, the simpler option applies: the push URL carries
``?token=<GMAIL_PUSH_SHARED_SECRET>``. Verification is never switched off.

Three ways to reach the Gmail API (``gmail_mode()``):
- ``credentials``: ``GMAIL_CREDENTIALS_FILE`` (a service account with domain-wide
  delegation to ``GMAIL_ADDRESS``, or an OAuth "authorized user" token file);
- ``endpoint``: only ``GMAIL_API_ENDPOINT`` (a local fake Gmail API, unauthenticated);
- ``sandbox``: neither — the client talks to the sandbox mailbox (``gmail_sandbox``).
"""
from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import make_msgid
from typing import Any

import httplib2
from django.conf import settings
from django.db import DataError, IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from google.auth import exceptions as auth_exceptions
from google.oauth2 import id_token
from googleapiclient.discovery import Resource, build
from googleapiclient.errors import HttpError

from channels_app.email_parsing import UnparseableEmail, build_text_email, parse_email, reply_subject
from channels_app.gmail_sandbox import SandboxGmailHttp
from channels_app.models import GmailMailbox
from crm import services
from crm.errors import InvalidInput
from crm.models import Author, Channel, Conversation, Direction, Message

log = logging.getLogger(__name__)

GMAIL_SCOPES = ["https://www.googleapis.com/auth/gmail.modify"]
GOOGLE_ISSUERS = {"accounts.google.com", "https://accounts.google.com"}
GOOGLE_OAUTH2_CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"
IGNORED_LABELS = {"SENT", "DRAFT", "SPAM", "TRASH", "CHAT"}


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


# --- The API client ----------------------------------------------------------------------


def gmail_mode() -> str:
    """``credentials``, ``endpoint`` (a local fake, tests) or ``sandbox``."""
    if settings.GMAIL_CREDENTIALS_FILE:
        return "credentials"
    if settings.GMAIL_API_ENDPOINT:
        return "endpoint"
    return "sandbox"


def _load_credentials(path: str):  # type: ignore[no-untyped-def]
    with open(path) as handle:
        info = json.load(handle)
    if info.get("type") == "service_account":
        from google.oauth2 import service_account

        return service_account.Credentials.from_service_account_info(
            info, scopes=GMAIL_SCOPES, subject=settings.GMAIL_ADDRESS
        )
    from google.oauth2.credentials import Credentials

    return Credentials.from_authorized_user_info(info, scopes=GMAIL_SCOPES)


def gmail_service() -> Resource:
    """A Gmail API client for ``GMAIL_ADDRESS`` (``userId="me"``), per ``gmail_mode()``.

    The discovery document ships with google-api-python-client, so building is offline.
    """
    timeout = _setting("GMAIL_HTTP_TIMEOUT", 20)
    kwargs: dict[str, Any] = {"static_discovery": True, "cache_discovery": False}
    if settings.GMAIL_API_ENDPOINT:
        kwargs["client_options"] = {"api_endpoint": settings.GMAIL_API_ENDPOINT}
    mode = gmail_mode()
    if mode == "credentials":
        import google_auth_httplib2

        http: Any = google_auth_httplib2.AuthorizedHttp(
            _load_credentials(settings.GMAIL_CREDENTIALS_FILE), http=httplib2.Http(timeout=timeout)
        )
    elif mode == "endpoint":
        http = httplib2.Http(timeout=timeout)
    else:
        http = SandboxGmailHttp()
    return build("gmail", "v1", http=http, **kwargs)


class GmailUnavailable(Exception):
    """The Gmail API could not be reached or refused us; the push should be retried."""


class GmailNotConfigured(Exception):
    """A setting the operation needs is missing."""


def http_status(exc: HttpError) -> int:
    try:
        return int(exc.resp.status)
    except (AttributeError, TypeError, ValueError):
        return 0


def http_reason(exc: HttpError) -> str:
    try:
        details = json.loads(exc.content.decode("utf-8", "replace"))
        errors = details.get("error", {}).get("errors") or [{}]
        return str(errors[0].get("reason") or details.get("error", {}).get("status") or "")
    except (ValueError, AttributeError):
        return ""


# --- Push authentication -------------------------------------------------------------------


class PushRejected(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _CertCachingRequest:
    """A google-auth transport that caches the signing certificates it fetches.

    Google rotates its certificates daily and says how long to keep them
    (``Cache-Control: max-age``); fetching them on every push would add a round trip
    to each webhook and fail all pushes whenever googleapis.com is slow.
    """

    def __init__(self) -> None:
        import google.auth.transport.requests

        self._inner = google.auth.transport.requests.Request()
        self._cache: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def __call__(self, url: str, method: str = "GET", body: Any = None, headers: Any = None,
                 timeout: Any = None, **kwargs: Any) -> Any:
        now = time.monotonic()
        if method == "GET":
            with self._lock:
                cached = self._cache.get(url)
            if cached and cached[0] > now:
                return cached[1]
        response = self._inner(url, method=method, body=body, headers=headers, timeout=timeout or 10, **kwargs)
        if method == "GET" and response.status == 200:
            max_age = 300
            for item in (response.headers.get("cache-control") or "").split(","):
                name, _, value = item.strip().partition("=")
                if name == "max-age" and value.isdigit():
                    max_age = min(int(value), 6 * 3600)
            with self._lock:
                self._cache[url] = (now + max_age, response)
        return response


_cert_request: _CertCachingRequest | None = None


def _certs_transport() -> _CertCachingRequest:
    global _cert_request
    if _cert_request is None:
        _cert_request = _CertCachingRequest()
    return _cert_request


def verify_oidc_token(token: str) -> dict[str, Any]:
    """Check a Pub/Sub push token: Google's signature, issuer, audience, service account."""
    try:
        claims = id_token.verify_token(
            token,
            _certs_transport(),
            audience=settings.GMAIL_PUSH_AUDIENCE,
            certs_url=_setting("GMAIL_PUSH_CERTS_URL", "") or GOOGLE_OAUTH2_CERTS_URL,
            clock_skew_in_seconds=10,
        )
    except auth_exceptions.TransportError as exc:
        raise GmailUnavailable(f"Google's signing certificates could not be fetched: {exc}") from None
    except (ValueError, auth_exceptions.GoogleAuthError) as exc:
        raise PushRejected(403, f"The push token is not valid: {exc}") from None
    if claims.get("iss") not in GOOGLE_ISSUERS:
        raise PushRejected(403, "The push token was not issued by Google.")
    expected = settings.GMAIL_PUSH_SERVICE_ACCOUNT
    if not expected:
        log.error("GMAIL_PUSH_AUDIENCE is set but GMAIL_PUSH_SERVICE_ACCOUNT is not: refusing every push")
        raise PushRejected(403, "The push service account is not configured.")
    if claims.get("email") != expected or claims.get("email_verified") is not True:
        raise PushRejected(403, "The push token belongs to another service account.")
    return dict(claims)


def verify_push(*, authorization: str, query_token: str) -> str:
    """Authenticate one push; returns how (``oidc`` or ``shared_secret``) or raises ``PushRejected``."""
    bearer = authorization[7:].strip() if authorization[:7].lower() == "bearer " else ""
    if settings.GMAIL_PUSH_AUDIENCE:
        if not bearer:
            raise PushRejected(401, "A Google-signed bearer token is required.")
        verify_oidc_token(bearer)
        return "oidc"
    supplied = query_token or bearer
    if not supplied:
        raise PushRejected(401, "The push token is missing.")
    if not hmac.compare_digest(supplied.encode(), settings.GMAIL_PUSH_SHARED_SECRET.encode()):
        raise PushRejected(403, "The push token is wrong.")
    return "shared_secret"


# --- The push body ---------------------------------------------------------------------------


class InvalidPush(ValueError):
    pass


@dataclass(frozen=True)
class PushNotification:
    email_address: str
    history_id: int
    pubsub_message_id: str


def decode_push(body: bytes) -> PushNotification:
    """``{"message": {"data": base64(JSON {"emailAddress", "historyId"}), "messageId"}}``."""
    # RecursionError: a body of deeply nested brackets exhausts the stdlib decoder.
    try:
        envelope = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InvalidPush("The body is not JSON.") from None
    message = envelope.get("message") if isinstance(envelope, dict) else None
    if not isinstance(message, dict) or not isinstance(message.get("data"), str):
        raise InvalidPush("The body is not a Pub/Sub push (message.data is missing).")
    encoded = message["data"].strip()
    padded = encoded + "=" * (-len(encoded) % 4)
    try:
        try:
            decoded = base64.b64decode(padded, validate=True)
        except binascii.Error:  # Pub/Sub sends standard base64; accept the URL-safe alphabet too
            decoded = base64.b64decode(padded, altchars=b"-_", validate=True)
        data = json.loads(decoded.decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError, RecursionError):
        raise InvalidPush("message.data is not base64-encoded JSON.") from None
    if not isinstance(data, dict):
        raise InvalidPush("message.data is not a Gmail notification.")
    address = data.get("emailAddress")
    history = data.get("historyId")
    if not isinstance(address, str) or "@" not in address:
        raise InvalidPush("The notification has no emailAddress.")
    return PushNotification(address.strip().lower(), _history_id(history), str(message.get("messageId") or ""))


MAX_HISTORY_ID = 2**63 - 1  # the history_id column is a bigint


def _history_id(value: Any) -> int:
    """Gmail sends historyId as a number or a digit string. Anything else (a bool, which
    ``int()`` would take as 1, a float, a value past bigint) is refused: a number the
    column cannot hold was a 500 on every push."""
    if isinstance(value, int) and not isinstance(value, bool):
        history_id = value
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        history_id = int(value)
    else:
        raise InvalidPush("The notification has no valid historyId (a positive integer).")
    if not 0 < history_id <= MAX_HISTORY_ID:
        raise InvalidPush(f"The notification's historyId must be between 1 and {MAX_HISTORY_ID}.")
    return history_id


# --- The sync ------------------------------------------------------------------------------------


@dataclass
class SyncResult:
    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    ignored: int = 0
    full_sync: bool = False
    history_id: int | None = None
    ignored_reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"fetched": self.fetched, "stored": self.stored, "duplicates": self.duplicates,
                "ignored": self.ignored, "full_sync": self.full_sync}


def _execute(request: Any) -> dict[str, Any]:
    # Reads are idempotent: the client retries 5xx and 429 itself, with back-off.
    try:
        return request.execute(num_retries=_setting("GMAIL_API_RETRIES", 2)) or {}
    except HttpError:
        raise
    except (OSError, httplib2.HttpLib2Error) as exc:
        raise GmailUnavailable(f"Gmail API unreachable: {exc}") from None
    except auth_exceptions.GoogleAuthError as exc:  # e.g. the refresh token was revoked
        raise GmailUnavailable(f"Gmail credentials were refused: {exc}") from None


def _unavailable(exc: HttpError, what: str) -> GmailUnavailable:
    return GmailUnavailable(f"Gmail API {what} failed: HTTP {http_status(exc)} {http_reason(exc)}".strip())


def mailbox_sync(*, address: str | None = None, service: Resource | None = None,
                 notified_history_id: int | None = None) -> SyncResult:
    """Store every new inbox message since the last stored historyId. Safe to run concurrently:
    each message is stored once, and the stored historyId only moves forward."""
    address = (address or settings.GMAIL_ADDRESS).lower()
    if service is None:
        try:
            service = gmail_service()
        except (OSError, ValueError, KeyError) as exc:
            raise GmailUnavailable(f"The Gmail client could not be set up: {exc}") from None
    mailbox, _ = GmailMailbox.objects.get_or_create(address=address)
    result = SyncResult()
    if mailbox.history_id is None:
        new_history_id = _full_sync(service, result)
    else:
        try:
            new_history_id = _history_sync(service, mailbox.history_id, result)
        except HttpError as exc:
            if http_status(exc) != 404:
                raise _unavailable(exc, "history.list") from None
            log.warning("Gmail historyId %s for %s has expired; running a bounded full sync",
                        mailbox.history_id, address)
            new_history_id = _full_sync(service, result)
    if notified_history_id and result.full_sync:
        new_history_id = max(new_history_id, notified_history_id)
    result.history_id = new_history_id
    now = timezone.now()
    GmailMailbox.objects.filter(pk=mailbox.pk).filter(
        Q(history_id__isnull=True) | Q(history_id__lt=new_history_id)
    ).update(history_id=new_history_id)
    updates: dict[str, Any] = {"last_sync_at": now, "last_error": ""}
    if result.full_sync:
        updates["last_full_sync_at"] = now
    GmailMailbox.objects.filter(pk=mailbox.pk).update(**updates)
    return result


def _history_sync(service: Resource, start: int, result: SyncResult) -> int:
    ids: list[str] = []
    page_token = None
    latest = start
    while True:
        kwargs: dict[str, Any] = {"userId": "me", "startHistoryId": str(start), "historyTypes": ["messageAdded"],
                                  "labelId": "INBOX", "maxResults": _setting("GMAIL_HISTORY_PAGE_SIZE", 100)}
        if page_token:
            kwargs["pageToken"] = page_token
        page = _execute(service.users().history().list(**kwargs))
        latest = max(latest, int(page.get("historyId") or latest))
        for record in page.get("history", []):
            for added in record.get("messagesAdded", []):
                gmail_id = (added.get("message") or {}).get("id")
                if gmail_id and gmail_id not in ids:
                    ids.append(gmail_id)
        page_token = page.get("nextPageToken")
        if not page_token:
            break
    for gmail_id in ids:
        _ingest(service, gmail_id, result)
    return latest


def _full_sync(service: Resource, result: SyncResult) -> int:
    result.full_sync = True
    try:
        profile = _execute(service.users().getProfile(userId="me"))
        listing = _execute(service.users().messages().list(
            userId="me", labelIds=["INBOX"], q=f"newer_than:{_setting('GMAIL_FULL_SYNC_DAYS', 3)}d",
            maxResults=_setting("GMAIL_FULL_SYNC_MAX", 50),
        ))
    except HttpError as exc:
        raise _unavailable(exc, "full sync") from None
    for item in reversed(listing.get("messages", [])):  # oldest first
        _ingest(service, item["id"], result)
    return int(profile.get("historyId") or 1)


def _ignore(result: SyncResult, gmail_id: str, reason: str, *, level: int = logging.INFO) -> None:
    log.log(level, "Gmail message %s ignored: %s", gmail_id, reason)
    result.ignored += 1
    result.ignored_reasons.append(f"{gmail_id}: {reason}")


def _ingest(service: Resource, gmail_id: str, result: SyncResult) -> None:
    if Message.objects.filter(channel=Channel.EMAIL, provider_id=gmail_id).exists():
        result.duplicates += 1
        return
    try:
        data = _execute(service.users().messages().get(userId="me", id=gmail_id, format="raw"))
    except HttpError as exc:
        if http_status(exc) == 404:  # deleted between the notification and now
            _ignore(result, gmail_id, "no longer in the mailbox")
            return
        raise _unavailable(exc, "messages.get") from None
    result.fetched += 1
    labels = set(data.get("labelIds") or [])
    if labels & IGNORED_LABELS:
        _ignore(result, gmail_id, f"labelled {', '.join(sorted(labels & IGNORED_LABELS))}")
        return
    try:
        raw = base64.urlsafe_b64decode((data.get("raw") or "") + "==")
        parsed = parse_email(raw)
    except (binascii.Error, ValueError, UnparseableEmail) as exc:
        _ignore(result, gmail_id, f"unparseable: {exc}")
        return
    if parsed.from_address == settings.GMAIL_ADDRESS.lower():
        _ignore(result, gmail_id, "sent from our own address")
        return
    if parsed.is_automatic:
        _ignore(result, gmail_id, f"automatic mail ({parsed.auto_reason})")
        return
    thread_id = str(data.get("threadId") or "")
    content = parsed.text
    if not content:
        names = ", ".join(a["name"] for a in parsed.attachments) or "none"
        content = f"(The email has no text. Attachments: {names}.)"
    metadata = {
        "gmail_id": gmail_id,
        "thread_id": thread_id,
        "message_id_header": parsed.message_id,
        "in_reply_to": parsed.in_reply_to,
        "references": parsed.references,
        "from": parsed.from_address,
        "from_name": parsed.from_name,
        "reply_to": parsed.reply_to,
        "to": parsed.to[:10],
        "subject": parsed.subject,
        "date": parsed.date,
        "internal_date": data.get("internalDate"),
        "attachments": parsed.attachments[:50],
        "quoted_text_stripped": parsed.text != parsed.full_text,
    }
    try:
        # A savepoint, so that a mail the database refuses rolls back alone and the
        # rest of the sync (and the history id) goes on.
        with transaction.atomic():
            accepted = services.inbound_message_accept(
                channel=Channel.EMAIL,
                provider_id=gmail_id,
                content=content,
                email=parsed.from_address,
                name=parsed.from_name,
                subject=parsed.subject,
                metadata=metadata,
                email_thread_id=_thread_for(thread_id, parsed.in_reply_to, parsed.references),
            )
    except InvalidInput as exc:
        _ignore(result, gmail_id, f"refused: {exc.message}", level=logging.WARNING)
        return
    except (DataError, IntegrityError, UnicodeError) as exc:
        # Refused for what the mail contains: the same bytes would fail on every push,
        # and the history id would never move past them, stopping all mail behind it.
        # Skipped with a warning that names the Gmail id (the mail stays in the inbox).
        # Transient errors (OperationalError: the database gone, a deadlock) are not
        # caught: the push fails, the history stays, Pub/Sub retries, nothing is lost.
        _ignore(result, gmail_id, f"could not be stored: {type(exc).__name__}: {exc}", level=logging.WARNING)
        return
    if accepted.created:
        result.stored += 1
    else:
        result.duplicates += 1


def _thread_for(thread_id: str, in_reply_to: str, references: list[str]) -> str:
    """The conversation thread a mail belongs to: Gmail's threadId when we know it, else the
    thread of a message it replies to (In-Reply-To, References), e.g. when the customer's
    client broke Gmail's threading."""
    if thread_id and Conversation.objects.filter(email_thread_id=thread_id).exists():
        return thread_id
    refs = [r for r in [in_reply_to, *reversed(references)] if r]
    if refs:
        known = (
            Message.objects.filter(channel=Channel.EMAIL, metadata__message_id_header__in=refs)
            .exclude(conversation__email_thread_id="")
            .select_related("conversation")
            .order_by("-created_at")
            .first()
        )
        if known:
            return known.conversation.email_thread_id
    return thread_id


# --- Replies ------------------------------------------------------------------------------------


class ReplyNotPossible(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class EmailReply:
    to_address: str
    to_name: str
    subject: str
    thread_id: str
    in_reply_to: str
    references: list[str]
    message_id: str
    raw: bytes


def _replied_message(message: Message) -> Message | None:
    """The customer's email this reply answers: the one named at record time, else the latest."""
    replied_id = message.reply_to_id or (message.metadata or {}).get("in_reply_to_message")
    if replied_id:
        replied = Message.objects.filter(pk=replied_id, channel=Channel.EMAIL, direction=Direction.INBOUND).first()
        if replied:
            return replied
    inbound = Message.objects.filter(channel=Channel.EMAIL, direction=Direction.INBOUND)
    if message.ticket_id:
        found = inbound.filter(ticket_id=message.ticket_id).order_by("-created_at", "-id").first()
        if found:
            return found
    return inbound.filter(conversation_id=message.conversation_id).order_by("-created_at", "-id").first()


def build_reply(message: Message) -> EmailReply:
    """The MIME reply for an outbound email message, threaded under the customer's mail."""
    replied = _replied_message(message)
    meta = replied.metadata if replied else {}
    customer = message.conversation.customer
    to_address = meta.get("reply_to") or meta.get("from") or customer.email or ""
    if not to_address:
        raise ReplyNotPossible("no_email_address", "The customer has no email address to reply to.")
    ticket = message.ticket
    if replied:
        subject = reply_subject(message.subject or replied.subject or (ticket.subject if ticket else ""))
    else:
        subject = message.subject or (ticket.subject if ticket else "") or "Your support request"
        if ticket and ticket.reference not in subject:
            subject = f"{subject} [{ticket.reference}]"
    in_reply_to = meta.get("message_id_header") or ""
    references = [r for r in (meta.get("references") or []) if isinstance(r, str)]
    if in_reply_to and in_reply_to not in references:
        references.append(in_reply_to)
    domain = settings.GMAIL_ADDRESS.rsplit("@", 1)[-1]
    message_id = (message.metadata or {}).get("message_id_header") or make_msgid(
        idstring=f"fte{message.pk}", domain=domain)
    extra = {}
    if ticket:
        extra["X-Loomline-Ticket"] = ticket.reference
    if message.author == Author.AGENT:
        # RFC 3834: an automatic answer. Well-behaved auto-responders will not answer it,
        # which is what keeps two robots from mailing each other forever.
        extra["Auto-Submitted"] = "auto-replied"
    mime = build_text_email(
        from_name=settings.GMAIL_SENDER_NAME,
        from_address=settings.GMAIL_ADDRESS,
        to_address=to_address,
        to_name=customer.name if customer.name and "@" not in customer.name else "",
        subject=subject,
        body=message.content,
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=references[-20:],
        extra_headers=extra,
    )
    return EmailReply(
        to_address=to_address,
        to_name=customer.name,
        subject=subject,
        thread_id=meta.get("thread_id") or "",
        in_reply_to=in_reply_to,
        references=references[-20:],
        message_id=message_id,
        raw=mime.as_bytes(),
    )


# --- The watch ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WatchResult:
    mailbox: GmailMailbox
    expiration: datetime
    history_id: int
    renewed: bool


def watch_renew(*, service: Resource | None = None, if_expiring_within_hours: float | None = None) -> WatchResult:
    """Register or renew the Pub/Sub watch on the inbox (it lapses after 7 days).

    The first watch also stores the mailbox's current historyId, so the first push syncs
    from there instead of a full sync. Google asks for a renewal about once a day.
    """
    address = settings.GMAIL_ADDRESS.lower()
    mailbox, _ = GmailMailbox.objects.get_or_create(address=address)
    if (
        if_expiring_within_hours is not None
        and mailbox.watch_expiration
        and (mailbox.watch_expiration - timezone.now()).total_seconds() > if_expiring_within_hours * 3600
    ):
        return WatchResult(mailbox, mailbox.watch_expiration, mailbox.history_id or 0, renewed=False)
    topic = settings.GMAIL_PUBSUB_TOPIC
    if not topic:
        if gmail_mode() != "sandbox":
            raise GmailNotConfigured("GMAIL_PUBSUB_TOPIC is not set (projects/<project>/topics/<topic>).")
        topic = "projects/sandbox/topics/gmail"
    service = service or gmail_service()
    try:
        response = _execute(service.users().watch(
            userId="me", body={"topicName": topic, "labelIds": ["INBOX"], "labelFilterBehavior": "INCLUDE"}))
    except HttpError as exc:
        raise _unavailable(exc, "watch") from None
    expiration = datetime.fromtimestamp(int(response["expiration"]) / 1000, tz=UTC)
    history_id = int(response.get("historyId") or 0)
    GmailMailbox.objects.filter(pk=mailbox.pk, history_id__isnull=True).update(history_id=history_id or None)
    GmailMailbox.objects.filter(pk=mailbox.pk).update(watch_expiration=expiration, watch_renewed_at=timezone.now())
    mailbox.refresh_from_db()
    return WatchResult(mailbox, expiration, history_id, renewed=True)


def watch_stop(*, service: Resource | None = None) -> None:
    """Stop push notifications for the mailbox."""
    service = service or gmail_service()
    try:
        _execute(service.users().stop(userId="me"))
    except HttpError as exc:
        raise _unavailable(exc, "stop") from None
    GmailMailbox.objects.filter(address=settings.GMAIL_ADDRESS.lower()).update(watch_expiration=None)
