"""The knowledge-gaps page: questions escalated as ``knowledge_not_found``, grouped by meaning.

The questions were embedded and clustered as they arrived (``reporting.gap_vectors``); the
page counts each cluster's questions in the range, shows the newest examples and the staff
replies on them, and first embeds the few questions of the range still missing (at most
``MAX_EMBED_PER_CALL`` per view).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

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


def _in_range_sql(rng: ReportRange) -> tuple[str, dict]:
    ticket = Ticket._meta.db_table
    sql = (f"FROM {ticket} t LEFT JOIN {GapVector._meta.db_table} g ON g.ticket_id = t.id "
           f"AND g.embedding_model = %(model)s WHERE t.escalation_reason = %(reason)s "
           f"AND t.created_at >= %(start)s AND t.created_at < %(end)s")
    params = {"model": get_embedder().name, "reason": EscalationReason.KNOWLEDGE_NOT_FOUND,
              "start": rng.start, "end": rng.end, "channel": rng.channel}
    if rng.channel:
        sql += " AND t.source_channel = %(channel)s"
    return sql, params


def _fetch(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def embed_missing(rng: ReportRange) -> int:
    """Embed (a bounded number of) the range's questions that have no vector yet; how many remain."""
    sql, params = _in_range_sql(rng)
    missing = [row[0] for row in _fetch(f"SELECT t.id {sql} AND g.id IS NULL ORDER BY t.created_at DESC "
                                        f"LIMIT 1000", params)]
    if missing:
        gap_vectors_store(questions=gap_questions_by_ids(ticket_ids=missing))
    return len(_fetch(f"SELECT t.id {sql} AND g.cluster_id IS NULL LIMIT 1000", params))


def gaps(rng: ReportRange) -> Gaps:
    not_embedded = embed_missing(rng)
    sql, params = _in_range_sql(rng)
    counts = _fetch(f"SELECT g.cluster_id, count(*) {sql} AND g.cluster_id IS NOT NULL "
                    f"GROUP BY g.cluster_id ORDER BY count(*) DESC, g.cluster_id LIMIT {MAX_CLUSTERS}", params)
    total = _fetch(f"SELECT count(*) {sql}", params)[0][0]
    ids = [cluster_id for cluster_id, _n in counts]
    ranked = _fetch(
        f"SELECT cluster_id, ticket_id, reference, channel, created_at, text FROM ("
        f" SELECT g.cluster_id, t.id AS ticket_id, t.reference, t.source_channel AS channel, t.created_at, g.text,"
        f" row_number() OVER (PARTITION BY g.cluster_id ORDER BY t.created_at DESC, t.id DESC) AS n"
        f" {sql} AND g.cluster_id = ANY(%(ids)s)) ranked WHERE n <= {DRAFT_TICKETS} ORDER BY cluster_id, n",
        {**params, "ids": ids}) if ids else []
    members: dict[int, list[GapExample]] = {}
    for cluster_id, ticket_id, reference, channel, created_at, text in ranked:
        members.setdefault(cluster_id, []).append(GapExample(ticket_id, reference, channel, created_at, text))
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
