"""Reading one article whole: all its passages, in the article's order.

A search returns the passages that best match the words of a question, at most three of
an article; the sentence with the fact asked for is often in another section of the same
article (the limit under "Notes", the expiry after the steps). Once an article is chosen,
the agent reads it the way a person opens the page after searching.
"""
from __future__ import annotations

from typing import Any

from agent_app.knowledge.search import KnowledgeHit
from crm.models import KnowledgeArticle, KnowledgeChunk

__all__ = ["ArticleNotFound", "article_as_read", "article_passages"]


class ArticleNotFound(LookupError):
    """No article has this slug (never ingested, or deleted since it was found)."""

    def __init__(self, slug: str) -> None:
        super().__init__(f"No Help Centre article has the slug {slug!r}. Use a slug from the search results.")
        self.slug = slug


def article_passages(*, slug: str) -> list[KnowledgeHit]:
    """Every passage of the article ``slug``, in the article's order, as search hits.

    Nothing here ranks them against a question, so ``score`` is 0 and ``vector_score``
    None: a reader of the hits can tell them from the ones a search returned. Raises
    :class:`ArticleNotFound` for an unknown slug; an article without passages (an empty
    body) reads as [].
    """
    article = KnowledgeArticle.objects.filter(slug=slug).only("id", "slug", "title", "category").first()
    if article is None:
        raise ArticleNotFound(slug)
    chunks = KnowledgeChunk.objects.filter(article_id=article.pk).order_by("position").only("id", "heading", "text")
    return [KnowledgeHit(chunk_id=c.pk, slug=article.slug, title=article.title, category=article.category,
                         heading=c.heading, text=c.text, score=0.0, vector_score=None, text_rank=0.0)
            for c in chunks]


def article_as_read(*, slug: str) -> dict[str, Any]:
    """The article as the ``read_article`` tools return it: its slug, title and passages, each
    shaped like a search's results (``KnowledgeHit.as_passage``). Raises :class:`ArticleNotFound`."""
    passages = [p.as_passage() for p in article_passages(slug=slug)]
    return {"slug": slug, "title": passages[0]["title"] if passages else "", "results": passages}
