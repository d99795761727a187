"""WhatsApp through Twilio: verifying and reading webhooks, planning and classifying replies.

Inbound. Twilio POSTs a form (``Body``, ``From=whatsapp:+…``, ``WaId``, ``ProfileName``,
``MessageSid``, ``NumMedia``, ``MediaUrl0``…) signed with ``X-Twilio-Signature``: an HMAC
of the exact public URL Twilio called plus the sorted POST parameters, keyed with the
account's auth token. Behind a proxy the URL Django sees (``http://127.0.0.1:8000/…``)
is not the one Twilio signed, so we rebuild the public one from ``PUBLIC_BASE_URL`` (and,
with ``BEHIND_PROXY``, from the forwarded host and scheme as well). A retried webhook
carries the same ``MessageSid`` and stores nothing new.

Outbound. WhatsApp allows free text only within 24 hours of the customer's last
message (the "session window"). Outside it only a pre-approved template may be sent:
we send ``TWILIO_WHATSAPP_TEMPLATE_SID`` (a Content API template) when configured, and
otherwise refuse, which marks the reply failed and hands the ticket to a human.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest, QueryDict
from django.urls import reverse
from django.utils import timezone
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator, get_signature_algorithm
from twilio.rest import Client

from channels_app.errors import ReplyNotPossible
from channels_app.styles import sendable_parts
from crm import services
from crm.identity import normalise_phone
from crm.models import Channel, CustomerIdentifier, DeliveryStatus, Direction, IdentifierKind, Message
from crm.text import storable_text

log = logging.getLogger(__name__)

SESSION_WINDOW = timedelta(hours=24)
MAX_MEDIA = 10
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


# --- Signatures ---------------------------------------------------------------------------


def public_urls(request: HttpRequest) -> list[str]:
    """The URLs Twilio may have signed for this request, most likely first."""
    path = request.get_full_path()
    urls = [settings.PUBLIC_BASE_URL + path]
    if getattr(settings, "USE_X_FORWARDED_HOST", False):
        # BEHIND_PROXY: the proxy tells us the host and scheme the caller used.
        try:
            url = request.build_absolute_uri(path)
            # Django accepts any digits as a port ("host:99999"); Twilio's validator
            # parses the port and raises ValueError, so such a URL is checked here.
            urlsplit(url).port  # noqa: B018 - read for its check
            urls.append(url)
        except Exception:  # DisallowedHost, an impossible port: not a URL Twilio signed
            pass
    return list(dict.fromkeys(urls))


def signature_valid(request: HttpRequest, params: QueryDict) -> bool:
    """True when ``X-Twilio-Signature`` matches one of the public URLs and the parameters."""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature or not settings.TWILIO_AUTH_TOKEN:
        return False
    algorithm = get_signature_algorithm(request.headers.get("X-Twilio-Webhooks-Signature-Settings", ""))
    validator = RequestValidator(settings.TWILIO_AUTH_TOKEN)
    return any(validator.validate(url, params, signature, algorithm=algorithm) for url in public_urls(request))


def sign(url: str, params: dict[str, str]) -> str:
    """The signature Twilio would send for ``params`` posted to ``url`` (demos and tests)."""
    return RequestValidator(settings.TWILIO_AUTH_TOKEN).compute_signature(url, params)


# --- Inbound -------------------------------------------------------------------------------


class InvalidWebhook(ValueError):
    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _clean(value: str, limit: int) -> str:
    return storable_text(value)[:limit]


def _checked_sid(sid: str) -> str:
    """A Twilio SID (``SM`` + 32 hex) or ``InvalidWebhook``: it is a lookup key, so it is
    refused rather than cleaned (and NUL would make PostgreSQL fail the query)."""
    if not sid:
        raise InvalidWebhook("MessageSid is missing.", field="MessageSid")
    if len(sid) > 64 or not sid.isascii() or not sid.isalnum():
        raise InvalidWebhook("MessageSid is malformed.", field="MessageSid")
    return sid


def inbound_accept(params: QueryDict) -> services.InboundResult | None:
    """Store one inbound WhatsApp message, once per MessageSid. ``None``: nothing to store."""
    sid = _checked_sid(params.get("MessageSid") or params.get("SmsMessageSid") or "")
    sender = params.get("From", "")
    if not sender:
        raise InvalidWebhook("From is missing.", field="From")
    try:
        num_media = max(0, min(int(params.get("NumMedia") or 0), MAX_MEDIA))
    except ValueError:
        raise InvalidWebhook("NumMedia is not a number.", field="NumMedia") from None
    media = [
        {"url": params.get(f"MediaUrl{i}", "")[:1000], "content_type": params.get(f"MediaContentType{i}", "")[:100]}
        for i in range(num_media)
        if params.get(f"MediaUrl{i}")
    ]
    body = _clean(params.get("Body", ""), services.MAX_CONTENT_CHARS).strip()
    if not body and media:
        body = "(Sent " + ", ".join(m["content_type"] or "a file" for m in media) + " without text.)"
    if not body and params.get("Latitude") and params.get("Longitude"):
        body = f"(Shared a location: {params.get('Latitude')[:20]}, {params.get('Longitude')[:20]}.)"
    if not body and num_media:
        # Media announced without a URL (an unsupported type, an expired upload): the
        # customer still sent something, and dropping it would lose their message.
        body = f"(Sent {num_media} attachment{'s' if num_media > 1 else ''} without text.)"
    if not body:
        return None  # e.g. a reaction: nothing the agent could answer
    phone = normalise_phone(sender)  # InvalidInput → 400
    metadata: dict[str, Any] = {
        "message_sid": sid,
        "from": sender[:64],
        "to": params.get("To", "")[:64],
        "wa_id": params.get("WaId", "")[:32],
        "profile_name": _clean(params.get("ProfileName", ""), 200),
        "num_media": num_media,
        "media": media,
    }
    if params.get("ReferralBody") or params.get("ButtonText"):
        metadata["button_text"] = _clean(params.get("ButtonText", ""), 200)
    return services.inbound_message_accept(
        channel=Channel.WHATSAPP,
        provider_id=sid,
        content=body,
        phone=phone,
        name=_clean(params.get("ProfileName", ""), 200).strip(),
        metadata=metadata,
    )


# --- Delivery status callbacks ----------------------------------------------------------------

TWILIO_STATUS = {
    "accepted": DeliveryStatus.QUEUED,
    "scheduled": DeliveryStatus.QUEUED,
    "queued": DeliveryStatus.QUEUED,
    "sending": DeliveryStatus.SENT,
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.READ,
    "failed": DeliveryStatus.FAILED,
    "undelivered": DeliveryStatus.UNDELIVERED,
}
_RANK = {DeliveryStatus.QUEUED: 1, DeliveryStatus.SENT: 2, DeliveryStatus.DELIVERED: 3, DeliveryStatus.READ: 4}


@dataclass(frozen=True)
class StatusOutcome:
    message: Message | None
    status: str
    newly_failed: bool


def status_record(params: QueryDict) -> StatusOutcome:
    """Record Twilio's status for one part of one of our messages.

    A long reply is several Twilio messages. The reply's status is the least advanced
    of its parts ("delivered" only once every part is), and "failed" or "undelivered"
    as soon as any part is.
    """
    sid = _checked_sid(params.get("MessageSid") or params.get("SmsSid") or "")
    raw_status = (params.get("MessageStatus") or params.get("SmsStatus") or "").lower()
    status = TWILIO_STATUS.get(raw_status)
    if status is None:
        raise InvalidWebhook(f"Unknown MessageStatus {raw_status[:30]!r}.", field="MessageStatus")
    error_code = (params.get("ErrorCode") or "")[:40]
    with transaction.atomic():
        message = (
            Message.objects.select_for_update()
            .filter(channel=Channel.WHATSAPP, direction=Direction.OUTBOUND)
            .filter(metadata__twilio_sids__contains=[sid])
            .first()
        ) or (
            Message.objects.select_for_update()
            .filter(channel=Channel.WHATSAPP, direction=Direction.OUTBOUND, provider_id=sid)
            .first()
        )
        if message is None:
            return StatusOutcome(None, status, False)
        was_failed = message.delivery_status in (DeliveryStatus.FAILED, DeliveryStatus.UNDELIVERED)
        part_status = dict(message.metadata.get("twilio_part_status") or {})
        part_status[sid] = status
        sids = message.metadata.get("twilio_sids") or [sid]
        overall = _overall_status([part_status.get(s, DeliveryStatus.SENT) for s in sids])
        services.message_delivery_update(
            message=message,
            status=overall,
            error_code=error_code if overall in (DeliveryStatus.FAILED, DeliveryStatus.UNDELIVERED) else "",
            metadata={"twilio_part_status": part_status},
        )
        message.refresh_from_db()
    newly_failed = not was_failed and message.delivery_status in (DeliveryStatus.FAILED, DeliveryStatus.UNDELIVERED)
    return StatusOutcome(message, message.delivery_status, newly_failed)


def _overall_status(statuses: list[str]) -> str:
    for bad in (DeliveryStatus.FAILED, DeliveryStatus.UNDELIVERED):
        if bad in statuses:
            return bad
    return min(statuses, key=lambda s: _RANK.get(s, 2))


# --- Outbound planning ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplyPlan:
    to: str  # "whatsapp:+E164"
    parts: list[str]
    window_open: bool
    last_inbound_at: datetime | None
    template_sid: str = ""
    template_variables: dict[str, str] | None = None

    @property
    def uses_template(self) -> bool:
        return bool(self.template_sid)


def whatsapp_address(value: str) -> str:
    value = value.strip()
    return value if value.startswith("whatsapp:") else f"whatsapp:{value}"


def _recipient(message: Message) -> str:
    replied_id = message.reply_to_id or (message.metadata or {}).get("in_reply_to_message")
    inbound = Message.objects.filter(channel=Channel.WHATSAPP, direction=Direction.INBOUND,
                                     conversation__customer_id=message.conversation.customer_id)
    replied = inbound.filter(pk=replied_id).first() if replied_id else None
    replied = replied or inbound.order_by("-created_at", "-id").first()
    sender = (replied.metadata or {}).get("from") if replied else ""
    if sender:
        return whatsapp_address(normalise_phone(sender))
    phone = (
        CustomerIdentifier.objects.filter(customer_id=message.conversation.customer_id, kind=IdentifierKind.PHONE)
        .order_by("-created_at")
        .values_list("value", flat=True)
        .first()
    )
    if not phone:
        raise ReplyNotPossible("no_whatsapp_number", "The customer has no WhatsApp number to reply to.")
    return whatsapp_address(phone)


def last_inbound_at(customer_id: int) -> datetime | None:
    """When the customer last wrote to us on WhatsApp: the start of the session window."""
    return Message.objects.filter(
        channel=Channel.WHATSAPP, direction=Direction.INBOUND, conversation__customer_id=customer_id
    ).aggregate(last=Max("created_at"))["last"]


def reply_plan(message: Message, *, now: datetime | None = None) -> ReplyPlan:
    """Who gets the reply, in which parts, and whether the session window allows free text."""
    now = now or timezone.now()
    to = _recipient(message)
    parts = sendable_parts(message.content)
    if not parts:
        raise ReplyNotPossible("empty_reply", "The reply is empty.")
    last = last_inbound_at(message.conversation.customer_id)
    window_open = last is not None and now - last < SESSION_WINDOW
    if window_open:
        return ReplyPlan(to=to, parts=parts, window_open=True, last_inbound_at=last)
    template = settings.TWILIO_WHATSAPP_TEMPLATE_SID
    if not template:
        raise ReplyNotPossible(
            "outside_session_window",
            "The customer last wrote on WhatsApp more than 24 hours ago and no template "
            "(TWILIO_WHATSAPP_TEMPLATE_SID) is configured, so WhatsApp does not allow a free-text reply.",
        )
    customer = message.conversation.customer
    first_name = (customer.name or "").split()[0] if (customer.name or "").strip() else "there"
    variables = {"1": first_name[:40], "2": message.ticket.reference if message.ticket_id else ""}
    return ReplyPlan(to=to, parts=parts, window_open=False, last_inbound_at=last, template_sid=template,
                     template_variables=variables)


# --- The Twilio client ----------------------------------------------------------------------------


class RebasedHttpClient(TwilioHttpClient):
    """Sends every Twilio API request to another origin (a local fake Twilio), path unchanged."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        parts = urlsplit(base_url)
        self._scheme, self._netloc = parts.scheme, parts.netloc

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        parts = urlsplit(url)
        url = urlunsplit((self._scheme, self._netloc, parts.path, parts.query, parts.fragment))
        return super().request(method, url, *args, **kwargs)


