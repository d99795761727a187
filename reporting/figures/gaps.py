"""The knowledge-gaps page: questions escalated as ``knowledge_not_found``, grouped by meaning.

The questions were embedded and clustered as they arrived (``reporting.gap_vectors``); the
page counts each cluster's questions in the range, shows the newest examples and the staff
replies on them, and first embeds the few questions of the range still missing (at most
``MAX_EMBED_PER_CALL`` per view).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection

from agent_app.embeddings import get_embedder
from crm.models import EscalationReason, Ticket
from reporting.gap_vectors import gap_vectors_store
from reporting.models import GapCluster, GapVector
from reporting.ranges import ReportRange
from reporting.selectors import gap_questions_by_ids, staff_replies_for

MAX_CLUSTERS = 30
EXAMPLES_PER_CLUSTER = 5
DRAFT_TICKETS = 50


@dataclass
class GapExample:
    ticket_id: int
    reference: str
    channel: str
    created_at: datetime
    question: str


@dataclass
class GapGroup:
    cluster_id: int
    label: str
    count: int
    examples: list[GapExample]
    staff_replies: list[dict[str, str]]
    ticket_ids: list[int] = field(default_factory=list)


@dataclass
class Gaps:
    clusters: list[GapGroup]
    questions: int
    not_embedded: int
    truncated: bool = False


def _fetch(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _params(rng: ReportRange) -> dict:
    return {"model": get_embedder().name, "reason": EscalationReason.KNOWLEDGE_NOT_FOUND,
            "start": rng.start, "end": rng.end, "channel": rng.channel}


def embed_missing(*, start: datetime, end: datetime, channel: str = "") -> int:
    """Embed (a bounded number of) the questions of ``[start, end)`` not clustered yet; returns how
    many still are not.

    A safety net: the metrics consumer (or its Celery task) embeds each question as its event
    arrives and ``refresh_rollups`` sweeps the last days, so a page only looks at the last day
    of its range, the one place an event may still be on its way.
    """
    ticket, vector = Ticket._meta.db_table, GapVector._meta.db_table
    params = {"model": get_embedder().name, "reason": EscalationReason.KNOWLEDGE_NOT_FOUND,
              "start": start, "end": end, "channel": channel}
    missing = [row[0] for row in _fetch(
        f"SELECT t.id FROM {ticket} t WHERE t.escalation_reason = %(reason)s AND t.created_at >= %(start)s "
        f"AND t.created_at < %(end)s {'AND t.source_channel = %(channel)s' if channel else ''} "
        f"AND NOT EXISTS (SELECT 1 FROM {vector} g WHERE g.ticket_id = t.id "
        f"AND g.embedding_model = %(model)s AND g.cluster_id IS NOT NULL) ORDER BY t.created_at DESC LIMIT 1000",
        params)]
    if not missing:
        return 0
    embedded = gap_vectors_store(questions=gap_questions_by_ids(ticket_ids=missing))
    return max(0, len(missing) - embedded)


def gaps(rng: ReportRange) -> Gaps:
    not_embedded = embed_missing(start=max(rng.start, rng.end - timedelta(days=1)), end=rng.end,
                                 channel=rng.channel)
    vector = GapVector._meta.db_table
    where = (f"FROM {vector} WHERE embedding_model = %(model)s AND cluster_id IS NOT NULL "
             f"AND ticket_created_at >= %(start)s AND ticket_created_at < %(end)s"
             + (" AND channel = %(channel)s" if rng.channel else ""))
    params = _params(rng)
    counts = _fetch(f"SELECT cluster_id, count(*) {where} GROUP BY cluster_id ORDER BY count(*) DESC, cluster_id "
                    f"LIMIT {MAX_CLUSTERS}", params)
    total = _fetch(f"SELECT count(*) {where}", params)[0][0] + not_embedded
    ids = [cluster_id for cluster_id, _n in counts]
    ranked = _fetch(
        f"SELECT cluster_id, ticket_id, channel, ticket_created_at, text FROM ("
        f" SELECT cluster_id, ticket_id, channel, ticket_created_at, text, row_number() OVER ("
        f"  PARTITION BY cluster_id ORDER BY ticket_created_at DESC, ticket_id DESC) AS n"
        f" {where} AND cluster_id = ANY(%(ids)s)) ranked WHERE n <= {DRAFT_TICKETS} ORDER BY cluster_id, n",
        {**params, "ids": ids}) if ids else []
    references = dict(Ticket.objects.filter(pk__in=[r[1] for r in ranked]).values_list("pk", "reference"))
    members: dict[int, list[GapExample]] = {}
    for cluster_id, ticket_id, channel, created_at, text in ranked:
        members.setdefault(cluster_id, []).append(
            GapExample(ticket_id, references.get(ticket_id, ""), channel, created_at, text))
    labels = dict(GapCluster.objects.filter(pk__in=ids).values_list("pk", "label"))
    shown = [e.ticket_id for cid in ids for e in members.get(cid, [])[:EXAMPLES_PER_CLUSTER]]
    replies = staff_replies_for(ticket_ids=shown)
    clusters = []
    for cluster_id, n in counts:
        examples = members.get(cluster_id, [])
        clusters.append(GapGroup(
            cluster_id=cluster_id, label=labels.get(cluster_id, "")[:200], count=n,
            examples=examples[:EXAMPLES_PER_CLUSTER],
            staff_replies=[r for e in examples[:EXAMPLES_PER_CLUSTER] for r in replies.get(e.ticket_id, [])][:3],
            ticket_ids=[e.ticket_id for e in examples]))
    return Gaps(clusters=clusters, questions=total, not_embedded=not_embedded,
                truncated=len(counts) == MAX_CLUSTERS)
