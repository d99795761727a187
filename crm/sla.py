"""When a human must have answered an escalated ticket.

SLA clocks run around the clock unless ``SLA_BUSINESS_HOURS`` is set (for example
``mon-fri 08:00-18:00``, in ``SLA_TIME_ZONE``): then the hours of every urgency not in
``SLA_ALWAYS_ON_URGENCIES`` count only inside that window, the way the support team's
targets are written (``context/company-profile.md``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

URGENCY_ORDER = ["low", "normal", "high", "urgent"]
_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


@dataclass(frozen=True)
class BusinessHours:
    weekdays: frozenset[int]  # 0 = Monday
    opens: time
    closes: time
    zone: ZoneInfo

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        if day.weekday() not in self.weekdays:
            return None
        return (datetime.combine(day, self.opens, tzinfo=self.zone),
                datetime.combine(day, self.closes, tzinfo=self.zone))

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """``start`` plus ``duration`` of time inside the windows.

        Wall-clock arithmetic in the zone: on the two days a year the clocks change, a
        window counts as its nominal length.
        """
        current, remaining = start.astimezone(self.zone), duration
        for _ in range(800):  # two years of days: ends for any sane SLA and any weekday set
            window = self.window(current.date())
            if window is not None and current < window[1]:
                opens = max(current, window[0])
                available = window[1] - opens
                if remaining <= available:
                    return (opens + remaining).astimezone(start.tzinfo)
                remaining -= available
            current = datetime.combine(current.date() + timedelta(days=1), time(0), tzinfo=self.zone)
        raise ImproperlyConfigured("SLA_BUSINESS_HOURS leaves no time to count an SLA in")


def parse_business_hours(spec: str, zone_name: str) -> BusinessHours | None:
    """``"mon-fri 08:00-18:00"`` (days as a range or comma list) → BusinessHours; ``""`` → None."""
    spec = spec.strip().lower()
    if not spec:
        return None
    try:
        days_part, hours_part = spec.split()
        weekdays: set[int] = set()
        for item in days_part.split(","):
            first, _, last = item.partition("-")
            a, b = _DAYS.index(first), _DAYS.index(last or first)
            weekdays.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
        opens_s, closes_s = hours_part.split("-")
        opens, closes = time.fromisoformat(opens_s), time.fromisoformat(closes_s)
    except ValueError:
        raise ImproperlyConfigured(
            f"SLA_BUSINESS_HOURS={spec!r} is not like 'mon-fri 08:00-18:00' (days, then opening-closing)") from None
    if closes <= opens:
        raise ImproperlyConfigured(f"SLA_BUSINESS_HOURS={spec!r}: closing time must be after opening time")
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(f"SLA_TIME_ZONE={zone_name!r} is not a time zone name") from None
    return BusinessHours(frozenset(weekdays), opens, closes, zone)


def sla_due_at(*, urgency: str, channel: str, start: datetime) -> datetime:
    hours = settings.SLA_HOURS.get(urgency, settings.SLA_HOURS["normal"])
    factor = settings.SLA_CHANNEL_FACTOR.get(channel, 1.0)
    duration = timedelta(hours=hours * factor)
    business = parse_business_hours(settings.SLA_BUSINESS_HOURS, settings.SLA_TIME_ZONE)
    if business is None or urgency in settings.SLA_ALWAYS_ON_URGENCIES:
        return start + duration
    return business.add(start, duration)


def raised_urgency(urgency: str) -> str:
    """One step more urgent, topping out at urgent."""
    try:
        index = URGENCY_ORDER.index(urgency)
    except ValueError:
        return "high"
    return URGENCY_ORDER[min(index + 1, len(URGENCY_ORDER) - 1)]
