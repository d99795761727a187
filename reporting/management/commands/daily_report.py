"""Build the daily report (stored, viewable under /reports/daily/) and optionally mail it."""
from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reporting.daily import daily_report_build, daily_report_email, yesterday


class Command(BaseCommand):
    help = ("Build the report of --date (default yesterday, in TIME_ZONE) and store it; --email mails it to "
            "the Support managers once per date (--force mails again). Safe to run again.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="YYYY-MM-DD (default: yesterday)")
        parser.add_argument("--email", action="store_true", help="Mail it to the Support managers group")
        parser.add_argument("--force", action="store_true", help="With --email: send even if already sent")

    def handle(self, *args: Any, date: str | None = None, email: bool = False, force: bool = False,
               **options: Any) -> None:
        """Rebuilding a date replaces its figures; the email goes out once unless forced."""
        try:
            day = _parse(date) if date else yesterday()
        except ValueError:
            raise CommandError(f"--date {date!r} is not YYYY-MM-DD") from None
        report = daily_report_build(day=day)
        self.stdout.write(f"daily report {report.date}: {len(report.unusual)} unusual figure(s); "
                          f"/reports/daily/{report.date.isoformat()}/")
        if email:
            sent = daily_report_email(report=report, force=force)
            self.stdout.write(f"emailed to {', '.join(report.emailed_to)}" if sent else
                              "not emailed (already sent for this date, or no manager has an address)")


def _parse(value: str) -> date:
    from datetime import date as date_type

    return date_type.fromisoformat(value)
