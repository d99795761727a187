"""Outbound senders: one small class per channel, in the healthchecks style.

``send(message)`` delivers one recorded outbound ``Message`` and returns the provider's
id and the resulting status, or raises ``SendError`` marked permanent (retrying cannot
help: a bad number, an unsubscribed user, the WhatsApp window closed with no template)
or transient (timeouts, 5xx, rate limits: retry with back-off). Senders never touch a
transaction across a network call and never update the message's delivery status
themselves — ``channels_app.delivery.deliver_message`` does that with the result —
with one exception: ``WhatsAppSender`` remembers each part it has sent, so a retry after
a failure halfway through a long reply does not send the first parts twice.

``get_sender(channel)`` picks the sandbox when the channel has no credentials: the
reply is recorded as "sandbox — not sent" and nothing leaves the machine.
"""
from __future__ import annotations

import base64
import logging
from dataclasses import dataclass, field
from typing import Any

import httplib2
import requests
from django.conf import settings
from django.utils import timezone
from googleapiclient.errors import HttpError
from twilio.base.exceptions import TwilioException, TwilioRestException

from channels_app import whatsapp
from channels_app.gmail.client import GmailUnavailable, gmail_mode, gmail_service, http_reason, http_status
from channels_app.errors import ReplyNotPossible
from channels_app.gmail.replies import EmailReply, build_reply
from channels_app.support_mail import MailNotSent, reply_notice_send
from crm import services
from crm.models import Channel, DeliveryStatus, Message

log = logging.getLogger(__name__)


