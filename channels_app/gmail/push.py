"""The Pub/Sub push: is it really from our subscription, and what does it say.

Gmail publishes ``{"emailAddress", "historyId"}`` to a Pub/Sub topic whenever the
mailbox changes; the push subscription POSTs it to ``/webhooks/gmail``. The push
carries no mail, only "the mailbox changed, historyId N".

Authentication. In production the subscription signs each push with a Google OIDC
token (``Authorization: Bearer <JWT>``) whose audience is ``GMAIL_PUSH_AUDIENCE``; we
check the signature against Google's certificates, the issuer, the audience and that
the token was minted for ``GMAIL_PUSH_SERVICE_ACCOUNT`` with a verified email. Without
an audience configured, the simpler option applies: the push URL carries
``?token=<GMAIL_PUSH_SHARED_SECRET>``. Verification is never switched off.
"""
from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from google.auth import exceptions as auth_exceptions
from google.oauth2 import id_token

from channels_app.gmail.client import GmailUnavailable, gmail_setting

log = logging.getLogger(__name__)

GOOGLE_ISSUERS = {"accounts.google.com", "https://accounts.google.com"}
GOOGLE_OAUTH2_CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"


class PushRejected(Exception):
    """The push is not from our subscription; ``status`` is 401 (no token) or 403 (a bad one)."""

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
            certs_url=gmail_setting("GMAIL_PUSH_CERTS_URL", "") or GOOGLE_OAUTH2_CERTS_URL,
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


class InvalidPush(ValueError):
    """The body is not a Gmail notification pushed by Pub/Sub; the message says why."""


@dataclass(frozen=True)
class PushNotification:
    """What a push says: this mailbox changed, up to this history id."""

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
