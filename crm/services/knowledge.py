"""The knowledge base's storage: articles and their chunks, written as ingestion decided.

``agent_app`` parses the markdown, chunks it and computes the embeddings (seconds of
model time, outside any transaction). These actions only store the outcome, each in one
short transaction: they decide which stored chunks can be kept, moved, deleted or added,
and never call a model. A chunk is named by its ``content_hash``, which the caller
computes over what it embedded and with which model; the same hash means the same vector.

Every function is one business action in one transaction, keyword-only and typed.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from crm.errors import KnowledgeArticleChanged, KnowledgeVectorsMissing
from crm.models import KnowledgeArticle, KnowledgeChunk

__all__ = [
    "KnowledgeArticleStored",
    "KnowledgeArticlesDeleted",
    "KnowledgeChunkInput",
    "knowledge_article_chunks_sync",
    "knowledge_article_upsert",
    "knowledge_articles_delete_missing",
]


@dataclass(frozen=True)
class KnowledgeChunkInput:
    """One chunk as it should be stored."""

    position: int
    heading: str
    text: str
    content_hash: str  # names the vector: same hash, same vector


@dataclass(frozen=True)
class KnowledgeArticleStored:
    """What storing one article's chunks did."""

    article_id: int
    created: bool
    changed: bool  # anything written: the article's fields or any chunk
    chunks_kept: int  # already stored with their vector (perhaps moved)
    chunks_added: int  # new rows with a vector the caller supplied
    chunks_copied: int  # new rows whose vector was copied from an identical chunk
    chunks_deleted: int


@dataclass(frozen=True)
class KnowledgeArticlesDeleted:
    articles: int
    chunks: int


@dataclass(frozen=True)
class _ChunksWritten:
    kept: int
    added: int
    copied: int
    deleted: int
    moved: int


@transaction.atomic
def knowledge_article_upsert(
    *,
    slug: str,
    title: str,
    category: str,
    body: str,
    source: str,
    content_hash: str,
    chunks: Sequence[KnowledgeChunkInput],
    embedding_model: str,
    vectors: Mapping[str, Sequence[float]],
) -> KnowledgeArticleStored:
    """Create or update the article with this slug and make its chunks exactly ``chunks``.

    Stored chunks with the same hash (and a vector from ``embedding_model``) are kept,
    moved if their position, heading or text changed; new ones take their vector from
    ``vectors`` or, failing that, from an identical chunk of any article; the rest are
    deleted. Raises :class:`KnowledgeVectorsMissing` before writing anything when a new
    chunk has no vector from either: the caller embeds those texts and calls again.

    The article's fields are written with a queryset update (no ``post_save``): its
    chunks were just written here, and the signal must not schedule a re-embedding.
    """
    now = timezone.now()
    article = KnowledgeArticle.objects.select_for_update().filter(slug=slug).first()
    created = article is None
    if article is None:
        article = KnowledgeArticle.objects.create(
            slug=slug, title=title, category=category, body=body, source=source, content_hash=content_hash,
        )
    written = _chunks_write(article=article, chunks=chunks, embedding_model=embedding_model, vectors=vectors,
                            now=now)
    fields_changed = False
    if not created:
        wanted = {"title": title, "category": category, "body": body, "source": source, "content_hash": content_hash}
        changes = {name: value for name, value in wanted.items() if getattr(article, name) != value}
        if changes:
            KnowledgeArticle.objects.filter(pk=article.pk).update(**changes, updated_at=now)
            fields_changed = True
    return _stored(article=article, created=created, fields_changed=fields_changed, written=written)


@transaction.atomic
def knowledge_article_chunks_sync(
    *,
    article_id: int,
    title: str,
    body: str,
    content_hash: str,
    chunks: Sequence[KnowledgeChunkInput],
    embedding_model: str,
    vectors: Mapping[str, Sequence[float]],
) -> KnowledgeArticleStored:
    """Make a stored article's chunks exactly ``chunks`` (re-embedding after an admin edit).

    ``title`` and ``body`` are the text the chunks were made from: if the locked row no
    longer has them (edited again meanwhile), :class:`KnowledgeArticleChanged` is raised
    and nothing is written; the caller chunks the new text. Of the article only
    ``content_hash`` is written. Chunks are kept, moved, added and deleted as in
    :func:`knowledge_article_upsert`, with the same :class:`KnowledgeVectorsMissing`.
    Raises ``KnowledgeArticle.DoesNotExist`` if the article is gone.
    """
    article = KnowledgeArticle.objects.select_for_update().filter(pk=article_id).first()
    if article is None:
        raise KnowledgeArticle.DoesNotExist(f"knowledge article {article_id} no longer exists")
    if article.title != title or article.body != body:
        raise KnowledgeArticleChanged(f"Knowledge article {article_id} was edited meanwhile.")
    written = _chunks_write(article=article, chunks=chunks, embedding_model=embedding_model, vectors=vectors,
                            now=timezone.now())
    fields_changed = False
    if article.content_hash != content_hash:
        KnowledgeArticle.objects.filter(pk=article.pk).update(content_hash=content_hash)
        fields_changed = True
    return _stored(article=article, created=False, fields_changed=fields_changed, written=written)


