"""The client's IP address, one rule for every limit that counts per address.

Anyone can send ``X-Forwarded-For``, so trusting the whole header lets a client choose
its own address and dodge a limit. We use ``REMOTE_ADDR`` unless ``BEHIND_PROXY`` is
set, and then only the last ``X-Forwarded-For`` entry: the one our own proxy appended.
"""
from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings


def client_ip(request: Any) -> str:
    """The address of the client that sent ``request`` (a Django or DRF request)."""
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    if getattr(settings, "USE_X_FORWARDED_HOST", False):
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            return forwarded[-1][:64]
    return remote[:64]


def client_ip_address(request: Any) -> str | None:
    """``client_ip`` when it is an IP address, else None: what django-axes stores in an
    IP address column (a test client's request has no ``REMOTE_ADDR``; a proxy may pass on
    something that is not an address)."""
    candidate = client_ip(request)
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None
