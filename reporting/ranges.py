"""The date range and channel every report page, export and API call is filtered by."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from crm.models import Channel

PRESETS = {"today": "Today", "7d": "Last 7 days", "30d": "Last 30 days", "custom": "Custom"}
MAX_CUSTOM_DAYS = 366


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=local_zone())


@dataclass(frozen=True)
class ReportRange:
    """``[start, end)`` in aware datetimes, whole local days, plus an optional channel."""

    preset: str
    first_day: date
    last_day: date  # inclusive
    channel: str = ""
    errors: tuple[str, ...] = field(default=())
    now: datetime | None = None

    @property
    def start(self) -> datetime:
        return day_start(self.first_day)

    @property
    def end(self) -> datetime:
        end = day_start(self.last_day + timedelta(days=1))
        return min(end, self.now) if self.now is not None else end

    @property
    def days(self) -> list[date]:
        return [self.first_day + timedelta(days=n) for n in range((self.last_day - self.first_day).days + 1)]

    @property
    def label(self) -> str:
        if self.first_day == self.last_day:
            text = f"{self.first_day:%d %b %Y}"
        else:
            text = f"{self.first_day:%d %b %Y} – {self.last_day:%d %b %Y}"
        return text + (f" · {Channel(self.channel).label}" if self.channel else " · all channels")

    def query(self, **extra: str) -> str:
        """The query string that reproduces this range (for links and exports)."""
        from urllib.parse import urlencode

        params = {"range": self.preset}
        if self.preset == "custom":
            params.update(start=self.first_day.isoformat(), end=self.last_day.isoformat())
        if self.channel:
            params["channel"] = self.channel
        params.update(extra)
        return urlencode(params)


def parse_range(params: dict[str, str] | object, *, now: datetime | None = None) -> ReportRange:
    """Read ``range`` (today, 7d, 30d, custom with ``start``/``end`` dates) and ``channel``.

    Bad input never fails the page: it falls back to the last 7 days and says why.
    """
    now = now or timezone.now()
    get = getattr(params, "get")
    today = now.astimezone(local_zone()).date()
    preset = get("range") or "7d"
    channel = get("channel") or ""
    errors: list[str] = []
    if channel and channel not in Channel.values:
        errors.append(f"Unknown channel {channel!r}: showing all channels.")
        channel = ""
    if preset not in PRESETS:
        errors.append(f"Unknown range {preset!r}: showing the last 7 days.")
        preset = "7d"
    if preset == "custom":
        try:
            first = date.fromisoformat(get("start") or "")
            last = date.fromisoformat(get("end") or "")
        except ValueError:
            errors.append("A custom range needs a start and an end date (YYYY-MM-DD): showing the last 7 days.")
            preset = "7d"
        else:
            if last < first:
                errors.append("The end date is before the start date: they were swapped.")
                first, last = last, first
            if last > today:
                last = today
            if (last - first).days + 1 > MAX_CUSTOM_DAYS:
                errors.append(f"A range can span at most {MAX_CUSTOM_DAYS} days: it was shortened.")
                first = last - timedelta(days=MAX_CUSTOM_DAYS - 1)
            if first > today:
                first = today
            return ReportRange("custom", first, last, channel, tuple(errors), now)
    span = {"today": 1, "7d": 7, "30d": 30}[preset]
    return ReportRange(preset, today - timedelta(days=span - 1), today, channel, tuple(errors), now)
