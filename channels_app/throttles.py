"""Rate limits for the public web-form API, counted in the Django cache.

Per IP (``WEBFORM_RATE_PER_IP``) and per email address (``WEBFORM_RATE_PER_EMAIL``), so
neither one machine nor one address can flood the support queue. Over the limit the
API answers 429 with ``Retry-After``.

The client's IP: DRF by default trusts the whole ``X-Forwarded-For`` header, which
anyone can set to dodge the limit. We use ``REMOTE_ADDR`` unless ``BEHIND_PROXY`` is
set, and then only the last ``X-Forwarded-For`` entry: the one our own proxy appended.
"""
from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from crm.errors import InvalidInput
from crm.identity import normalise_email
from fte_project.client_ip import client_ip


class _SettingRateThrottle(SimpleRateThrottle):
    rate_setting = ""
    default_rate = ""

    def get_rate(self) -> str:
        return getattr(settings, self.rate_setting, "") or self.default_rate

    def get_ident(self, request: Request) -> str:
        return client_ip(request)


class WebFormIPThrottle(_SettingRateThrottle):
    """Submissions per client IP."""

    scope = "webform_ip"
    rate_setting = "WEBFORM_RATE_PER_IP"
    default_rate = "20/hour"

    def get_cache_key(self, request: Request, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class WebFormEmailThrottle(_SettingRateThrottle):
    """Submissions per email address (from the body; no address, no count)."""

    scope = "webform_email"
    rate_setting = "WEBFORM_RATE_PER_EMAIL"
    default_rate = "10/hour"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        # An unparseable body raises ParseError/UnsupportedMediaType here: a 400/415 either way.
        data = request.data
        email = data.get("email") if hasattr(data, "get") else None
        if not isinstance(email, str) or not email.strip():
            return None
        try:
            ident = normalise_email(email)
        except InvalidInput:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}


class TicketStatusThrottle(_SettingRateThrottle):
    """Reads of a ticket's status. Generous: the form polls every few seconds while waiting."""

    scope = "webform_status"
    rate_setting = "WEBFORM_STATUS_RATE"
    default_rate = "1200/hour"

    def get_cache_key(self, request: Request, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