class SendError(Exception):
    """Delivery failed. ``permanent``: do not retry; ``code``: the provider's or our error code."""

    def __init__(self, message: str, *, permanent: bool, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.code = str(code or "")

    def __str__(self) -> str:
        kind = "permanent" if self.permanent else "transient"
        return f"{self.message} ({kind}{', ' + self.code if self.code else ''})"


@dataclass(frozen=True)
class SendResult:
    provider_id: str
    status: str
    metadata: dict[str, Any] = field(default_factory=dict)


class Sender:
    channel: str = ""
    name: str = "sender"

    def send(self, message: Message) -> SendResult:
        raise NotImplementedError


class WebFormSender(Sender):
    """The web form: the reply is on the ticket page (``GET /support/ticket/<id>``) as soon
    as it is stored, and this sender also emails it to the address typed into the form,
    with a signed link back to the page (``channels_app.support_mail``).

    What the status says, honestly: "sent" — emailed (handed to the email backend), not
    yet shown on the page; "delivered" — the customer's page displayed it
    (``crm.services.web_replies_mark_shown``, when the page loads the ticket).

    The email goes once: the sender records ``emailed_at`` on the message as soon as the
    backend took it, before returning, so a retry after a later failure skips it. An
    email backend that fails is a transient error (retried with back-off; out of retries
    the ticket goes to a person, who can see the reply was never emailed).
    """

    channel = Channel.WEB_FORM
    name = "web_form"

    def send(self, message: Message) -> SendResult:
        emailed = dict((message.metadata or {}).get("emailed") or {})
        if not emailed:
            try:
                address = reply_notice_send(message=message)
            except MailNotSent as exc:
                raise SendError(f"The reply could not be emailed: {exc}", permanent=False, code="email") from exc
            except ValueError as exc:  # no address: the page is the only way to the customer
                log.warning("web-form reply %s not emailed: %s", message.pk, exc)
                address = ""
            emailed = {"to": address, "at": timezone.now().isoformat()} if address else {"to": "", "skipped": True}
            # Remembered before anything else can fail, so a retry does not email twice.
            message = services.message_delivery_update(message=message, status=DeliveryStatus.PENDING,
                                                       metadata={"emailed": emailed})
        shown = bool((message.metadata or {}).get("shown_on_page_at"))
        if shown:
            status = DeliveryStatus.DELIVERED
        else:
            status = DeliveryStatus.SENT if emailed.get("to") else DeliveryStatus.QUEUED
        return SendResult(provider_id=f"webform-reply-{message.pk}", status=status)


class SandboxSender(Sender):
    """A channel without credentials: check what would be sent, record it, send nothing.

    The same planning as the real sender runs (recipient, parts, session window,
    threading headers), so a reply that could not be delivered in production fails
    here too, and admin shows exactly what would have gone out.
    """

    name = "sandbox"

    def __init__(self, channel: str) -> None:
        self.channel = channel

    def send(self, message: Message) -> SendResult:
        preview: dict[str, Any] = {"channel": self.channel}
        if self.channel == Channel.WHATSAPP:
            plan = _whatsapp_plan(message)
            preview.update(to=plan.to, parts=len(plan.parts), window_open=plan.window_open,
                           template_sid=plan.template_sid)
        elif self.channel == Channel.EMAIL:
            reply = _email_reply(message)
            preview.update(to=reply.to_address, subject=reply.subject, thread_id=reply.thread_id,
                           in_reply_to=reply.in_reply_to)
            return SendResult(provider_id=f"sandbox-{message.pk}", status=DeliveryStatus.SANDBOX,
                              metadata={"sandbox": preview, "message_id_header": reply.message_id})
        # The recipient is in the reply's metadata for staff, not in the log.
        log.info("sandbox: %s reply %s recorded, not sent (%s)", self.channel, message.pk,
                 {k: v for k, v in preview.items() if k != "to"})
        return SendResult(provider_id=f"sandbox-{message.pk}", status=DeliveryStatus.SANDBOX,
                          metadata={"sandbox": preview})


# --- WhatsApp ----------------------------------------------------------------------------------


def _whatsapp_plan(message: Message) -> whatsapp.ReplyPlan:
    try:
        return whatsapp.reply_plan(message)
    except ReplyNotPossible as exc:
        raise SendError(str(exc), permanent=True, code=exc.code) from None


def classify_twilio_error(exc: Exception) -> SendError:
    """Permanent or transient, from Twilio's HTTP status and error code."""
    if isinstance(exc, TwilioRestException):
        code = int(exc.code) if isinstance(exc.code, int) or str(exc.code or "").isdigit() else None
        status = int(exc.status or 0)
        text = f"Twilio refused the message: {exc.msg or exc}"
        if code in whatsapp.TRANSIENT_TWILIO_CODES or status == 429 or status >= 500:
            return SendError(text, permanent=False, code=str(code or status))
        if code in whatsapp.PERMANENT_TWILIO_CODES or 400 <= status < 500:
            return SendError(text, permanent=True, code=str(code or status))
        return SendError(text, permanent=False, code=str(code or status))
    if isinstance(exc, (requests.RequestException, OSError)):
        return SendError(f"Twilio unreachable: {exc}", permanent=False, code="network")
    if isinstance(exc, TwilioException):
        return SendError(f"Twilio client error: {exc}", permanent=True, code="client")
    return SendError(f"{type(exc).__name__}: {exc}", permanent=False, code="unknown")


class WhatsAppSender(Sender):
    """Sends through Twilio's Messages API from ``TWILIO_WHATSAPP_NUMBER``."""

    channel = Channel.WHATSAPP
    name = "twilio"

    def __init__(self, client: Any = None) -> None:
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = whatsapp.twilio_client()
        return self._client

    def send(self, message: Message) -> SendResult:
        plan = _whatsapp_plan(message)
        sender = whatsapp.whatsapp_address(settings.TWILIO_WHATSAPP_NUMBER)
        callback = whatsapp.status_callback_url()
        if plan.uses_template:
            # Outside the session window only a template may open the conversation again.
            created = self._create(from_=sender, to=plan.to, content_sid=plan.template_sid,
                                   content_variables=whatsapp.template_variables_json(plan), status_callback=callback)
            return SendResult(provider_id=created.sid, status=_status(created),
                              metadata={"twilio_sids": [created.sid], "sent_as_template": plan.template_sid,
                                        "session_window_open": False})
        sids: list[str] = list((message.metadata or {}).get("twilio_sids") or [])
        statuses: list[str] = []
        for index, part in enumerate(plan.parts):
            if index < len(sids):
                continue  # sent by an earlier attempt
            created = self._create(from_=sender, to=plan.to, body=part, status_callback=callback)
            sids.append(created.sid)
            statuses.append(_status(created))
            if len(plan.parts) > 1:
                # Remember each part as it goes, so a retry resumes after the last one sent.
                services.message_delivery_update(message=message, status=DeliveryStatus.PENDING,
                                                 metadata={"twilio_sids": sids})
        status = DeliveryStatus.QUEUED if DeliveryStatus.QUEUED in statuses or not statuses else statuses[-1]
        return SendResult(provider_id=sids[0], status=status,
                          metadata={"twilio_sids": sids, "parts": len(plan.parts), "session_window_open": True})

    def _create(self, **kwargs: Any) -> Any:
        try:
            created = self.client.messages.create(**kwargs)
        except Exception as exc:  # classified: nothing from Twilio escapes unclassified
            raise classify_twilio_error(exc) from exc
        if (created.status or "").lower() in ("failed", "undelivered"):
            raise SendError(f"Twilio reports the message {created.status}", permanent=True,
                            code=str(created.error_code or created.status))
        return created


def _status(created: Any) -> str:
    mapped = whatsapp.TWILIO_STATUS.get((created.status or "queued").lower(), DeliveryStatus.QUEUED)
    return mapped if mapped in (DeliveryStatus.QUEUED, DeliveryStatus.SENT, DeliveryStatus.DELIVERED) else \
        DeliveryStatus.QUEUED


# --- Gmail -------------------------------------------------------------------------------------


def _email_reply(message: Message) -> EmailReply:
    try:
        return build_reply(message)
    except ReplyNotPossible as exc:
        raise SendError(str(exc), permanent=True, code=exc.code) from None


def classify_gmail_error(exc: Exception) -> SendError:
    if isinstance(exc, HttpError):
        status = http_status(exc)
        reason = http_reason(exc)
        text = f"Gmail refused the message: HTTP {status} {reason}".strip()
        if status == 429 or status >= 500 or reason in ("rateLimitExceeded", "userRateLimitExceeded",
                                                         "backendError"):
            return SendError(text, permanent=False, code=reason or str(status))
        return SendError(text, permanent=True, code=reason or str(status))
    from google.auth import exceptions as auth_exceptions

    if isinstance(exc, auth_exceptions.RefreshError):
        return SendError(f"Gmail credentials were refused: {exc}", permanent=True, code="credentials")
    if isinstance(exc, (OSError, httplib2.HttpLib2Error, auth_exceptions.TransportError, GmailUnavailable)):
        return SendError(f"Gmail unreachable: {exc}", permanent=False, code="network")
    return SendError(f"{type(exc).__name__}: {exc}", permanent=False, code="unknown")


class GmailSender(Sender):
    """Sends with ``users.messages.send`` into the customer's thread."""

    channel = Channel.EMAIL
    name = "gmail"

    def __init__(self, service: Any = None) -> None:
        self._service = service

    def send(self, message: Message) -> SendResult:
        reply = _email_reply(message)
        body: dict[str, Any] = {"raw": base64.urlsafe_b64encode(reply.raw).decode("ascii")}
        if reply.thread_id:
            body["threadId"] = reply.thread_id
        try:
            service = self._service or gmail_service()
            # No automatic retries: a send that timed out may have gone through, and the
            # caller's retry is the one place that decides to risk a duplicate.
            sent = service.users().messages().send(userId="me", body=body).execute(num_retries=0)
        except Exception as exc:
            raise classify_gmail_error(exc) from exc
        return SendResult(
            provider_id=str(sent.get("id") or ""),
            status=DeliveryStatus.SENT,
            metadata={"gmail_id": sent.get("id"), "thread_id": sent.get("threadId") or reply.thread_id,
                      "message_id_header": reply.message_id, "to": reply.to_address, "subject": reply.subject},
        )


def get_sender(channel: str) -> Sender:
    """The sender for ``channel``: the real one when it has credentials, else the sandbox."""
    if channel == Channel.WEB_FORM:
        return WebFormSender()
    if channel == Channel.WHATSAPP:
        return WhatsAppSender() if settings.TWILIO_ACCOUNT_SID else SandboxSender(channel)
    if channel == Channel.EMAIL:
        return GmailSender() if gmail_mode() != "sandbox" else SandboxSender(channel)
    raise ValueError(f"No sender for channel {channel!r}")
