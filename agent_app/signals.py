"""Keep knowledge chunks in step with articles edited outside ingestion (the admin)."""
from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from agent_app.knowledge.ingestion import ingestion_in_progress
from agent_app.knowledge.parsing import article_content_hash
from crm.models import KnowledgeArticle


@receiver(post_save, sender=KnowledgeArticle, dispatch_uid="agent_app.knowledge_article_saved")
def knowledge_article_saved(sender: type[KnowledgeArticle], instance: KnowledgeArticle, raw: bool = False,
                            **kwargs: Any) -> None:
    """Schedule a background re-embedding when an article's title or body changed.

    Ingestion writes chunks itself (and sets ``content_hash``), so its saves
    are skipped; so are fixture loads (``raw``) and saves that changed only,
    say, the category: the stored ``content_hash`` still matches the text.
    The task is sent after commit, so the worker reads the saved text, and a
    rolled-back edit sends nothing. Embedding takes seconds; the admin
    request does not wait for it.
    """
    if raw or ingestion_in_progress():
        return
    if instance.content_hash == article_content_hash(title=instance.title, body=instance.body):
        return
    article_id = instance.pk

    def enqueue() -> None:
        from agent_app.knowledge_tasks import reembed_article_task

        reembed_article_task.delay(article_id)

    # robust: a broker that is down must not turn a saved edit into a 500;
    # the error is logged and the next save (or ingest_kb) catches up.
    transaction.on_commit(enqueue, robust=True)
