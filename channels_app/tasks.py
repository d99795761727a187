"""Celery tasks of the channels. They take ids and are safe to run twice."""
from __future__ import annotations

import logging
import random
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from channels_app.delivery import deliver_message, delivery_failed
from channels_app.enqueue import PUBLISH_RETRY_POLICY
from channels_app.gmail.client import GmailUnavailable, gmail_mode
from channels_app.gmail.sync import mailbox_sync, mailbox_sync_failed
from channels_app.gmail.watch import watch_renew
from channels_app.senders import SendError
from channels_app.support_mail import MailNotSent, open_tickets_links_send
from channels_app.enqueue import enqueue_delivery
from crm import selectors
from crm.models import Message

log = logging.getLogger(__name__)

# Renew when less than this is left; the beat schedule runs the task daily, as Google asks.
WATCH_RENEW_WITHIN_HOURS = 48
# A mailbox sync that cannot reach Gmail (or the database) is retried this often; with
# the capped back-off that is about half an hour. Giving up then loses no mail: the
# stored history id has not moved, so the next push syncs from the same place.
GMAIL_SYNC_MAX_RETRIES = 12


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


@shared_task(bind=True, name="channels_app.gmail_mailbox_sync", acks_late=True, max_retries=GMAIL_SYNC_MAX_RETRIES)
def gmail_mailbox_sync_task(self, address: str, history_id: int) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Store the new mail of one mailbox after a verified Pub/Sub push (``history.list``, ``messages.get``).

    Idempotent, and safe to run concurrently with another push's sync: each mail is
    stored once (its Gmail id is the provider id) and the stored history id only moves
    forward, after the mail before it is stored. So a duplicate delivery, or a retry,
    stores nothing twice. A Gmail outage or a lost database connection is retried with
    back-off; the failure is shown on the mailbox in the admin meanwhile.
    """
    try:
        result = mailbox_sync(address=address, notified_history_id=history_id)
    except (GmailUnavailable, OperationalError, InterfaceError) as exc:
        if self.request.retries < self.max_retries:
            log.warning("Gmail sync of %s (history %s) failed, retrying: %s", address, history_id, exc)
        else:
            log.error("Gmail sync of %s (history %s) failed %d times, giving up until the next push: %s",
                      address, history_id, self.request.retries + 1, exc)
        if isinstance(exc, GmailUnavailable):
            mailbox_sync_failed(address=address, error=str(exc))
        raise self.retry(exc=exc, countdown=_countdown(self.request.retries)) from exc
    log.info("Gmail sync of %s (history %s): %s", address, history_id, result.as_dict())
    return result.as_dict()


def gmail_mailbox_sync_enqueue(*, address: str, history_id: int) -> None:
    """Queue the mailbox sync for a verified push. Raises if the broker did not take it."""
    gmail_mailbox_sync_task.apply_async(args=[address, history_id], retry=True, retry_policy=PUBLISH_RETRY_POLICY)


@shared_task(bind=True, name="channels_app.deliver_message", acks_late=True, max_retries=None)
def deliver_message_task(self, message_id: int) -> str:  # type: ignore[no-untyped-def]
    """Deliver one recorded outbound message, retrying transient failures with back-off.

    After ``CELERY_TASK_MAX_RETRIES`` transient failures the reply is marked failed and
    the ticket goes to a human, like a permanent failure.
    """
    try:
        return deliver_message(message_id=message_id)
    except (OperationalError, InterfaceError) as exc:
        # The database is away (restarting): the reply is still "pending"; try again shortly
        # instead of leaving it to the deliver_stalled sweep minutes later.
        log.warning("reply %s: the database is unavailable (%s); retrying", message_id, exc)
        raise self.retry(exc=exc, countdown=_countdown(min(self.request.retries, 3))) from exc
    except SendError as exc:
        if self.request.retries >= settings.CELERY_TASK_MAX_RETRIES:
            message = Message.objects.select_related("ticket").get(pk=message_id)
            delivery_failed(message=message, error=f"gave up after {self.request.retries} retries: {exc.message}",
                            code=exc.code or "retries_exhausted")
            return "failed"
        raise self.retry(exc=exc, countdown=_countdown(self.request.retries)) from exc


@shared_task(name="channels_app.deliver_stalled", acks_late=True)
def deliver_stalled() -> list[int]:
    """Periodic: hand replies that have waited too long in "pending" to the delivery task again.

    A reply is recorded before its task is queued; if the broker refused the task, or
    the worker died and the task was lost, this is what still sends it. A second task
    for a reply that is in fact on its way is harmless: delivery is idempotent.
    """
    stalled = selectors.stalled_reply_ids(older_than_seconds=settings.DELIVERY_STALL_SECONDS)
    for message_id in stalled:
        enqueue_delivery(message_id)
    if stalled:
        log.warning("handed %s stalled repl(ies) to the delivery task again", len(stalled))
    return stalled


@shared_task(bind=True, name="channels_app.support_lookup_send", acks_late=True, max_retries=5)
def support_lookup_send_task(self, email: str) -> int:  # type: ignore[no-untyped-def]
    """"Find my request": email the address the links to its open web-form tickets.

    Runs in a worker so that the request that asked takes the same time whether the
    address has tickets or not. Sending twice (a redelivery) only repeats the same links.
    """
    try:
        return open_tickets_links_send(email=email)
    except MailNotSent as exc:
        raise self.retry(exc=exc, countdown=_countdown(self.request.retries)) from exc


def support_lookup_enqueue(*, email: str) -> None:
    """Queue the "find my request" email. Raises if the broker did not take it."""
    support_lookup_send_task.apply_async(args=[email], retry=True, retry_policy=PUBLISH_RETRY_POLICY)
