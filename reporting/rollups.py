"""Hourly rollups: computed from the CRM with a handful of GROUP BY queries, stored, and read back.

One function computes the rows of any hour range straight from the CRM (``live_rows``);
storing them (``rollups_store``) replaces the range's rows in one transaction, so running it
twice, or for an hour an event already refreshed, gives the same rows. Pages read
``rows_for``: the stored rows for whole hours of ranges longer than a day, plus the live
current hour; short ranges are computed live, so "today" is always exact.

All hours are UTC (the database session's zone): days in ``TIME_ZONE`` are made of them.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from datetime import timezone as dt_timezone
from typing import Any

from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from crm.models import AgentMetric, Conversation, Message, Ticket, TicketEvent
from reporting.histograms import GROWTH, LINEAR_UNTIL, histogram
from reporting.models import DailyRollup, HourlyRollup

# How a TicketEvent tells that the customer confirmed an AI answer helped. Issue 12 adds the
# customer's "that worked / didn't help" buttons; until it writes such events no ticket is
# "confirmed" and every quiet AI resolution counts as assumed.
FEEDBACK_EVENT_KIND = TicketEvent.Kind.FEEDBACK
FEEDBACK_HELPFUL_KEY = "helped"  # crm.services.ticket_feedback_record writes {"helped": bool}

HOUR = timedelta(hours=1)
ROLLUP_LOCK_ID = 7_340_013
COUNTERS = ("inbound_messages", "ai_replies", "staff_replies", "conversations_started", "runs", "runs_answered",
            "runs_escalated", "runs_failed", "sentiment_count", "tickets_opened", "tickets_escalated",
            "ai_resolved_confirmed", "ai_resolved_assumed", "ai_resolved_pending", "ai_reopened")
MAPS = ("tokens_by_model", "ai_first_response", "escalations_by_reason", "human_first_response",
        "resolution_time", "sla_by_urgency")


def hour_floor(moment: datetime) -> datetime:
    return moment.astimezone(dt_timezone.utc).replace(minute=0, second=0, microsecond=0)


def _bucket_sql(seconds: str) -> str:
    """SQL for :func:`reporting.histograms.bucket` of a seconds expression."""
    return (f"(CASE WHEN ({seconds}) <= {LINEAR_UNTIL} THEN ceil(greatest({seconds}, 0))::int "
            f"ELSE {LINEAR_UNTIL} + ceil(ln(({seconds}) / {LINEAR_UNTIL}.0) / ln({GROWTH}) - 1e-9)::int END)")


def _empty_row(hour: datetime, channel: str) -> dict[str, Any]:
    row: dict[str, Any] = {"hour": hour, "channel": channel, "sentiment_sum": 0.0}
    row.update({name: 0 for name in COUNTERS})
    row.update({name: {} for name in MAPS})
    return row


def _query(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def live_rows(start: datetime, end: datetime, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """The rollup rows of ``[start, end)`` computed from the CRM as it stands (reads only)."""
    now = now or timezone.now()
    rows: dict[tuple[datetime, str], dict[str, Any]] = {}

    def row(hour: datetime, channel: str) -> dict[str, Any]:
        key = (hour, channel)
        if key not in rows:
            rows[key] = _empty_row(hour, channel)
        return rows[key]

    msg, conv, metric = Message._meta.db_table, Conversation._meta.db_table, AgentMetric._meta.db_table
    ticket, event = Ticket._meta.db_table, TicketEvent._meta.db_table
    span = [start, end]

    for hour, channel, inbound, ai, staff in _query(
        f"""SELECT date_trunc('hour', created_at), channel,
                   count(*) FILTER (WHERE direction = 'inbound'),
                   count(*) FILTER (WHERE direction = 'outbound' AND author = 'agent'),
                   count(*) FILTER (WHERE direction = 'outbound' AND author = 'staff')
            FROM {msg} WHERE created_at >= %s AND created_at < %s GROUP BY 1, 2""", span):
        r = row(hour, channel)
        r.update(inbound_messages=inbound, ai_replies=ai, staff_replies=staff)

    for hour, channel, started in _query(
        f"""SELECT date_trunc('hour', started_at), initial_channel, count(*)
            FROM {conv} WHERE started_at >= %s AND started_at < %s GROUP BY 1, 2""", span):
        row(hour, channel)["conversations_started"] = started

    for hour, channel, runs, answered, escalated, failed, s_sum, s_count in _query(
        f"""SELECT date_trunc('hour', created_at), channel, count(*),
                   count(*) FILTER (WHERE outcome = 'answered'), count(*) FILTER (WHERE outcome = 'escalated'),
                   count(*) FILTER (WHERE outcome = 'failed'),
                   coalesce(sum(sentiment), 0), count(sentiment)
            FROM {metric} WHERE created_at >= %s AND created_at < %s GROUP BY 1, 2""", span):
        row(hour, channel).update(runs=runs, runs_answered=answered, runs_escalated=escalated, runs_failed=failed,
                                  sentiment_sum=float(s_sum), sentiment_count=s_count)

    for hour, channel, model, tokens in _query(
        f"""SELECT date_trunc('hour', created_at), channel, model_name, sum(tokens_used)
            FROM {metric} WHERE created_at >= %s AND created_at < %s AND tokens_used > 0
            GROUP BY 1, 2, 3""", span):
        row(hour, channel)["tokens_by_model"][model or "unknown"] = int(tokens)

    ai_seconds = "coalesce(end_to_end_ms, latency_ms) / 1000.0"
    for hour, channel, bucket, n in _query(
        f"""SELECT date_trunc('hour', created_at), channel, {_bucket_sql(ai_seconds)}, count(*)
            FROM {metric} WHERE created_at >= %s AND created_at < %s AND outcome = 'answered'
            GROUP BY 1, 2, 3""", span):
        row(hour, channel)["ai_first_response"][str(bucket)] = n

    # One row per ticket opened in the range, with everything its figures need.
    quiet = timedelta(days=settings.AI_RESOLUTION_QUIET_DAYS)
    per_ticket = f"""
        WITH t AS (
            SELECT id, date_trunc('hour', created_at) AS hour, source_channel AS channel, created_at,
                   escalated_at, escalation_reason, resolved_at, sla_due_at, sla_breached_at
            FROM {ticket} WHERE created_at >= %s AND created_at < %s
        ), ai AS (
            SELECT e.ticket_id, min(e.created_at) AS at FROM {event} e JOIN t ON t.id = e.ticket_id
            WHERE e.kind = 'status' AND e.to_status = 'resolved' AND (e.data ->> 'by_ai') = 'true'
            GROUP BY e.ticket_id
        ), ai_state AS (
            SELECT ai.ticket_id, ai.at,
                   EXISTS (SELECT 1 FROM {event} r WHERE r.ticket_id = ai.ticket_id AND r.kind = 'status'
                           AND r.from_status = 'resolved' AND r.created_at >= ai.at) AS reopened,
                   EXISTS (SELECT 1 FROM {event} f WHERE f.ticket_id = ai.ticket_id AND f.kind = %s
                           AND (f.data ->> %s) = 'true') AS confirmed
            FROM ai
        ), staff AS (
            SELECT m.ticket_id, min(m.created_at) AS first_reply FROM {msg} m JOIN t ON t.id = m.ticket_id
            WHERE m.author = 'staff' AND m.direction = 'outbound' GROUP BY m.ticket_id
        ), urgency AS (
            SELECT DISTINCT ON (e.ticket_id) e.ticket_id, e.data ->> 'urgency' AS urgency
            FROM {event} e JOIN t ON t.id = e.ticket_id WHERE e.kind = 'escalated'
            ORDER BY e.ticket_id, e.created_at DESC, e.id DESC
        )
        SELECT t.hour, t.channel, t.escalated_at IS NOT NULL, t.escalation_reason,
               CASE WHEN a.ticket_id IS NULL THEN NULL
                    WHEN a.reopened THEN 'reopened' WHEN a.confirmed THEN 'confirmed'
                    WHEN a.at <= %s THEN 'assumed' ELSE 'pending' END,
               extract(epoch FROM s.first_reply - t.escalated_at),
               extract(epoch FROM t.resolved_at - t.created_at),
               coalesce(u.urgency, ''),
               CASE WHEN t.sla_due_at IS NULL THEN NULL
                    WHEN t.sla_breached_at IS NOT NULL OR s.first_reply > t.sla_due_at THEN 'breached'
                    WHEN s.first_reply IS NOT NULL OR t.resolved_at <= t.sla_due_at THEN 'met'
                    WHEN t.sla_due_at < %s THEN 'breached'
                    ELSE NULL END
        FROM t LEFT JOIN ai_state a ON a.ticket_id = t.id LEFT JOIN staff s ON s.ticket_id = t.id
               LEFT JOIN urgency u ON u.ticket_id = t.id
    """
    tallies: dict[tuple[datetime, str], dict[str, list[float]]] = {}
    for hour, channel, escalated, reason, ai_state, human_s, resolve_s, urgency, sla_state in _query(
            per_ticket, [start, end, FEEDBACK_EVENT_KIND, FEEDBACK_HELPFUL_KEY, now - quiet, now]):
        r = row(hour, channel)
        r["tickets_opened"] += 1
        if escalated:
            r["tickets_escalated"] += 1
            reasons = r["escalations_by_reason"]
            reasons[reason or "unknown"] = reasons.get(reason or "unknown", 0) + 1
        if ai_state == "reopened":
            r["ai_reopened"] += 1
        elif ai_state is not None:
            r[f"ai_resolved_{ai_state}"] += 1
        durations = tallies.setdefault((hour, channel), {"human": [], "resolve": []})
        if escalated and human_s is not None:
            durations["human"].append(float(human_s))
        if resolve_s is not None:
            durations["resolve"].append(float(resolve_s))
        if sla_state is not None:
            sla = r["sla_by_urgency"].setdefault(urgency or "normal", {"met": 0, "breached": 0})
            sla[sla_state] += 1
    for key, durations in tallies.items():
        rows[key]["human_first_response"] = histogram(durations["human"])
        rows[key]["resolution_time"] = histogram(durations["resolve"])
    return sorted(rows.values(), key=lambda r: (r["hour"], r["channel"]))


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(settings.TIME_ZONE))


def _local_day(moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).date()


def _store_days(*, first: date, last: date) -> None:
    """Rebuild the daily rows of local days ``first``..``last`` from their stored hours."""
    start, end = _local_midnight(first), _local_midnight(last + timedelta(days=1))
    rows = _sum_hours_per_day(start, end)
    DailyRollup.objects.filter(day__gte=first, day__lte=last).delete()
    DailyRollup.objects.bulk_create(
        [DailyRollup(**{k: v for k, v in r.items() if k != "hour"}, day=_local_day(r["hour"])) for r in rows],
        batch_size=1000)
    from reporting.figures.people import staff_rollups_store

    staff_rollups_store(first=first, last=last)


@transaction.atomic
def rollups_store(*, start: datetime, end: datetime, now: datetime | None = None) -> int:
    """Recompute and replace the stored rows of the hours in ``[start, end)``, and of the local
    days they fall in. Returns the hourly rows written."""
    start, end = hour_floor(start), hour_floor(end - timedelta(microseconds=1)) + HOUR
    rows = live_rows(start, end, now=now)
    # One writer at a time (a transaction-level advisory lock): two refreshes of overlapping
    # hours queue up instead of interleaving their deletes and inserts. Each holds it briefly.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ROLLUP_LOCK_ID])
    HourlyRollup.objects.filter(hour__gte=start, hour__lt=end).delete()
    computed = timezone.now()
    HourlyRollup.objects.bulk_create([HourlyRollup(**r, computed_at=computed) for r in rows], batch_size=1000)
    _store_days(first=_local_day(start), last=_local_day(end - timedelta(microseconds=1)))
    return len(rows)


def rollups_store_hours(*, hours: Iterable[datetime]) -> int:
    """Recompute the given hours (an event batch touches a few), joining neighbours into ranges."""
    ordered = sorted({hour_floor(h) for h in hours})
    written, run_start, previous = 0, None, None
    for hour in ordered:
        if run_start is None:
            run_start = hour
        elif hour != previous + HOUR:
            written += rollups_store(start=run_start, end=previous + HOUR)
            run_start = hour
        previous = hour
    if run_start is not None and previous is not None:
        written += rollups_store(start=run_start, end=previous + HOUR)
    return written


def _sum_hours_per_day(start: datetime, end: datetime) -> list[dict[str, Any]]:
    """The stored hours of ``[start, end)`` summed per local day (``TIME_ZONE``) and channel, in SQL.

    Rows have the shape of hourly rows, ``hour`` being the day's local midnight (or ``start``).
    """
    table = HourlyRollup._meta.db_table
    zone = settings.TIME_ZONE
    day = "(date_trunc('day', hour AT TIME ZONE %(tz)s) AT TIME ZONE %(tz)s)"
    where = "hour >= %(start)s AND hour < %(end)s"
    params = {"tz": zone, "start": start, "end": end}
    rows: dict[tuple[datetime, str], dict[str, Any]] = {}
    sums = ", ".join(f"sum({name})" for name in COUNTERS)
    for found in _query(f"SELECT {day}, channel, sum(sentiment_sum), {sums} FROM {table} WHERE {where} "
                        f"GROUP BY 1, 2", params):  # type: ignore[arg-type]
        row = _empty_row(found[0], found[1])
        row["sentiment_sum"] = float(found[2] or 0)
        row.update({name: int(value or 0) for name, value in zip(COUNTERS, found[3:], strict=True)})
        rows[(found[0], found[1])] = row
    for name in MAPS:
        if name == "sla_by_urgency":
            sql = (f"SELECT {day}, channel, e.key || ':' || s.key, sum(s.value::bigint) FROM {table}, "
                   f"jsonb_each({name}) e, jsonb_each_text(e.value) s WHERE {where} GROUP BY 1, 2, 3")
        else:
            sql = (f"SELECT {day}, channel, e.key, sum(e.value::bigint) FROM {table}, jsonb_each_text({name}) e "
                   f"WHERE {where} GROUP BY 1, 2, 3")
        for when, channel, key, total in _query(sql, params):  # type: ignore[arg-type]
            target = rows[(when, channel)][name]
            if name == "sla_by_urgency":
                urgency, _, state = key.rpartition(":")
                target.setdefault(urgency, {"met": 0, "breached": 0})[state] = int(total)
            else:
                target[key] = int(total)
    return sorted(rows.values(), key=lambda r: (r["hour"], r["channel"]))


def stored_rows(start: datetime, end: datetime) -> list[dict[str, Any]]:
    """The stored figures of ``[start, end)`` per local day and channel: whole days from the daily
    rows (a month is 90 small rows), the ragged ends summed from their hours."""
    first_full = _local_day(start) if _local_midnight(_local_day(start)) == start else \
        _local_day(start) + timedelta(days=1)
    last_full = _local_day(end) - timedelta(days=1)
    if last_full < first_full:
        return _sum_hours_per_day(start, end)
    full_start, full_end = _local_midnight(first_full), _local_midnight(last_full + timedelta(days=1))
    fields = ["day", "channel", "sentiment_sum", *COUNTERS, *MAPS]
    days = []
    for row in DailyRollup.objects.filter(day__gte=first_full, day__lte=last_full).values(*fields):
        row["hour"] = _local_midnight(row.pop("day"))
        days.append(row)
    before = _sum_hours_per_day(start, full_start) if start < full_start else []
    after = _sum_hours_per_day(full_end, end) if full_end < end else []
    return sorted(before + days + after, key=lambda r: (r["hour"], r["channel"]))


def hour_ceil(moment: datetime) -> datetime:
    floor = hour_floor(moment)
    return floor if floor == moment else floor + HOUR


def rows_for(start: datetime, end: datetime, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """The rows of a report range: whole hours from the rollups, the ragged ends (the hour in
    progress, a range starting mid-hour) computed live.

    The rollups of past hours are refreshed by every metrics event and, for what changes without
    one (staff work, breaches, quiet days), by ``reporting.refresh_rollups`` every few minutes.
    """
    now = now or timezone.now()
    end = min(end, now)
    first_whole, last_whole = hour_ceil(start), hour_floor(end)
    if last_whole <= first_whole:
        return live_rows(start, end, now=now)
    rows = live_rows(start, first_whole, now=now) if start < first_whole else []
    rows += stored_rows(first_whole, last_whole)
    if last_whole < end:
        rows += live_rows(last_whole, end, now=now)
    return rows
