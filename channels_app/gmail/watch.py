"""The watch: Gmail's subscription that publishes the inbox's changes to our Pub/Sub topic.

It lapses after 7 days; ``manage.py gmail_watch`` registers it and the daily task
``channels_app.gmail_watch_renew`` keeps it alive.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone
from googleapiclient.discovery import Resource
from googleapiclient.errors import HttpError

from channels_app.gmail.client import GmailNotConfigured, execute, gmail_mode, gmail_service, unavailable
from channels_app.models import GmailMailbox


@dataclass(frozen=True)
class WatchResult:
    """The watch as it stands after ``watch_renew``."""

    mailbox: GmailMailbox
    expiration: datetime
    history_id: int
    renewed: bool


def watch_renew(*, service: Resource | None = None, if_expiring_within_hours: float | None = None) -> WatchResult:
    """Register or renew the Pub/Sub watch on the inbox (it lapses after 7 days).

    The first watch also stores the mailbox's current historyId, so the first push syncs
    from there instead of a full sync. Google asks for a renewal about once a day.
    """
    address = settings.GMAIL_ADDRESS.lower()
    mailbox, _ = GmailMailbox.objects.get_or_create(address=address)
    if (
        if_expiring_within_hours is not None
        and mailbox.watch_expiration
        and (mailbox.watch_expiration - timezone.now()).total_seconds() > if_expiring_within_hours * 3600
    ):
        return WatchResult(mailbox, mailbox.watch_expiration, mailbox.history_id or 0, renewed=False)
    topic = settings.GMAIL_PUBSUB_TOPIC
    if not topic:
        if gmail_mode() != "sandbox":
            raise GmailNotConfigured("GMAIL_PUBSUB_TOPIC is not set (projects/<project>/topics/<topic>).")
        topic = "projects/sandbox/topics/gmail"
    service = service or gmail_service()
    try:
        response = execute(service.users().watch(
            userId="me", body={"topicName": topic, "labelIds": ["INBOX"], "labelFilterBehavior": "INCLUDE"}))
    except HttpError as exc:
        raise unavailable(exc, "watch") from None
    expiration = datetime.fromtimestamp(int(response["expiration"]) / 1000, tz=UTC)
    history_id = int(response.get("historyId") or 0)
    GmailMailbox.objects.filter(pk=mailbox.pk, history_id__isnull=True).update(history_id=history_id or None)
    GmailMailbox.objects.filter(pk=mailbox.pk).update(watch_expiration=expiration, watch_renewed_at=timezone.now())
    mailbox.refresh_from_db()
    return WatchResult(mailbox, expiration, history_id, renewed=True)


def watch_stop(*, service: Resource | None = None) -> None:
    """Stop push notifications for the mailbox."""
    service = service or gmail_service()
    try:
        execute(service.users().stop(userId="me"))
    except HttpError as exc:
        raise unavailable(exc, "stop") from None
    GmailMailbox.objects.filter(address=settings.GMAIL_ADDRESS.lower()).update(watch_expiration=None)
