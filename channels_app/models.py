"""State the channel adapters keep for themselves (not CRM data).

- ``GmailMailbox``: where the Gmail sync stands for one mailbox — the last history id
  we have fully processed and when the Pub/Sub watch lapses.
- ``SandboxMailMessage``: the sandbox mailbox. Without Gmail credentials the Gmail
  client is pointed at an in-process stand-in of the Gmail API that serves these rows
  (``channels_app.gmail.sandbox``), so ``simulate_inbound --channel email`` drives the
  real webhook → sync task → ``history.list`` → ``messages.get`` → parse → store path.

The WhatsApp 24-hour session window needs no table: it is derived from the time of the
customer's last inbound WhatsApp message.
"""
from __future__ import annotations

from django.db import models
from django.utils import timezone


class GmailMailbox(models.Model):
    address = models.EmailField(max_length=254, unique=True)
    # Gmail history ids are unsigned 64-bit integers in practice far below 2**63.
    history_id = models.BigIntegerField(
        null=True, blank=True, help_text="Last Gmail historyId fully processed; the next sync starts here"
    )
    watch_expiration = models.DateTimeField(null=True, blank=True, help_text="When the Pub/Sub watch lapses")
    watch_renewed_at = models.DateTimeField(null=True, blank=True)
    last_sync_at = models.DateTimeField(null=True, blank=True)
    last_full_sync_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "Gmail mailbox"

    def __str__(self) -> str:
        return self.address


class SandboxMailMessage(models.Model):
    """One message in the sandbox mailbox. Its primary key doubles as its history id."""

    mailbox = models.EmailField(max_length=254, db_index=True)
    gmail_id = models.CharField(max_length=40, unique=True)
    thread_id = models.CharField(max_length=40, db_index=True)
    label_ids = models.JSONField(default=list, blank=True)
    raw = models.BinaryField(help_text="The RFC 5322 message as received")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["id"]
        verbose_name = "sandbox mail message"

    def __str__(self) -> str:
        return f"sandbox mail {self.gmail_id}"

    @property
    def history_id(self) -> int:
        return self.pk
