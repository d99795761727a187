"""The daily report: built once per date, unusual figures against the 7-day average, mailed once."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from reporting.daily import compare, daily_report_build, daily_report_email
from reporting.models import DailyReport
from reporting.ranges import local_zone
from reporting.tests import scenario

pytestmark = pytest.mark.django_db


def test_unusual_against_the_7_day_average() -> None:
    baseline = [{"tickets": 10, "escalation_rate": 0.15, "ai_first_response_p50": 40.0}] * 7
    averages, unusual = compare({"tickets": 30, "escalation_rate": 0.16, "ai_first_response_p50": 400.0}, baseline)
    assert averages["tickets"] == 10
    assert {u["key"]: u["direction"] for u in unusual} == {"tickets": "up", "ai_first_response_p50": "up"}


def test_build_store_view_and_mail_once(client, settings, capsys) -> None:  # type: ignore[no-untyped-def]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    s = scenario.build()
    boss = scenario.manager()
    today = s.now.astimezone(local_zone()).date()
    call_command("daily_report", "--date", today.isoformat(), "--email")
    report = DailyReport.objects.get(date=today)
    assert report.figures["tickets"] == 6 and report.figures["escalated"] == 2
    # A silent week before, then six tickets: unusual (rates have no average to compare with).
    assert {u["key"] for u in report.unusual} >= {"tickets", "inbound_messages"}
    assert "escalation_rate" not in {u["key"] for u in report.unusual}
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["boss@loomline.example"]
    assert "Can I print my timeline to PDF?" in mail.outbox[0].alternatives[0][0]
    # Again: rebuilt in place, not mailed twice.
    call_command("daily_report", "--date", today.isoformat(), "--email")
    assert DailyReport.objects.count() == 1 and len(mail.outbox) == 1
    client.force_login(boss)
    page = client.get(f"/reports/daily/{today.isoformat()}/")
    assert page.status_code == 200 and b"Tickets opened" in page.content
    assert client.get("/reports/daily/").status_code == 200
    assert client.get("/reports/daily/not-a-date/").status_code == 404


def test_the_beat_task_reports_yesterday(settings) -> None:  # type: ignore[no-untyped-def]
    from reporting.tasks import daily_report_task

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    scenario.manager()
    day = daily_report_task()
    assert day == (timezone.now().astimezone(local_zone()).date() - timedelta(days=1)).isoformat()
    assert len(mail.outbox) == 1
    assert settings.CELERY_BEAT_SCHEDULE["daily-report"]["task"] == "reporting.daily_report"
    schedule = settings.CELERY_BEAT_SCHEDULE["daily-report"]["schedule"]
    assert schedule.hour == {7} and schedule.minute == {0}


def test_no_manager_address_no_mail(settings) -> None:  # type: ignore[no-untyped-def]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    report = daily_report_build(day=timezone.now().date())
    assert daily_report_email(report=report) is False and not mail.outbox
