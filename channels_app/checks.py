"""Start-up checks of the channels: the rate limits need a cache that every web process shares.

The web form's limits (``channels_app.throttles``) count in the default cache. A
per-process cache (local memory, a dummy, files on one pod's disk) lets every gunicorn
worker and every pod count on its own, so a limit of 20 an hour becomes 20 per process:
that is allowed in development mode only. ``manage.py migrate`` and ``manage.py check``
run this check, so a deployment with such a cache stops before it serves.
"""
from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

# Backends whose entries every process of a deployment sees.
SHARED_CACHE_BACKENDS = {
    "django.core.cache.backends.redis.RedisCache",
    "django.core.cache.backends.db.DatabaseCache",
    "django.core.cache.backends.memcached.PyMemcacheCache",
    "django.core.cache.backends.memcached.PyLibMCCache",
}


@register(Tags.caches)
def shared_cache_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Error outside development mode when the default cache is not shared between processes."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend in SHARED_CACHE_BACKENDS or settings.DEV_MODE:
        return []
    return [Error(
        f"The default cache ({backend}) is not shared between processes, so each web process would "
        "count the web form's rate limits on its own.",
        hint="Set CACHE_URL to a redis:// URL, or leave it unset to use the fte_cache table in PostgreSQL.",
        id="channels_app.E001",
    )]
