"""When a human must have answered an escalated ticket, and when resolved it.

Two clocks run one after the other on ``Ticket.sla_due_at`` (``Ticket.sla_target`` says
which): the *first response* target starts when a ticket is escalated
(``SLA_HOURS[urgency] × SLA_CHANNEL_FACTOR[channel]``); the first staff reply meets it
and starts the *resolution* target (``SLA_RESOLUTION_HOURS[urgency]``, counted from that
reply). While the ticket waits on the customer (``pending``) the clock is paused, and
also ``on hold`` when ``SLA_PAUSE_ON_HOLD`` is set: resuming moves the due time on by
the time the clock stood still, counted the same way as the target itself.

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

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """How much of ``start``..``end`` lies inside the windows (zero if ``end`` is not later)."""
        total = timedelta(0)
        day = start.astimezone(self.zone).date()
        last = end.astimezone(self.zone).date()
        while day <= last:
            window = self.window(day)
            if window is not None:
                opens, closes = max(window[0], start), min(window[1], end)
                if closes > opens:
                    total += closes - opens
            day += timedelta(days=1)
        return total


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


def _business(urgency: str) -> BusinessHours | None:
    """The windows ``urgency``'s clock counts in; None: around the clock."""
    if urgency in settings.SLA_ALWAYS_ON_URGENCIES:
        return None
    return parse_business_hours(settings.SLA_BUSINESS_HOURS, settings.SLA_TIME_ZONE)


def _add(urgency: str, start: datetime, duration: timedelta) -> datetime:
    business = _business(urgency)
    return start + duration if business is None else business.add(start, duration)


def sla_due_at(*, urgency: str, channel: str, start: datetime) -> datetime:
    """When the first human response to a ticket escalated at ``start`` is due."""
    hours = settings.SLA_HOURS.get(urgency, settings.SLA_HOURS["normal"])
    factor = settings.SLA_CHANNEL_FACTOR.get(channel, 1.0)
    return _add(urgency, start, timedelta(hours=hours * factor))


def resolution_due_at(*, urgency: str, start: datetime) -> datetime:
    """When a ticket whose first human response was at ``start`` should be resolved."""
    hours = settings.SLA_RESOLUTION_HOURS.get(urgency, settings.SLA_RESOLUTION_HOURS["normal"])
    return _add(urgency, start, timedelta(hours=hours))


def paused_in(status: str) -> bool:
    """Whether the SLA clock stands still while a ticket has ``status``.

    Waiting on the customer always pauses it (the industry's "pending"); "on hold"
    (waiting on a third party or a colleague: the customer is still waiting on us) keeps
    it running unless ``SLA_PAUSE_ON_HOLD`` is set.
    """
    return status == "pending" or (status == "on_hold" and settings.SLA_PAUSE_ON_HOLD)


def resumed_due_at(*, urgency: str, due: datetime, paused_at: datetime, now: datetime) -> datetime:
    """``due`` moved on by the time that would have counted between ``paused_at`` and ``now``."""
    business = _business(urgency)
    if business is None:
        return due + max(now - paused_at, timedelta(0))
    stood_still = business.elapsed(paused_at, now)
    return business.add(due, stood_still) if stood_still else due


def raised_urgency(urgency: str) -> str:
    """One step more urgent, topping out at urgent."""
    try:
        index = URGENCY_ORDER.index(urgency)
    except ValueError:
        return "high"
    return URGENCY_ORDER[min(index + 1, len(URGENCY_ORDER) - 1)]
