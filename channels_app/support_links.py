"""Signed links to a ticket's page on the support form: ``/support/?ticket=REF&token=…``.

The ticket reference is quoted in every reply and may be read out over the phone, so
it alone does not open the conversation: the page and its API also need a token
signed with ``SECRET_KEY`` (``django.core.signing``) that names the reference and
expires after ``SUPPORT_LINK_MAX_AGE_DAYS``. The browser that submitted the form gets
one in the submit response; everyone else gets one by email (each reply, and "find my
request"), so holding a token means holding the form's email address or its browser.
"""
from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.core import signing

_SALT = "channels_app.support-ticket-link"


def ticket_token(*, reference: str) -> str:
    """A token that opens ``reference`` on the support page until it expires."""
    return signing.TimestampSigner(salt=_SALT).sign_object({"r": reference.upper()}, compress=False)


class LinkInvalid(Exception):
    """The token is not ours, not for this ticket, or expired (``expired``)."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


def ticket_token_check(*, reference: str, token: str) -> None:
    """Raise ``LinkInvalid`` unless ``token`` was signed by us for ``reference`` and is still valid."""
    max_age = settings.SUPPORT_LINK_MAX_AGE_DAYS * 86_400
    try:
        value = signing.TimestampSigner(salt=_SALT).unsign_object(token or "", max_age=max_age)
    except signing.SignatureExpired:
        raise LinkInvalid("This link has expired.", expired=True) from None
    except (signing.BadSignature, ValueError, TypeError):
        raise LinkInvalid("This link is not valid.") from None
    if not isinstance(value, dict) or str(value.get("r", "")).upper() != reference.upper():
        raise LinkInvalid("This link is not valid.")


def ticket_page_url(*, reference: str) -> str:
    """The absolute URL of the ticket's page, with a fresh token (for emails)."""
    query = urlencode({"ticket": reference, "token": ticket_token(reference=reference)})
    return f"{settings.PUBLIC_BASE_URL}/support/?{query}"
