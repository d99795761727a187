"""Recompute the reports' hourly rollups from the CRM."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from reporting.rollups import rollups_store


class Command(BaseCommand):
    help = "Recompute the hourly rollups of the last N days (default 400) from the CRM, a day at a time."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=400)

    def handle(self, *args: Any, days: int, **options: Any) -> None:
        """Safe to run at any time: each day's rows are replaced in one short transaction."""
        now = timezone.now()
        written = 0
        for n in range(days, 0, -1):
            end = now - timedelta(days=n - 1)
            written += rollups_store(start=end - timedelta(days=1), end=end)
        self.stdout.write(f"{written} hourly rows written")
