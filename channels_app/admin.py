"""Admin for the channels' own state: the Gmail sync position and the sandbox mailbox.

Outbound messages (with "Sandbox — not sent" as their delivery status in sandbox mode)
are shown by the CRM's message admin.
"""
from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from channels_app.email_parsing import UnparseableEmail, parse_email
from channels_app.models import GmailMailbox, SandboxMailMessage


@admin.register(GmailMailbox)
class GmailMailboxAdmin(admin.ModelAdmin):
    list_display = ("address", "history_id", "watch_expiration", "last_sync_at", "last_full_sync_at")
    readonly_fields = ("address", "history_id", "watch_expiration", "watch_renewed_at", "last_sync_at",
                       "last_full_sync_at", "last_error", "created_at", "updated_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(SandboxMailMessage)
class SandboxMailMessageAdmin(admin.ModelAdmin):
    list_display = ("id", "created_at", "mailbox", "labels", "sender", "subject")
    list_filter = ("mailbox",)
    search_fields = ("gmail_id", "thread_id")
    readonly_fields = ("mailbox", "gmail_id", "thread_id", "label_ids", "created_at", "sender", "subject", "text")
    exclude = ("raw",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description="Labels")
    def labels(self, obj: SandboxMailMessage) -> str:
        return ", ".join(obj.label_ids or [])

    def _parsed(self, obj: SandboxMailMessage):  # type: ignore[no-untyped-def]
        try:
            return parse_email(bytes(obj.raw))
        except UnparseableEmail:
            return None

    @admin.display(description="From")
    def sender(self, obj: SandboxMailMessage) -> str:
        parsed = self._parsed(obj)
        return parsed.from_address if parsed else "?"

    @admin.display(description="Subject")
    def subject(self, obj: SandboxMailMessage) -> str:
        parsed = self._parsed(obj)
        return parsed.subject if parsed else "?"

    @admin.display(description="Text")
    def text(self, obj: SandboxMailMessage) -> str:
        parsed = self._parsed(obj)
        return parsed.full_text if parsed else "?"
