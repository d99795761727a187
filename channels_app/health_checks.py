"""The channels' entries in ``GET /health``: Kafka, the Celery broker, the bridge's lag, each
channel's state, and the cache the rate limits count in.

Registered by ``ChannelsAppConfig.ready``. The channels own these because they are
what the intake hands work to: Kafka when it is configured, Celery in any case. The
Kafka client is imported inside the checks, so that starting Django does not load it.

A dependency that does not answer fails its check (503). What is behind or about to
lapse only warns (200 "degraded", see ``fte_project.health``): the bridge's lag past
``HEALTH_MAX_BRIDGE_LAG``, a Gmail watch lapsing within ``HEALTH_GMAIL_WATCH_MIN_HOURS``,
a channel that records replies instead of sending them outside development mode, an
unreachable cache (the rate limits then let everything through).
"""
from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from crm import selectors
from crm.events import Topic
from crm.models import Channel
from fte_project.health import register


@register("kafka")
def check_kafka() -> dict[str, Any]:
    from channels_app import kafka_io

    if not kafka_io.kafka_enabled():
        return {"ok": True, "configured": False, "note": "KAFKA_BOOTSTRAP_SERVERS unset: events go straight to Celery"}

    admin = kafka_io.new_admin("fte-health",
                             request_timeout_ms=3000)
    try:
        topics = set(admin.list_topics())
    finally:
        admin.close()
    missing = [t for t in Topic.ALL if kafka_io.physical_topic(t) not in topics]
    return {"ok": not missing, "missing_topics": missing}


@register("celery_broker")
def check_celery_broker() -> dict[str, Any]:
    from fte_project.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=3)
        transport = conn.transport_cls
    return {"ok": True, "transport": str(transport)}


@register("bridge_lag")
def check_bridge_lag() -> dict[str, Any]:
    from channels_app import kafka_io

    if not kafka_io.kafka_enabled():
        return {"ok": True, "configured": False}
    from channels_app.bridge import consumer_lag, topic_records

    lag = consumer_lag()
    limit = settings.HEALTH_MAX_BRIDGE_LAG
    warnings = []
    if lag["total"] > limit:
        warnings.append(f"The bridge is {lag['total']} records behind on {Topic.TICKETS_INCOMING} (threshold {limit}):"
                        " is it running?")
    # The DLQ topic only grows (records stay for its retention, replayed or not): a count, no threshold.
    return {"ok": True, "warnings": warnings, **lag, "threshold": limit, "dlq_topic_records": topic_records(Topic.DLQ)}


def _hours_until(moment: Any) -> float | None:
    return round((moment - timezone.now()).total_seconds() / 3600, 1) if moment else None


@register("channels")
def check_channels() -> dict[str, Any]:
    """Per channel: how replies leave (a provider or the sandbox), the Gmail watch, the last inbound message."""
    from channels_app.gmail.client import gmail_mode
    from channels_app.models import GmailMailbox
    from channels_app.styles import channel_style

    now = timezone.now()
    warnings: list[str] = []
    channels: dict[str, dict[str, Any]] = {}
    for channel in Channel:
        last = selectors.last_inbound_at(channel=channel)
        channels[channel.value] = {
            "ai_replies": "on" if channel_style(channel).enabled else "off (paused in admin)",
            "last_inbound_at": last.isoformat(timespec="seconds") if last else None,
            "last_inbound_age_s": round((now - last).total_seconds()) if last else None,
        }

    twilio = "twilio" if settings.TWILIO_ACCOUNT_SID else "sandbox"
    channels[Channel.WHATSAPP]["sender"] = twilio
    channels[Channel.WEB_FORM]["sender"] = "web page"

    mode = gmail_mode()
    email = channels[Channel.EMAIL]
    email["sender"] = "sandbox" if mode == "sandbox" else "gmail"
    mailbox = GmailMailbox.objects.filter(address=settings.GMAIL_ADDRESS.lower()).first()
    email["watch_expires_at"] = mailbox.watch_expiration.isoformat(timespec="seconds") if mailbox and \
        mailbox.watch_expiration else None
    email["watch_expires_in_h"] = _hours_until(mailbox.watch_expiration if mailbox else None)
    email["last_sync_error"] = (mailbox.last_error[:200] if mailbox and mailbox.last_error else "")

    if mode != "sandbox":
        left, minimum = email["watch_expires_in_h"], settings.HEALTH_GMAIL_WATCH_MIN_HOURS
        if left is None:
            warnings.append("Gmail has no Pub/Sub watch: new mail is not pushed (run `manage.py gmail_watch`).")
        elif left <= minimum:
            warnings.append(f"The Gmail watch lapses in {left} h (threshold {minimum} h); the daily renewal "
                            "(channels_app.gmail_watch_renew) has not run or failed.")
        if email["last_sync_error"]:
            warnings.append(f"The last Gmail sync failed: {email['last_sync_error']}")
    if not settings.DEV_MODE:
        if twilio == "sandbox":
            warnings.append("WhatsApp replies are recorded, not sent: TWILIO_ACCOUNT_SID is unset.")
        if mode == "sandbox":
            warnings.append("Email replies are recorded, not sent: no Gmail credentials (GMAIL_CREDENTIALS_FILE).")
    return {"ok": True, "warnings": warnings, "channels": channels}


@register("cache")
def check_cache() -> dict[str, Any]:
    """The cache the web form's rate limits count in; without it they let everything through."""
    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    key, value = f"fte-health-{uuid.uuid4().hex}", uuid.uuid4().hex
    try:
        cache.set(key, value, 30)
        readable = cache.get(key) == value
        cache.delete(key)
    except Exception as exc:  # noqa: BLE001 - reported, not raised: the rate limits fail open
        return {"ok": True, "backend": backend,
                "warnings": [f"The cache does not answer ({type(exc).__name__}: {str(exc)[:200]}): the web form's "
                             "rate limits are not enforced."]}
    return {"ok": True, "backend": backend,
            "warnings": [] if readable else ["The cache did not return what was stored: rate limits may not hold."]}
