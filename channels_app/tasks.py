"""Celery tasks of the channels. They take ids and are safe to run twice."""
from __future__ import annotations

import logging
import random

from celery import shared_task
from django.conf import settings

from channels_app.delivery import deliver_message, delivery_failed
from channels_app.gmail.client import GmailUnavailable, gmail_mode
from channels_app.gmail.watch import watch_renew
from channels_app.senders import SendError
from crm.models import Message

log = logging.getLogger(__name__)

# Renew when less than this is left; the beat schedule runs the task daily, as Google asks.
WATCH_RENEW_WITHIN_HOURS = 48


@shared_task(name="channels_app.gmail_watch_renew", acks_late=True)
def gmail_watch_renew(force: bool = False) -> str:
    """Keep the Gmail Pub/Sub watch alive (it lapses after 7 days). Schedule daily.

    Does nothing without a topic in production mode; in sandbox mode it renews the
    sandbox watch so the admin shows a live expiry.
    """
    if gmail_mode() != "sandbox" and not settings.GMAIL_PUBSUB_TOPIC:
        return "not configured"
    try:
        result = watch_renew(if_expiring_within_hours=None if force else WATCH_RENEW_WITHIN_HOURS)
    except GmailUnavailable as exc:
        log.error("Gmail watch renewal failed: %s", exc)
        raise
    if not result.renewed:
        return f"still valid until {result.expiration.isoformat()}"
    return f"renewed until {result.expiration.isoformat()}"


def _countdown(retries: int) -> float:
    return min(getattr(settings, "CELERY_RETRY_BACKOFF_CAP", 300), 2 ** (retries + 1)) * random.uniform(0.75, 1.25)


@shared_task(bind=True, name="channels_app.deliver_message", acks_late=True, max_retries=None)
def deliver_message_task(self, message_id: int) -> str:  # type: ignore[no-untyped-def]
    """Deliver one recorded outbound message, retrying transient failures with back-off.

    After ``CELERY_TASK_MAX_RETRIES`` transient failures the reply is marked failed and
    the ticket goes to a human, like a permanent failure.
    """
    try:
        return deliver_message(message_id=message_id)
    except SendError as exc:
        if self.request.retries >= settings.CELERY_TASK_MAX_RETRIES:
            message = Message.objects.select_related("ticket").get(pk=message_id)
            delivery_failed(message=message, error=f"gave up after {self.request.retries} retries: {exc.message}",
                            code=exc.code or "retries_exhausted")
            return "failed"
        raise self.retry(exc=exc, countdown=_countdown(self.request.retries)) from exc