@transaction.atomic
def knowledge_articles_delete_missing(*, sources: Collection[str], keep_slugs: Collection[str]
                                      ) -> KnowledgeArticlesDeleted:
    """Delete the articles that came from one of ``sources`` but are not in ``keep_slugs``.

    Their chunks go with them. Articles from other sources are never touched.
    """
    stale = KnowledgeArticle.objects.filter(source__in=list(sources)).exclude(slug__in=list(keep_slugs))
    chunks = KnowledgeChunk.objects.filter(article__in=stale).count()
    articles = stale.count()
    stale.delete()
    return KnowledgeArticlesDeleted(articles=articles, chunks=chunks)


def _stored(*, article: KnowledgeArticle, created: bool, fields_changed: bool, written: _ChunksWritten
            ) -> KnowledgeArticleStored:
    return KnowledgeArticleStored(
        article_id=article.pk,
        created=created,
        changed=created or fields_changed or bool(written.added or written.copied or written.deleted or written.moved),
        chunks_kept=written.kept,
        chunks_added=written.added,
        chunks_copied=written.copied,
        chunks_deleted=written.deleted,
    )


def _chunks_write(
    *,
    article: KnowledgeArticle,
    chunks: Sequence[KnowledgeChunkInput],
    embedding_model: str,
    vectors: Mapping[str, Sequence[float]],
    now: datetime,
) -> _ChunksWritten:
    """Bring the locked article's chunks in line with ``chunks``, inside the caller's transaction."""
    existing = list(
        KnowledgeChunk.objects.filter(article=article)
        .values("id", "position", "content_hash", "heading", "text", "embedding_model")
        .annotate(has_vector=Q(embedding__isnull=False))
    )
    reusable: dict[str, list[dict[str, Any]]] = {}
    for row in existing:
        if row["has_vector"] and row["embedding_model"] == embedding_model:
            reusable.setdefault(row["content_hash"], []).append(row)

    keep: list[tuple[dict[str, Any], KnowledgeChunkInput]] = []
    new: list[KnowledgeChunkInput] = []
    for chunk in chunks:
        rows = reusable.get(chunk.content_hash)
        if rows:
            keep.append((rows.pop(0), chunk))
        else:
            new.append(chunk)

    needed = {c.content_hash for c in new if c.content_hash not in vectors}
    copied: dict[str, list[float]] = {}
    if needed:
        # An identical chunk elsewhere (an article renamed to a new slug, say) already
        # has the vector: copy it instead of asking for another embedding.
        for content_hash, vector in KnowledgeChunk.objects.filter(
            content_hash__in=needed, embedding_model=embedding_model, embedding__isnull=False
        ).values_list("content_hash", "embedding"):
            copied[content_hash] = list(vector)
        missing = needed - copied.keys()
        if missing:
            raise KnowledgeVectorsMissing(missing)

    kept_ids = {row["id"] for row, _c in keep}
    stale_ids = [row["id"] for row in existing if row["id"] not in kept_ids]
    if stale_ids:
        KnowledgeChunk.objects.filter(id__in=stale_ids).delete()
    moved = [(row, chunk) for row, chunk in keep
             if row["position"] != chunk.position or row["heading"] != chunk.heading or row["text"] != chunk.text]
    if moved:
        # (article, position) is unique and checked row by row: park the moving rows
        # out of the way first, then put them in place.
        KnowledgeChunk.objects.filter(id__in=[row["id"] for row, _c in moved]).update(
            position=F("position") + 1_000_000
        )
        KnowledgeChunk.objects.bulk_update(
            [KnowledgeChunk(id=row["id"], position=chunk.position, heading=chunk.heading, text=chunk.text)
             for row, chunk in moved],
            ["position", "heading", "text"],
        )
    if new:
        KnowledgeChunk.objects.bulk_create(
            [
                KnowledgeChunk(
                    article=article,
                    position=chunk.position,
                    heading=chunk.heading,
                    text=chunk.text,
                    content_hash=chunk.content_hash,
                    embedding_model=embedding_model,
                    embedding=list(vectors.get(chunk.content_hash) or copied[chunk.content_hash]),
                    created_at=now,
                )
                for chunk in new
            ]
        )
    added = sum(1 for c in new if c.content_hash in vectors)
    return _ChunksWritten(kept=len(keep), added=added, copied=len(new) - added, deleted=len(stale_ids),
                          moved=len(moved))
