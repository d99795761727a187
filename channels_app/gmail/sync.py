"""The mailbox sync: every new inbox mail since the stored historyId, stored once.

A push only says "the mailbox changed"; the sync task (``channels_app.tasks``) then
asks ``users.history.list`` for everything since the last historyId we stored and
fetches each new message with ``users.messages.get``. A stored historyId older than
Gmail keeps (about a week) answers 404; then a bounded full sync (the newest
``GMAIL_FULL_SYNC_MAX`` inbox messages of the last ``GMAIL_FULL_SYNC_DAYS`` days)
catches up. Every message is stored once: the Gmail message id is its provider id.
"""
from __future__ import annotations

import base64
import binascii
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import DataError, IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from googleapiclient.discovery import Resource
from googleapiclient.errors import HttpError

from channels_app.email_parsing import UnparseableEmail, parse_email
from channels_app.gmail.client import (
    GmailUnavailable,
    execute,
    gmail_service,
    gmail_setting,
    http_status,
    unavailable,
)
from channels_app.models import GmailMailbox
from crm import services
from crm.errors import InvalidInput
from crm.models import Channel, Conversation, Message

log = logging.getLogger(__name__)

IGNORED_LABELS = {"SENT", "DRAFT", "SPAM", "TRASH", "CHAT"}


@dataclass
class SyncResult:
    """What one sync did; ``as_dict()`` is what the sync task reports."""

    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    ignored: int = 0
    full_sync: bool = False
    history_id: int | None = None
    ignored_reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"fetched": self.fetched, "stored": self.stored, "duplicates": self.duplicates,
                "ignored": self.ignored, "full_sync": self.full_sync}


def mailbox_sync(*, address: str | None = None, service: Resource | None = None,
                 notified_history_id: int | None = None) -> SyncResult:
    """Store every new inbox message since the last stored historyId. Safe to run concurrently:
    each message is stored once, and the stored historyId only moves forward."""
    address = (address or settings.GMAIL_ADDRESS).lower()
    if service is None:
        try:
            service = gmail_service()
        except (OSError, ValueError, KeyError) as exc:
            raise GmailUnavailable(f"The Gmail client could not be set up: {exc}") from None
    mailbox, _ = GmailMailbox.objects.get_or_create(address=address)
    result = SyncResult()
    if mailbox.history_id is None:
        new_history_id = _full_sync(service, result)
    else:
        try:
            new_history_id = _history_sync(service, mailbox.history_id, result)
        except HttpError as exc:
            if http_status(exc) != 404:
                raise unavailable(exc, "history.list") from None
            log.warning("Gmail historyId %s for %s has expired; running a bounded full sync",
                        mailbox.history_id, address)
            new_history_id = _full_sync(service, result)
    if notified_history_id and result.full_sync:
        new_history_id = max(new_history_id, notified_history_id)
    result.history_id = new_history_id
    now = timezone.now()
    GmailMailbox.objects.filter(pk=mailbox.pk).filter(
        Q(history_id__isnull=True) | Q(history_id__lt=new_history_id)
    ).update(history_id=new_history_id)
    updates: dict[str, Any] = {"last_sync_at": now, "last_error": ""}
    if result.full_sync:
        updates["last_full_sync_at"] = now
    GmailMailbox.objects.filter(pk=mailbox.pk).update(**updates)
    return result


def _history_sync(service: Resource, start: int, result: SyncResult) -> int:
    ids: list[str] = []
    page_token = None
    latest = start
    while True:
        kwargs: dict[str, Any] = {"userId": "me", "startHistoryId": str(start), "historyTypes": ["messageAdded"],
                                  "labelId": "INBOX", "maxResults": gmail_setting("GMAIL_HISTORY_PAGE_SIZE", 100)}
        if page_token:
            kwargs["pageToken"] = page_token
        page = execute(service.users().history().list(**kwargs))
        latest = max(latest, int(page.get("historyId") or latest))
        for record in page.get("history", []):
            for added in record.get("messagesAdded", []):
                gmail_id = (added.get("message") or {}).get("id")
                if gmail_id and gmail_id not in ids:
                    ids.append(gmail_id)
        page_token = page.get("nextPageToken")
        if not page_token:
            break
    for gmail_id in ids:
        _ingest(service, gmail_id, result)
    return latest


def _full_sync(service: Resource, result: SyncResult) -> int:
    result.full_sync = True
    try:
        profile = execute(service.users().getProfile(userId="me"))
        listing = execute(service.users().messages().list(
            userId="me", labelIds=["INBOX"], q=f"newer_than:{gmail_setting('GMAIL_FULL_SYNC_DAYS', 3)}d",
            maxResults=gmail_setting("GMAIL_FULL_SYNC_MAX", 50),
        ))
    except HttpError as exc:
        raise unavailable(exc, "full sync") from None
    for item in reversed(listing.get("messages", [])):  # oldest first
        _ingest(service, item["id"], result)
    return int(profile.get("historyId") or 1)


