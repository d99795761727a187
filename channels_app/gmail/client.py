"""The Gmail API client: how we reach ``GMAIL_ADDRESS``'s mailbox, and how its failures read.

Three ways to reach the Gmail API (``gmail_mode()``):
- ``credentials``: ``GMAIL_CREDENTIALS_FILE`` (a service account with domain-wide
  delegation to ``GMAIL_ADDRESS``, or an OAuth "authorized user" token file);
- ``endpoint``: only ``GMAIL_API_ENDPOINT`` (a local fake Gmail API, unauthenticated);
- ``sandbox``: neither — the client talks to the sandbox mailbox (:mod:`.sandbox`).
"""
from __future__ import annotations

import json
from typing import Any

import httplib2
from django.conf import settings
from google.auth import exceptions as auth_exceptions
from googleapiclient.discovery import Resource, build
from googleapiclient.errors import HttpError

from channels_app.gmail.sandbox import SandboxGmailHttp

GMAIL_SCOPES = ["https://www.googleapis.com/auth/gmail.modify"]


def gmail_setting(name: str, default: Any) -> Any:
    """A Gmail setting, or ``default`` where the settings module does not define it."""
    return getattr(settings, name, default)


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
    timeout = gmail_setting("GMAIL_HTTP_TIMEOUT", 20)
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
    """The Gmail API (or Google's certificates) could not be reached or refused us: try again later."""


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


def execute(request: Any) -> dict[str, Any]:
    """Run one Gmail API request; network and credential failures become ``GmailUnavailable``."""
    # Reads are idempotent: the client retries 5xx and 429 itself, with back-off.
    try:
        return request.execute(num_retries=gmail_setting("GMAIL_API_RETRIES", 2)) or {}
    except HttpError:
        raise
    except (OSError, httplib2.HttpLib2Error) as exc:
        raise GmailUnavailable(f"Gmail API unreachable: {exc}") from None
    except auth_exceptions.GoogleAuthError as exc:  # e.g. the refresh token was revoked
        raise GmailUnavailable(f"Gmail credentials were refused: {exc}") from None


def unavailable(exc: HttpError, what: str) -> GmailUnavailable:
    """The ``GmailUnavailable`` to raise for an API error answer to ``what``."""
    return GmailUnavailable(f"Gmail API {what} failed: HTTP {http_status(exc)} {http_reason(exc)}".strip())
