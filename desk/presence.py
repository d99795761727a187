"""Who else has a ticket open, and who is typing a reply: the collision warning.

Each open ticket page reports in every few seconds (``desk/static/desk/desk.js``); the
report is kept in the cache for ``PRESENCE_TTL`` seconds, so a closed tab drops out by
itself. With the process-local default cache this only sees colleagues served by the
same process: production sets ``CACHE_URL`` (Redis) so every web process shares it.
"""
from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache

PRESENCE_TTL = 30  # seconds a report counts; the page reports every 10
TYPING_TTL = 15  # seconds a "typing" report counts: longer than the polling interval, so nobody misses it


def _key(ticket_id: int) -> str:
    return f"desk:presence:{ticket_id}"


def presence_report(*, ticket_id: int, user: AbstractBaseUser, typing: bool, now: float | None = None
                    ) -> list[dict[str, Any]]:
    """Record that ``user`` has the ticket open (and whether typing); return the others present.

    Read-modify-write of one cache entry: two reports at the same instant may lose one,
    which the next report (seconds later) restores. A warning, not a lock.
    """
    now = time.time() if now is None else now
    present: dict[str, dict[str, Any]] = cache.get(_key(ticket_id)) or {}
    present = {uid: p for uid, p in present.items() if now - p["seen"] < PRESENCE_TTL}
    mine = present.get(str(user.pk), {})
    present[str(user.pk)] = {
        "name": user.get_full_name() or user.get_username(),
        "seen": now,
        "typed": now if typing else mine.get("typed", 0),
    }
    cache.set(_key(ticket_id), present, PRESENCE_TTL)
    return [{"name": p["name"], "typing": now - p["typed"] < TYPING_TTL}
            for uid, p in sorted(present.items()) if uid != str(user.pk)]


def presence_leave(*, ticket_id: int, user: AbstractBaseUser) -> None:
    present: dict[str, dict[str, Any]] = cache.get(_key(ticket_id)) or {}
    if present.pop(str(user.pk), None) is not None:
        cache.set(_key(ticket_id), present, PRESENCE_TTL)