def _ignore(result: SyncResult, gmail_id: str, reason: str, *, level: int = logging.INFO) -> None:
    log.log(level, "Gmail message %s ignored: %s", gmail_id, reason)
    result.ignored += 1
    result.ignored_reasons.append(f"{gmail_id}: {reason}")


def _ingest(service: Resource, gmail_id: str, result: SyncResult) -> None:
    if Message.objects.filter(channel=Channel.EMAIL, provider_id=gmail_id).exists():
        result.duplicates += 1
        return
    try:
        data = execute(service.users().messages().get(userId="me", id=gmail_id, format="raw"))
    except HttpError as exc:
        if http_status(exc) == 404:  # deleted between the notification and now
            _ignore(result, gmail_id, "no longer in the mailbox")
            return
        raise unavailable(exc, "messages.get") from None
    result.fetched += 1
    labels = set(data.get("labelIds") or [])
    if labels & IGNORED_LABELS:
        _ignore(result, gmail_id, f"labelled {', '.join(sorted(labels & IGNORED_LABELS))}")
        return
    try:
        raw = base64.urlsafe_b64decode((data.get("raw") or "") + "==")
        parsed = parse_email(raw)
    except (binascii.Error, ValueError, UnparseableEmail) as exc:
        _ignore(result, gmail_id, f"unparseable: {exc}")
        return
    if parsed.from_address == settings.GMAIL_ADDRESS.lower():
        _ignore(result, gmail_id, "sent from our own address")
        return
    if parsed.is_automatic:
        _ignore(result, gmail_id, f"automatic mail ({parsed.auto_reason})")
        return
    thread_id = str(data.get("threadId") or "")
    content = parsed.text
    if not content:
        names = ", ".join(a["name"] for a in parsed.attachments) or "none"
        content = f"(The email has no text. Attachments: {names}.)"
    metadata = {
        "gmail_id": gmail_id,
        "thread_id": thread_id,
        "message_id_header": parsed.message_id,
        "in_reply_to": parsed.in_reply_to,
        "references": parsed.references,
        "from": parsed.from_address,
        "from_name": parsed.from_name,
        "reply_to": parsed.reply_to,
        "to": parsed.to[:10],
        "subject": parsed.subject,
        "date": parsed.date,
        "internal_date": data.get("internalDate"),
        "attachments": parsed.attachments[:50],
        "quoted_text_stripped": parsed.text != parsed.full_text,
    }
    try:
        # A savepoint, so that a mail the database refuses rolls back alone and the
        # rest of the sync (and the history id) goes on.
        with transaction.atomic():
            accepted = services.inbound_message_accept(
                channel=Channel.EMAIL,
                provider_id=gmail_id,
                content=content,
                email=parsed.from_address,
                name=parsed.from_name,
                subject=parsed.subject,
                metadata=metadata,
                email_thread_id=_thread_for(thread_id, parsed.in_reply_to, parsed.references),
            )
    except InvalidInput as exc:
        _ignore(result, gmail_id, f"refused: {exc.message}", level=logging.WARNING)
        return
    except (DataError, IntegrityError, UnicodeError) as exc:
        # Refused for what the mail contains: the same bytes would fail on every sync,
        # and the history id would never move past them, stopping all mail behind it.
        # Skipped with a warning that names the Gmail id (the mail stays in the inbox).
        # Transient errors (OperationalError: the database gone, a deadlock) are not
        # caught: the sync fails, the history stays, the task retries, nothing is lost.
        _ignore(result, gmail_id, f"could not be stored: {type(exc).__name__}: {exc}", level=logging.WARNING)
        return
    if accepted.created:
        result.stored += 1
    else:
        result.duplicates += 1


def _thread_for(thread_id: str, in_reply_to: str, references: list[str]) -> str:
    """The conversation thread a mail belongs to: Gmail's threadId when we know it, else the
    thread of a message it replies to (In-Reply-To, References), e.g. when the customer's
    client broke Gmail's threading."""
    if thread_id and Conversation.objects.filter(email_thread_id=thread_id).exists():
        return thread_id
    refs = [r for r in [in_reply_to, *reversed(references)] if r]
    if refs:
        known = (
            Message.objects.filter(channel=Channel.EMAIL, metadata__message_id_header__in=refs)
            .exclude(conversation__email_thread_id="")
            .select_related("conversation")
            .order_by("-created_at")
            .first()
        )
        if known:
            return known.conversation.email_thread_id
    return thread_id


def mailbox_sync_failed(*, address: str, error: str) -> None:
    """Show on the mailbox (admin) why its last sync failed. The history id stays where it was."""
    GmailMailbox.objects.filter(address=address.lower()).update(last_error=error[:2000])
