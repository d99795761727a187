"""Ingestion: markdown files into stored articles and chunks with their embeddings.

Idempotent: a chunk's ``content_hash`` covers what was embedded and the embedder's
name, so re-running costs nothing but parsing, and editing one section re-embeds one
chunk. Embeddings are computed here, outside any transaction (they take seconds); each
article is then stored by one short ``crm`` service call, which only writes.
"""
from __future__ import annotations

import contextlib
import contextvars
import logging
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from agent_app.embeddings import Embedder, get_embedder
from agent_app.knowledge.chunking import chunk_article
from agent_app.knowledge.parsing import ParsedArticle, parse_markdown
from agent_app.knowledge.search_statistics import refresh_search_statistics
from crm import services
from crm.errors import KnowledgeArticleChanged, KnowledgeVectorsMissing
from crm.models import KnowledgeArticle, KnowledgeChunk

log = logging.getLogger(__name__)

__all__ = ["ArticleSyncResult", "IngestReport", "ingest_paths", "ingestion_in_progress", "reembed_article"]


_ingesting: contextvars.ContextVar[bool] = contextvars.ContextVar("knowledge_ingesting", default=False)


def ingestion_in_progress() -> bool:
    """Whether this context is inside :func:`ingest_paths` or :func:`reembed_article`.

    The post_save signal uses it: rows written by ingestion already have
    their chunks and must not schedule a background re-embedding of
    themselves.
    """
    return _ingesting.get()


@contextlib.contextmanager
def _ingestion() -> Iterator[None]:
    token = _ingesting.set(True)
    try:
        yield
    finally:
        _ingesting.reset(token)


@dataclass
class IngestReport:
    """What :func:`ingest_paths` did. Printed by ``manage.py ingest_kb``."""

    files: list[str] = field(default_factory=list)
    articles_created: int = 0
    articles_updated: int = 0
    articles_unchanged: int = 0
    articles_deleted: int = 0
    chunks_embedded: int = 0
    chunks_reused: int = 0
    chunks_deleted: int = 0
    embedder: str = ""
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        """One line: what changed."""
        return (
            f"Ingested {len(self.files)} file(s) with {self.embedder}: "
            f"articles {self.articles_created} created, {self.articles_updated} updated, "
            f"{self.articles_unchanged} unchanged, {self.articles_deleted} deleted; "
            f"chunks {self.chunks_embedded} embedded, {self.chunks_reused} reused, "
            f"{self.chunks_deleted} deleted."
        )

    def __str__(self) -> str:
        return "\n".join([self.summary(), *(f"warning: {w}" for w in self.warnings)])


@dataclass(frozen=True)
class ArticleSyncResult:
    """What syncing one article's chunks did."""

    article_id: int
    created: bool
    changed: bool
    chunks_embedded: int
    chunks_reused: int
    chunks_deleted: int


