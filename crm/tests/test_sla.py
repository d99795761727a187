"""SLA due times: around the clock by default, or counted in business hours."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.checks import run_checks

from crm.sla import sla_due_at

UTC = ZoneInfo("UTC")
BERLIN = ZoneInfo("Europe/Berlin")


def at(text: str, zone: ZoneInfo = UTC) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def test_without_business_hours_the_clock_runs_around_the_clock(settings) -> None:  # type: ignore[no-untyped-def]
    settings.SLA_BUSINESS_HOURS = ""
    friday_evening = at("2026-11-27T17:00")
    assert sla_due_at(urgency="normal", channel="email", start=friday_evening) == at("2026-11-28T01:00")
    assert sla_due_at(urgency="normal", channel="whatsapp", start=friday_evening) == at("2026-11-27T21:00")


def test_business_hours_stop_the_clock_overnight_and_at_weekends(settings) -> None:  # type: ignore[no-untyped-def]
    settings.SLA_BUSINESS_HOURS = "mon-fri 08:00-18:00"
    settings.SLA_TIME_ZONE = "Europe/Berlin"
    settings.SLA_ALWAYS_ON_URGENCIES = ["urgent"]
    friday_17 = at("2026-11-27T17:00", BERLIN)
    # 4 business hours (high, email): one on Friday, three on Monday morning.
    assert sla_due_at(urgency="high", channel="email", start=friday_17) == at("2026-11-30T11:00", BERLIN)
    # Written on Saturday: the clock starts on Monday at opening time.
    assert sla_due_at(urgency="high", channel="email", start=at("2026-11-28T10:00", BERLIN)) == at(
        "2026-11-30T12:00", BERLIN)
    # Before opening on a weekday: from 08:00.
    assert sla_due_at(urgency="normal", channel="whatsapp", start=at("2026-12-01T06:30", BERLIN)) == at(
        "2026-12-01T12:00", BERLIN)
    # 24 business hours (low) of 10-hour days: Tuesday, Wednesday and 4 hours of Thursday.
    assert sla_due_at(urgency="low", channel="email", start=at("2026-12-01T08:00", BERLIN)) == at(
        "2026-12-03T12:00", BERLIN)
    # Urgent runs around the clock all the same.
    assert sla_due_at(urgency="urgent", channel="email", start=friday_17) == at("2026-11-27T18:00", BERLIN)


def test_the_due_time_keeps_the_time_zone_it_was_given(settings) -> None:  # type: ignore[no-untyped-def]
    settings.SLA_BUSINESS_HOURS = "mon-fri 08:00-18:00"
    settings.SLA_TIME_ZONE = "Europe/Berlin"
    due = sla_due_at(urgency="high", channel="email", start=at("2026-11-27T16:00"))  # 17:00 in Berlin
    assert due.tzinfo == UTC and due == at("2026-11-30T10:00")


def test_days_can_be_listed_or_wrap_round_the_week(settings) -> None:  # type: ignore[no-untyped-def]
    settings.SLA_TIME_ZONE = "UTC"
    settings.SLA_BUSINESS_HOURS = "sun-thu 09:00-17:00"
    # Friday 16:00: Friday and Saturday are closed, Sunday opens at 09:00.
    assert sla_due_at(urgency="high", channel="email", start=at("2026-11-27T16:00")) == at("2026-11-29T13:00")
    settings.SLA_BUSINESS_HOURS = "mon,wed 09:00-17:00"
    assert sla_due_at(urgency="normal", channel="email", start=at("2026-11-30T13:00")) == at("2026-12-02T13:00")


@pytest.mark.parametrize("spec,zone,message", [
    ("weekdays 8-18", "UTC", "is not like 'mon-fri 08:00-18:00'"),
    ("mon-fri 18:00-08:00", "UTC", "closing time must be after opening time"),
    ("mon-fri 08:00-18:00", "Mars/Olympus", "is not a time zone name"),
])
def test_a_bad_calendar_is_a_start_up_error(settings, spec, zone, message) -> None:  # type: ignore[no-untyped-def]
    settings.SLA_BUSINESS_HOURS, settings.SLA_TIME_ZONE = spec, zone
    errors = [e for e in run_checks() if e.id == "crm.E001"]
    assert len(errors) == 1 and message in errors[0].msg


def test_unknown_always_on_urgencies_are_a_start_up_error(settings) -> None:  # type: ignore[no-untyped-def]
    settings.SLA_ALWAYS_ON_URGENCIES = ["urgent", "critical"]
    errors = [e for e in run_checks() if e.id == "crm.E002"]
    assert len(errors) == 1 and "critical" in errors[0].msg
