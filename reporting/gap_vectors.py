"""Knowledge-gap questions: embedded once with the bundled embeddings, then placed in a cluster.

Clustering is online and greedy: a new question joins the cluster whose centroid is most
alike when the cosine is at least ``GAP_SIMILARITY``, else it starts a new cluster. Each
question is placed once, when its vector is stored (by the metrics consumer as its event
arrives, or by the gaps page for the few still missing), so a page only counts clusters.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
from django.db import connection, transaction

from agent_app.embeddings import EmbeddingError, get_embedder
from reporting.models import GapCluster, GapVector
from reporting.selectors import GapQuestion

log = logging.getLogger(__name__)

GAP_SIMILARITY = 0.45  # all-MiniLM-L6-v2: rephrasings of one question score 0.5–0.7, other topics below 0.2
MAX_EMBED_PER_CALL = 200  # about half a second of the local model: a page view never waits longer
CLUSTER_LOCK_ID = 7_340_014


def _normalised(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


@transaction.atomic
def gap_vectors_cluster(*, vectors: Sequence[GapVector], embedding_model: str) -> None:
    """Place each vector in the most alike cluster (or a new one), one writer at a time."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CLUSTER_LOCK_ID])
    clusters = list(GapCluster.objects.filter(embedding_model=embedding_model).order_by("id"))
    centroids = [np.asarray(c.centroid, dtype=np.float32) for c in clusters]
    changed: set[int] = set()
    for vector in vectors:
        v = np.asarray(vector.embedding, dtype=np.float32)
        best = -1
        if centroids:
            sims = np.stack(centroids) @ v
            best = int(np.argmax(sims)) if float(np.max(sims)) >= GAP_SIMILARITY else -1
        if best < 0:
            cluster = GapCluster.objects.create(label=vector.text[:1000], embedding_model=embedding_model,
                                                centroid=v.tolist(), size=0)
            clusters.append(cluster)
            centroids.append(v)
            best = len(clusters) - 1
        cluster = clusters[best]
        # A running mean of the members, kept on the unit sphere.
        centroids[best] = _normalised(centroids[best] * cluster.size + v)
        cluster.size += 1
        changed.add(best)
        vector.cluster = cluster
    for index in changed:
        clusters[index].centroid = centroids[index].tolist()
    GapCluster.objects.bulk_update([clusters[i] for i in changed], ["centroid", "size"])
    GapVector.objects.bulk_update(list(vectors), ["cluster"])


def gap_vectors_store(*, questions: Sequence[GapQuestion]) -> int:
    """Embed, keep and cluster the questions that have no vector yet (at most ``MAX_EMBED_PER_CALL``)."""
    embedder = get_embedder()
    have = set(GapVector.objects.filter(ticket_id__in=[q.ticket_id for q in questions],
                                        embedding_model=embedder.name).values_list("ticket_id", flat=True))
    todo = [q for q in questions if q.ticket_id not in have][:MAX_EMBED_PER_CALL]
    if not todo:
        return 0
    try:
        embedded = embedder.embed([q.question for q in todo])
    except EmbeddingError:
        log.warning("knowledge-gap questions could not be embedded now", exc_info=True)
        return 0
    with transaction.atomic():
        # A vector of another model is stale: replace it.
        GapVector.objects.filter(ticket_id__in=[q.ticket_id for q in todo]).exclude(
            embedding_model=embedder.name).delete()
        GapVector.objects.bulk_create(
            [GapVector(ticket_id=q.ticket_id, text=q.question, embedding_model=embedder.name, embedding=v,
                       ticket_created_at=q.created_at, channel=q.channel)
             for q, v in zip(todo, embedded, strict=True)], ignore_conflicts=True)
        fresh = list(GapVector.objects.filter(ticket_id__in=[q.ticket_id for q in todo], cluster__isnull=True,
                                              embedding_model=embedder.name).order_by("ticket_id"))
        gap_vectors_cluster(vectors=fresh, embedding_model=embedder.name)
    return len(todo)


def gap_clusters_rebuild() -> int:
    """Cluster every stored question again from scratch (after changing ``GAP_SIMILARITY``). Returns clusters."""
    name = get_embedder().name
    with transaction.atomic():
        GapVector.objects.update(cluster=None)
        GapCluster.objects.all().delete()
        vectors = list(GapVector.objects.filter(embedding_model=name).order_by("created_at", "ticket_id"))
        gap_vectors_cluster(vectors=vectors, embedding_model=name)
    return GapCluster.objects.count()
