"""crm's entries in ``GET /health``: the database (with pgvector), and the pipeline's backlog.

Registered by ``CrmConfig.ready``. The backlog is read from the CRM's own tables, so it
is the same whether or not Kafka is configured: messages stored and not yet answered,
events not yet published, replies not yet handed to their channel, and dead letters.
Past a threshold (``HEALTH_MAX_BACKLOG`` messages, ``HEALTH_MAX_BACKLOG_AGE`` seconds,
``HEALTH_MAX_DLQ`` dead letters in ``HEALTH_DLQ_WINDOW_HOURS``) the check warns, and
``/health`` answers "degraded": the database works, the pipeline is behind.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection

from crm import selectors
from fte_project.health import register


@register("database")
def check_database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        row = cursor.fetchone()
    return {"ok": row is not None, "pgvector": row[0] if row else None}


@register("backlog")
def check_backlog() -> dict[str, Any]:
    window_hours = settings.HEALTH_DLQ_WINDOW_HOURS
    backlog = selectors.pipeline_backlog(dead_letter_window=timedelta(hours=window_hours))
    max_count, max_age, max_dlq = settings.HEALTH_MAX_BACKLOG, settings.HEALTH_MAX_BACKLOG_AGE, settings.HEALTH_MAX_DLQ
    warnings = []
    for what, count_key, age_key in (("inbound messages wait to be processed", "unprocessed",
                                      "oldest_unprocessed_age_s"),
                                     ("replies wait to be sent", "replies_pending", "oldest_pending_reply_age_s")):
        if backlog[count_key] > max_count:
            warnings.append(f"{backlog[count_key]} {what} (threshold {max_count}).")
        if (backlog[age_key] or 0) > max_age:
            warnings.append(f"The oldest of the {backlog[count_key]} {what.split(' wait')[0]} has waited "
                            f"{backlog[age_key]:.0f} s (threshold {max_age} s).")
    if (backlog["oldest_unpublished_age_s"] or 0) > max_age:
        warnings.append(f"{backlog['outbox_unpublished']} outbox events are unpublished, the oldest for "
                        f"{backlog['oldest_unpublished_age_s']:.0f} s (threshold {max_age} s): is the outbox relay "
                        "running, and can it reach Kafka?")
    if backlog["dead_lettered_recently"] > max_dlq:
        warnings.append(f"{backlog['dead_lettered_recently']} inbound messages failed after every retry in the last "
                        f"{window_hours} h (threshold {max_dlq}): see the escalation queue, then "
                        "`manage.py replay_dlq`.")
    return {
        "ok": True,
        "warnings": warnings,
        **backlog,
        "thresholds": {"messages": max_count, "age_s": max_age, "dead_lettered": max_dlq,
                       "dead_letter_window_h": window_hours},
    }
