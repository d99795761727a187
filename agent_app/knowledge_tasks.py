"""Background work on the knowledge base: re-embedding an article after an admin edit.

Imported by ``AgentAppConfig.ready()`` so that workers register the task
(Celery autodiscovery only looks in ``tasks.py``).
"""
from __future__ import annotations

import logging

from celery import shared_task

from agent_app.embeddings import EmbeddingError
from agent_app.knowledge.ingestion import reembed_article
from crm.models import KnowledgeArticle

log = logging.getLogger(__name__)


@shared_task(bind=True, name="agent_app.reembed_article", acks_late=True, max_retries=5)
def reembed_article_task(self, article_id: int) -> str:  # type: ignore[no-untyped-def]
    """Bring one article's chunks in line with its current text.

    Idempotent: chunks whose text did not change keep their vectors, so a
    duplicate delivery (acks_late, a second save) embeds nothing. Returns
    "missing" if the article was deleted meanwhile, else a short summary.
    Transient embedding failures (an API rate limit) are retried with
    back-off; permanent ones are logged and given up.
    """
    try:
        result = reembed_article(article_id=article_id)
    except KnowledgeArticle.DoesNotExist:
        return "missing"
    except EmbeddingError as exc:
        if exc.permanent or self.request.retries >= self.max_retries:
            log.error("re-embedding knowledge article %s failed: %s", article_id, exc)
            return "failed"
        raise self.retry(exc=exc, countdown=min(300, 2 ** (self.request.retries + 2))) from exc
    return (
        f"embedded {result.chunks_embedded}, reused {result.chunks_reused}, deleted {result.chunks_deleted}"
    )
