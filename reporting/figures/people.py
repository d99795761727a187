"""The people page: per member of staff, tickets claimed, replies, median handle time, SLA breaches.

Figures are kept per local day, staff member and channel (``StaffDailyRollup``, rebuilt with
the hourly rollups of the same days); a range reads whole days from there and computes its
ragged ends (today) live with the same queries.

Handle time: from claiming a ticket to resolving it oneself (the day of the claim). A breach
counts against whoever holds the ticket now; replies count on the channel they were sent on.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection

from crm.models import Message, Ticket, TicketEvent
from reporting import histograms
from reporting.models import StaffDailyRollup
from reporting.ranges import ReportRange, day_start, local_zone

KEYS = ("claimed", "replies", "handled", "sla_breaches")


@dataclass(frozen=True)
class StaffFigures:
    user_id: int
    name: str
    claimed: int
    replies: int
    median_handle_seconds: float | None
    handled: int
    sla_breaches: int


def _query(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def live_staff_rows(start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Per (local day, user, channel) of ``[start, end)``, from the CRM."""
    from reporting.rollups import _bucket_sql

    event, ticket, msg = TicketEvent._meta.db_table, Ticket._meta.db_table, Message._meta.db_table
    day = "(date_trunc('day', {} AT TIME ZONE %(tz)s))::date"
    params = {"start": start, "end": end, "tz": settings.TIME_ZONE}
    claims = f"""
        SELECT (e.data ->> 'assignee')::bigint AS user_id, e.ticket_id, e.created_at, t.source_channel AS channel
        FROM {event} e JOIN {ticket} t ON t.id = e.ticket_id
        WHERE e.kind = 'assigned' AND e.created_at >= %(start)s AND e.created_at < %(end)s"""
    rows: dict[tuple[date, int, str], dict[str, Any]] = {}

    def row(d: date, user_id: int, channel: str) -> dict[str, Any]:
        key = (d, user_id, channel)
        if key not in rows:
            rows[key] = {"day": d, "user_id": user_id, "channel": channel, "handle_time": {},
                         **{k: 0 for k in KEYS}}
        return rows[key]

    for d, uid, channel, n in _query(f"WITH c AS ({claims}) SELECT {day.format('created_at')}, user_id, channel, "
                                     f"count(*) FROM c WHERE user_id IS NOT NULL GROUP BY 1, 2, 3", params):
        row(d, uid, channel)["claimed"] = n
    handled = f"""
        WITH c AS ({claims}), h AS (
            SELECT c.user_id, c.channel, c.created_at, extract(epoch FROM min(r.created_at) - c.created_at) AS s
            FROM c JOIN {event} r ON r.ticket_id = c.ticket_id AND r.kind = 'status' AND r.to_status = 'resolved'
                 AND r.actor_id = c.user_id AND r.created_at >= c.created_at
            GROUP BY c.user_id, c.channel, c.ticket_id, c.created_at)
        SELECT {day.format('created_at')}, user_id, channel, {_bucket_sql('s')}, count(*) FROM h GROUP BY 1, 2, 3, 4"""
    for d, uid, channel, bucket, n in _query(handled, params):
        r = row(d, uid, channel)
        r["handle_time"][str(bucket)] = n
        r["handled"] += n
    for d, uid, channel, n in _query(
            f"SELECT {day.format('created_at')}, staff_user_id, channel, count(*) FROM {msg} WHERE author = 'staff' "
            f"AND direction = 'outbound' AND staff_user_id IS NOT NULL AND created_at >= %(start)s "
            f"AND created_at < %(end)s GROUP BY 1, 2, 3", params):
        row(d, uid, channel)["replies"] = n
    for d, uid, channel, n in _query(
            f"SELECT {day.format('e.created_at')}, t.assignee_id, t.source_channel, count(*) FROM {event} e "
            f"JOIN {ticket} t ON t.id = e.ticket_id WHERE e.kind = 'sla_breached' AND t.assignee_id IS NOT NULL "
            f"AND e.created_at >= %(start)s AND e.created_at < %(end)s GROUP BY 1, 2, 3", params):
        row(d, uid, channel)["sla_breaches"] = n
    return list(rows.values())


def staff_rollups_store(*, first: date, last: date) -> None:
    """Rebuild the staff rows of local days ``first``..``last`` (called inside ``rollups_store``)."""
    rows = live_staff_rows(day_start(first), day_start(last + timedelta(days=1)))
    StaffDailyRollup.objects.filter(day__gte=first, day__lte=last).delete()
    StaffDailyRollup.objects.bulk_create([StaffDailyRollup(**r) for r in rows], batch_size=1000)


def staff_rows(rng: ReportRange) -> list[dict[str, Any]]:
    """A day or less live; longer ranges: whole days stored, the ragged end (today) live."""
    start, end = rng.start, rng.end
    if end - start <= timedelta(days=1):
        return live_staff_rows(start, end)
    today = (rng.now or datetime.now(local_zone())).astimezone(local_zone()).date()
    last_full = min(rng.last_day, today - timedelta(days=1))
    stored = list(StaffDailyRollup.objects.filter(day__gte=rng.first_day, day__lte=last_full).values(
        "day", "user_id", "channel", "handle_time", *KEYS))
    tail_start = day_start(last_full + timedelta(days=1))
    return stored + (live_staff_rows(tail_start, end) if tail_start < end else [])


def people(rng: ReportRange) -> list[StaffFigures]:
    """One row per member of staff who claimed, replied to or breached anything in the range."""
    totals: dict[int, dict[str, Any]] = {}
    for r in staff_rows(rng):
        if rng.channel and r["channel"] != rng.channel:
            continue
        into = totals.setdefault(r["user_id"], {"handle_time": {}, **{k: 0 for k in KEYS}})
        for key in KEYS:
            into[key] += r[key]
        into["handle_time"] = histograms.merge([into["handle_time"], r["handle_time"]])
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=list(totals))}
    result = [
        StaffFigures(user_id=uid, name=(users[uid].get_full_name() or users[uid].get_username()) if uid in users
                     else f"user #{uid}", claimed=t["claimed"], replies=t["replies"],
                     median_handle_seconds=histograms.percentile(t["handle_time"], 50), handled=t["handled"],
                     sla_breaches=t["sla_breaches"])
        for uid, t in totals.items()
    ]
    return sorted(result, key=lambda s: (-s.replies, -s.claimed, s.name))