def _source_name(path: Path) -> str:
    """The ``source`` stored on articles: relative to the project when inside it."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(Path(settings.BASE_DIR).resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()


def _markdown_files(paths: Iterable[str | Path]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.md") if p.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(f"No such file or folder: {path}")
    unique: dict[Path, Path] = {}
    for f in files:
        unique.setdefault(f.resolve(), f)
    return list(unique.values())


def _progress(total: int, *, enabled: bool, desc: str) -> Any:
    from tqdm import tqdm

    # A bar in a log file is a wall of carriage returns: only on a terminal.
    return tqdm(total=total, desc=desc, unit="chunk", disable=not enabled or not sys.stderr.isatty())


def _embed_missing(
    hashes_to_text: dict[str, str], *, embedder: Embedder, progress: bool, batch_size: int = 64
) -> dict[str, list[float]]:
    """Embeds the given texts in batches.

    Callers run it before opening their write transactions: holding row
    locks through seconds of model time would stall admin edits and the
    search tool.
    """
    vectors: dict[str, list[float]] = {}
    items = list(hashes_to_text.items())
    with _progress(len(items), enabled=progress, desc="Embedding") as bar:
        for start in range(0, len(items), batch_size):
            batch = items[start : start + batch_size]
            for (content_hash, _text), vector in zip(batch, embedder.embed([t for _h, t in batch]), strict=True):
                vectors[content_hash] = vector
            bar.update(len(batch))
    return vectors


def _existing_hashes(hashes: Iterable[str], *, embedder: Embedder) -> set[str]:
    """Which of these chunk hashes already have a stored vector (anywhere)."""
    wanted = list(set(hashes))
    found: set[str] = set()
    for start in range(0, len(wanted), 5000):
        found.update(
            KnowledgeChunk.objects.filter(
                content_hash__in=wanted[start : start + 5000],
                embedding_model=embedder.name,
                embedding__isnull=False,
            ).values_list("content_hash", flat=True)
        )
    return found


def _store_article(
    *,
    parsed: ParsedArticle,
    vectors: dict[str, list[float]],
    embedder: Embedder,
    progress: bool,
    article_id: int | None = None,
) -> ArticleSyncResult:
    """Store one article's chunks, embedding whatever a concurrent edit left without a vector.

    Without ``article_id`` the article is upserted by slug (ingestion); with it, only
    the chunks of that stored article are brought in line (re-embedding after an admin
    edit), and ``KnowledgeArticleChanged`` means it was edited again since it was read.
    """
    chunks = [
        services.KnowledgeChunkInput(position=c.position, heading=c.heading, text=c.text,
                                     content_hash=c.content_hash(embedder_name=embedder.name))
        for c in parsed.chunks
    ]
    for _attempt in range(5):
        try:
            if article_id is None:
                stored = services.knowledge_article_upsert(
                    slug=parsed.slug, title=parsed.title, category=parsed.category, body=parsed.body,
                    source=parsed.source, content_hash=parsed.content_hash, chunks=chunks,
                    embedding_model=embedder.name, vectors=vectors,
                )
            else:
                stored = services.knowledge_article_chunks_sync(
                    article_id=article_id, title=parsed.title, body=parsed.body, content_hash=parsed.content_hash,
                    chunks=chunks, embedding_model=embedder.name, vectors=vectors,
                )
        except KnowledgeVectorsMissing as need:
            texts = {c.content_hash(embedder_name=embedder.name): c.embed_text for c in parsed.chunks}
            vectors.update(
                _embed_missing({h: texts[h] for h in need.hashes}, embedder=embedder, progress=progress)
            )
            continue
        return ArticleSyncResult(
            article_id=stored.article_id,
            created=stored.created,
            changed=stored.changed,
            chunks_embedded=stored.chunks_added,
            chunks_reused=stored.chunks_kept + stored.chunks_copied,
            chunks_deleted=stored.chunks_deleted,
        )
    raise RuntimeError(f"knowledge article {parsed.slug!r} kept changing while it was being ingested")


def ingest_paths(paths: Sequence[str | Path], *, progress: bool = True,
                 documents: Sequence[tuple[str, str]] = ()) -> IngestReport:
    """Load markdown files (or folders of ``*.md``) into the knowledge base.

    Idempotent: articles are upserted by slug, and a chunk is embedded only
    when its text (or the embedding model) changed. Articles that came from
    one of these files but are no longer in it are deleted with their chunks;
    articles from other sources are never touched. A file that parses to no
    articles at all is reported and deletes nothing (an emptied file is more
    likely a mistake than a wish to wipe its articles).

    ``documents``: generated ``(source, markdown)`` pairs (see ``agent_app.knowledge.sources``),
    ingested like files; one without articles deletes the articles of its source.
    """
    embedder = get_embedder()
    report = IngestReport(embedder=embedder.name)
    files = _markdown_files(paths)
    parsed: list[ParsedArticle] = []
    sources_with_articles: list[str] = []
    seen: dict[str, str] = {}
    for path in files:
        source = _source_name(path)
        report.files.append(source)
        articles = parse_markdown(path.read_text(encoding="utf-8"), source=source)
        if not articles:
            report.warnings.append(f"{source}: no articles found; nothing was deleted for it")
            continue
        sources_with_articles.append(source)
        for article in articles:
            if article.slug in seen:
                raise ValueError(
                    f"Slug {article.slug!r} appears in both {seen[article.slug]} and {source}; "
                    "slugs must be unique across the knowledge base."
                )
            seen[article.slug] = source
            parsed.append(article)
    emptied: list[str] = []
    for source, text in documents:
        report.files.append(source)
        articles = parse_markdown(text, source=source)
        if not articles:
            emptied.append(source)
            continue
        sources_with_articles.append(source)
        for article in articles:
            if article.slug in seen:
                raise ValueError(f"Slug {article.slug!r} appears in both {seen[article.slug]} and {source}; "
                                 "slugs must be unique across the knowledge base.")
            seen[article.slug] = source
            parsed.append(article)

    with _ingestion():
        texts: dict[str, str] = {}
        for article in parsed:
            for chunk in article.chunks:
                texts[chunk.content_hash(embedder_name=embedder.name)] = chunk.embed_text
        have = _existing_hashes(texts, embedder=embedder)
        vectors = _embed_missing(
            {h: t for h, t in texts.items() if h not in have}, embedder=embedder, progress=progress
        )
        for article in parsed:
            result = _store_article(parsed=article, vectors=vectors, embedder=embedder, progress=progress)
            if result.created:
                report.articles_created += 1
            elif result.changed:
                report.articles_updated += 1
            else:
                report.articles_unchanged += 1
            report.chunks_embedded += result.chunks_embedded
            report.chunks_reused += result.chunks_reused
            report.chunks_deleted += result.chunks_deleted

        if sources_with_articles:
            deleted = services.knowledge_articles_delete_missing(sources=sources_with_articles,
                                                                 keep_slugs=seen.keys())
            report.articles_deleted = deleted.articles
            report.chunks_deleted += deleted.chunks
        if emptied:
            deleted = services.knowledge_articles_delete_missing(sources=emptied, keep_slugs=())
            report.articles_deleted += deleted.articles
            report.chunks_deleted += deleted.chunks
    # Always, not only after changes: cheap, and a database loaded before
    # this code (or restored from a dump) gets its statistics too.
    refresh_search_statistics()
    return report


def reembed_article(*, article_id: int, progress: bool = False) -> ArticleSyncResult:
    """Re-chunk one stored article's body and bring its chunks up to date.

    For edits made in the admin: the body is chunked exactly as ingestion
    chunks it, so only the sections that changed are embedded again. Safe to
    run twice, or concurrently with another edit (the later text wins).
    Raises ``KnowledgeArticle.DoesNotExist`` if the article is gone.
    """
    embedder = get_embedder()
    with _ingestion():
        for _attempt in range(5):
            article = KnowledgeArticle.objects.get(pk=article_id)
            parsed = ParsedArticle(
                slug=article.slug,
                title=article.title,
                category=article.category,
                body=article.body,
                source=article.source,
                chunks=tuple(chunk_article(title=article.title, body=article.body)),
            )
            hashes = {c.content_hash(embedder_name=embedder.name): c.embed_text for c in parsed.chunks}
            have = _existing_hashes(hashes, embedder=embedder)
            vectors = _embed_missing({h: t for h, t in hashes.items() if h not in have},
                                     embedder=embedder, progress=progress)
            try:
                result = _store_article(
                    parsed=parsed, vectors=vectors, embedder=embedder, progress=progress, article_id=article.pk,
                )
            except KnowledgeArticleChanged:
                continue  # edited after we read it: start over with the new text
            log.info(
                "knowledge article %s (%s): %d chunk(s) embedded, %d reused, %d deleted",
                article.pk, article.slug, result.chunks_embedded, result.chunks_reused, result.chunks_deleted,
            )
            return result
    raise RuntimeError(f"knowledge article {article_id} kept changing while it was being re-embedded")
