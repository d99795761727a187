"""Rate limits for the public web-form API, counted in the Django cache.

Per IP (``WEBFORM_RATE_PER_IP``) and per email address (``WEBFORM_RATE_PER_EMAIL``), so
neither one machine nor one address can flood the support queue. Over the limit the
API answers 429 with ``Retry-After``.

The client's IP: DRF by default trusts the whole ``X-Forwarded-For`` header, which
anyone can set to dodge the limit. We use ``REMOTE_ADDR`` unless ``BEHIND_PROXY`` is
set, and then only the last ``X-Forwarded-For`` entry: the one our own proxy appended.

Every web process counts in the same place: the cache is Redis or a PostgreSQL table,
never per-process memory outside development (``channels_app.checks``). DRF's throttle
reads a key's history, then writes it back; two processes doing that at once would
both see the same count, so each key's read-and-write runs under a PostgreSQL advisory
lock. If the cache itself is unreachable, the request is let through (and logged): the
support form staying up matters more than its flood limit for the minutes Redis is away.
"""
from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from crm.errors import InvalidInput
from crm.identity import normalise_email
from fte_project.client_ip import client_ip


log = logging.getLogger(__name__)


def _lock_id(key: str) -> int:
    """A signed 64-bit advisory-lock id for a throttle key."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


class _SettingRateThrottle(SimpleRateThrottle):
    rate_setting = ""
    default_rate = ""

    def get_rate(self) -> str:
        return getattr(settings, self.rate_setting, "") or self.default_rate

    def get_ident(self, request: Request) -> str:
        return client_ip(request)

    def allow_request(self, request: Request, view: Any) -> bool:
        """DRF's sliding window, with each key's read-and-write serialized across processes."""
        if self.rate is None:
            return True
        # Outside the try: an unreadable body must still be a 400, not "allowed".
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_id(self.key)])
                self.history = self.cache.get(self.key, [])
                self.now = self.timer()
                while self.history and self.history[-1] <= self.now - self.duration:
                    self.history.pop()
                if len(self.history) >= self.num_requests:
                    return self.throttle_failure()
                return self.throttle_success()
        except Exception:  # noqa: BLE001 - the cache (or its lock) is down: fail open, loudly
            log.warning("rate limit %s not checked: the cache is unavailable", self.scope, exc_info=True)
            return True


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
        # The key lives in a shared cache (Redis, a table) that operators can read: an
        # address there is personal data, its digest is not.
        digest = hashlib.sha256(ident.encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": digest}


class TicketStatusThrottle(_SettingRateThrottle):
    """Reads of a ticket's status. Generous: the form polls every few seconds while waiting."""

    scope = "webform_status"
    rate_setting = "WEBFORM_STATUS_RATE"
    default_rate = "1200/hour"

    def get_cache_key(self, request: Request, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
