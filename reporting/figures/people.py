"""The people page: per member of staff, tickets claimed, replies, median handle time, SLA breaches.

Staff work is a small share of the traffic (escalated tickets only), so these figures are
read from the CRM's indexed event and message rows for any range.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connection

from crm.models import Message, Ticket, TicketEvent
from reporting.ranges import ReportRange


@dataclass(frozen=True)
class StaffFigures:
    user_id: int
    name: str
    claimed: int
    replies: int
    median_handle_seconds: float | None
    handled: int
    sla_breaches: int


def people(rng: ReportRange) -> list[StaffFigures]:
    """One row per member of staff who claimed, replied to or breached anything in the range.

    Handle time: from claiming a ticket to resolving it oneself (tickets claimed in the range).
    A breach counts against whoever holds the ticket now.
    """
    event, ticket, msg = TicketEvent._meta.db_table, Ticket._meta.db_table, Message._meta.db_table
    channel_sql = "AND t.source_channel = %(channel)s" if rng.channel else ""
    sql = f"""
        WITH claims AS (
            SELECT (e.data ->> 'assignee')::bigint AS user_id, e.ticket_id, e.created_at
            FROM {event} e JOIN {ticket} t ON t.id = e.ticket_id
            WHERE e.kind = 'assigned' AND e.created_at >= %(start)s AND e.created_at < %(end)s {channel_sql}
        ), handled AS (
            SELECT c.user_id, extract(epoch FROM min(r.created_at) - c.created_at) AS seconds
            FROM claims c JOIN {event} r ON r.ticket_id = c.ticket_id AND r.kind = 'status'
                 AND r.to_status = 'resolved' AND r.actor_id = c.user_id AND r.created_at >= c.created_at
            GROUP BY c.user_id, c.ticket_id, c.created_at
        ), replies AS (
            SELECT m.staff_user_id AS user_id, count(*) AS n FROM {msg} m
            {"JOIN " + ticket + " t ON t.id = m.ticket_id" if rng.channel else ""}
            WHERE m.author = 'staff' AND m.direction = 'outbound' AND m.staff_user_id IS NOT NULL
              AND m.created_at >= %(start)s AND m.created_at < %(end)s {channel_sql}
            GROUP BY 1
        ), breaches AS (
            SELECT t.assignee_id AS user_id, count(*) AS n FROM {event} e JOIN {ticket} t ON t.id = e.ticket_id
            WHERE e.kind = 'sla_breached' AND t.assignee_id IS NOT NULL
              AND e.created_at >= %(start)s AND e.created_at < %(end)s {channel_sql}
            GROUP BY 1
        ), everyone AS (
            SELECT user_id FROM claims UNION SELECT user_id FROM replies UNION SELECT user_id FROM breaches
        )
        SELECT p.user_id,
               (SELECT count(*) FROM claims c WHERE c.user_id = p.user_id),
               coalesce((SELECT n FROM replies r WHERE r.user_id = p.user_id), 0),
               (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) FROM handled h WHERE h.user_id = p.user_id),
               (SELECT count(*) FROM handled h WHERE h.user_id = p.user_id),
               coalesce((SELECT n FROM breaches b WHERE b.user_id = p.user_id), 0)
        FROM everyone p WHERE p.user_id IS NOT NULL
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, {"start": rng.start, "end": rng.end, "channel": rng.channel})
        found = cursor.fetchall()
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=[row[0] for row in found])}
    result = [
        StaffFigures(user_id=uid, name=(users[uid].get_full_name() or users[uid].get_username()) if uid in users
                     else f"user #{uid}", claimed=claimed, replies=replies,
                     median_handle_seconds=float(median) if median is not None else None, handled=handled,
                     sla_breaches=breaches)
        for uid, claimed, replies, median, handled, breaches in found
    ]
    return sorted(result, key=lambda s: (-s.replies, -s.claimed, s.name))
