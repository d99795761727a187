"""The knowledge-gaps page: questions escalated as ``knowledge_not_found``, grouped by meaning.

Each question is embedded once with the bundled embeddings (``agent_app.embeddings``) and
kept in ``GapVector``; the metrics consumer embeds new ones as their events arrive and the
page embeds whatever is still missing, a bounded number per view. Grouping is greedy
centroid clustering over cosine similarity: a question joins the closest group when it is
at least ``GAP_SIMILARITY`` alike, else it starts a new one. With a few thousand questions
per range it takes milliseconds, and it needs no number of groups chosen in advance.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from reporting.gap_vectors import gap_vectors_for
from reporting.ranges import ReportRange
from reporting.selectors import gap_questions, staff_replies_for

GAP_SIMILARITY = 0.45  # all-MiniLM-L6-v2: rephrasings of one question score 0.5–0.7, other topics below 0.2
MAX_GAP_TICKETS = 2000  # the newest, per range
EXAMPLES_PER_CLUSTER = 5


@dataclass
class GapExample:
    ticket_id: int
    reference: str
    channel: str
    created_at: datetime
    question: str


@dataclass
class GapCluster:
    label: str
    count: int
    examples: list[GapExample]
    staff_replies: list[dict[str, str]]
    ticket_ids: list[int] = field(default_factory=list)


@dataclass
class Gaps:
    clusters: list[GapCluster]
    questions: int
    not_embedded: int
    truncated: bool


def cluster_vectors(vectors: np.ndarray, *, threshold: float = GAP_SIMILARITY) -> list[list[int]]:
    """Indices grouped by meaning, largest group first (vectors are L2-normalised rows)."""
    groups: list[list[int]] = []
    sums: list[np.ndarray] = []
    centroids = np.zeros((0, vectors.shape[1] if vectors.ndim == 2 else 0))
    for i, vector in enumerate(vectors):
        if len(groups):
            sims = centroids @ vector
            best = int(np.argmax(sims))
            if sims[best] >= threshold:
                groups[best].append(i)
                sums[best] = sums[best] + vector
                centroids[best] = sums[best] / np.linalg.norm(sums[best])
                continue
        groups.append([i])
        sums.append(vector.copy())
        centroids = np.vstack([centroids, vector[None, :]])
    return sorted(groups, key=lambda g: (-len(g), g[0]))


def gaps(rng: ReportRange) -> Gaps:
    questions = gap_questions(start=rng.start, end=rng.end, channel=rng.channel, limit=MAX_GAP_TICKETS + 1)
    truncated = len(questions) > MAX_GAP_TICKETS
    questions = questions[:MAX_GAP_TICKETS]
    vectors, missing = gap_vectors_for(questions)
    embedded = [q for q in questions if q.ticket_id in vectors]
    clusters: list[GapCluster] = []
    if embedded:
        matrix = np.array([vectors[q.ticket_id] for q in embedded], dtype=np.float32)
        groups = cluster_vectors(matrix)
        replies = staff_replies_for(ticket_ids=[embedded[i].ticket_id for g in groups
                                                for i in g[:EXAMPLES_PER_CLUSTER]])
        for group in groups:
            members = [embedded[i] for i in group]
            centre = matrix[group].mean(axis=0)
            label = members[int(np.argmax(matrix[group] @ centre))].question
            shown = members[:EXAMPLES_PER_CLUSTER]
            clusters.append(GapCluster(
                label=label[:200], count=len(members),
                examples=[GapExample(q.ticket_id, q.reference, q.channel, q.created_at, q.question) for q in shown],
                staff_replies=[r for q in shown for r in replies.get(q.ticket_id, [])][:3],
                ticket_ids=[q.ticket_id for q in members],
            ))
    return Gaps(clusters=clusters, questions=len(questions), not_embedded=missing, truncated=truncated)