def twilio_client() -> Client:
    """A twilio ``Client``; with ``TWILIO_API_BASE_URL`` every request goes to that origin instead."""
    timeout = getattr(settings, "TWILIO_HTTP_TIMEOUT", 15)
    if settings.TWILIO_API_BASE_URL:
        http_client: TwilioHttpClient = RebasedHttpClient(settings.TWILIO_API_BASE_URL, timeout=timeout)
    else:
        http_client = TwilioHttpClient(timeout=timeout)
    return Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http_client)


def status_callback_url() -> str:
    return settings.PUBLIC_BASE_URL + reverse("webhook-whatsapp-status")


def template_variables_json(plan: ReplyPlan) -> str:
    return json.dumps(plan.template_variables or {})


# Twilio error codes that will fail the same way on every retry.
# https://www.twilio.com/docs/api/errors
PERMANENT_TWILIO_CODES = {
    20003,  # authentication failed
    20404,  # resource not found
    21211,  # invalid 'To' number
    21408,  # permission to send to this region not enabled
    21606,  # the 'From' number is not a valid sender
    21608,  # unverified number (trial account)
    21610,  # the recipient unsubscribed (STOP)
    21612,  # cannot route to this number
    21614,  # not a mobile number
    21617,  # body too long
    63001,  # channel could not authenticate
    63003,  # channel could not find the destination address
    63007,  # channel could not find the 'From' address
    63013,  # channel policy violation
    63015,  # sandbox: the recipient has not joined
    63016,  # outside the 24-hour window; use a template
    63024,  # invalid message recipient
    63032,  # the user has opted out of marketing messages
}
# Codes that mean "not now": queue or rate limits and provider hiccups.
TRANSIENT_TWILIO_CODES = {20429, 30001, 63018, 63038, 20500, 20503}
