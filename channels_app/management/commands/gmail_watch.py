"""Register or renew the Gmail Pub/Sub watch on the support inbox.

    manage.py gmail_watch                      # register / renew now
    manage.py gmail_watch --if-expiring-within 48   # renew only if it lapses within 48 hours
    manage.py gmail_watch --stop               # stop push notifications

A watch lapses after 7 days; the Celery task ``channels_app.gmail_watch_renew`` renews
it daily. The first watch also stores the mailbox's historyId, so the first push syncs
from there. In sandbox mode (no Gmail credentials) it registers the sandbox watch.
"""
from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from channels_app.gmail.client import GmailNotConfigured, GmailUnavailable, gmail_mode
from channels_app.gmail.watch import watch_renew, watch_stop


class Command(BaseCommand):
    help = "Register or renew the Gmail Pub/Sub watch (lapses after 7 days)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-expiring-within", type=float, default=None, metavar="HOURS",
                            help="Renew only if the current watch lapses within this many hours.")
        parser.add_argument("--stop", action="store_true", help="Stop the watch instead.")

    def handle(self, *args: Any, if_expiring_within: float | None, stop: bool, **options: Any) -> None:
        mode = gmail_mode()
        try:
            if stop:
                watch_stop()
                self.stdout.write(self.style.SUCCESS(f"Stopped the watch on {settings.GMAIL_ADDRESS} ({mode})."))
                return
            result = watch_renew(if_expiring_within_hours=if_expiring_within)
        except GmailNotConfigured as exc:
            raise CommandError(str(exc)) from None
        except GmailUnavailable as exc:
            raise CommandError(str(exc)) from None
        verb = "Renewed" if result.renewed else "Still valid:"
        self.stdout.write(self.style.SUCCESS(
            f"{verb} watch on {result.mailbox.address} until {result.expiration:%Y-%m-%d %H:%M %Z} "
            f"(historyId {result.mailbox.history_id}, {mode} mode)."))
