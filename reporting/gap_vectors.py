"""Embedding knowledge-gap questions once, with the bundled embeddings, and keeping the vectors."""
from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from agent_app.embeddings import EmbeddingError, get_embedder
from reporting.models import GapVector
from reporting.selectors import GapQuestion

log = logging.getLogger(__name__)

MAX_EMBED_PER_CALL = 200  # about half a second of the local model: a page view never waits longer


def gap_vectors_store(*, questions: Sequence[GapQuestion]) -> int:
    """Embed and keep the questions that have no vector yet (at most ``MAX_EMBED_PER_CALL``). Returns how many."""
    embedder = get_embedder()
    have = set(GapVector.objects.filter(ticket_id__in=[q.ticket_id for q in questions],
                                        embedding_model=embedder.name).values_list("ticket_id", flat=True))
    todo = [q for q in questions if q.ticket_id not in have][:MAX_EMBED_PER_CALL]
    if not todo:
        return 0
    try:
        vectors = embedder.embed([q.question for q in todo])
    except EmbeddingError:
        log.warning("knowledge-gap questions could not be embedded now", exc_info=True)
        return 0
    # A vector of another model is stale: replace it.
    GapVector.objects.filter(ticket_id__in=[q.ticket_id for q in todo]).exclude(
        embedding_model=embedder.name).delete()
    GapVector.objects.bulk_create(
        [GapVector(ticket_id=q.ticket_id, text=q.question, embedding_model=embedder.name, embedding=v)
         for q, v in zip(todo, vectors, strict=True)], ignore_conflicts=True)
    return len(todo)


def gap_vectors_for(questions: Sequence[GapQuestion]) -> tuple[dict[int, np.ndarray], int]:
    """The vectors of these questions (embedding a bounded number of missing ones), and how many are missing."""
    gap_vectors_store(questions=questions)
    name = get_embedder().name
    vectors = {tid: np.asarray(vec, dtype=np.float32) for tid, vec in GapVector.objects.filter(
        ticket_id__in=[q.ticket_id for q in questions], embedding_model=name).values_list("ticket_id", "embedding")}
    return vectors, sum(1 for q in questions if q.ticket_id not in vectors)
