"""The knowledge base: markdown in, chunks with embeddings out, and hybrid search.

Three jobs, one module, because they must agree on what a chunk is:

* **Parsing and chunking** (:func:`parse_markdown`). The help centre is one
  markdown file: ``## Title`` starts an article, the next line carries
  ``<!-- slug: ...; category: ... -->``, and ``###`` headings split it into
  sections. Each section becomes one chunk (long ones are split, with overlap,
  on paragraph boundaries), so a hit points at the part of the article that
  answers the question instead of a whole page. Plain markdown files without
  the slug comment work too (the slug comes from the title).
* **Ingestion** (:func:`ingest_paths`, :func:`reembed_article`). Idempotent:
  a chunk's ``content_hash`` covers what was embedded and the embedder's name,
  so re-running costs nothing but parsing, and editing one section re-embeds
  one chunk. Embeddings are computed outside any transaction (they take
  seconds); each article is then written in one short transaction.
* **Search** (:func:`search_knowledge`). Hybrid: pgvector's HNSW index for
  meaning, PostgreSQL full text for exact words (error messages, product
  names), fused by reciprocal rank. "Nothing relevant" is a real answer: when
  even the best semantic match is weak, the result is empty, and the agent
  escalates with ``knowledge_not_found`` instead of answering from noise.
"""
from __future__ import annotations

import contextlib
import contextvars
import hashlib
import logging
import re
import sys
import time
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from agent_app.embeddings import Embedder, get_embedder
from crm.models import KnowledgeArticle, KnowledgeChunk

log = logging.getLogger(__name__)

__all__ = [
    "ArticleSyncResult",
    "IngestReport",
    "InvalidQuery",
    "KnowledgeHit",
    "ParsedArticle",
    "ParsedChunk",
    "article_content_hash",
    "chunk_article",
    "ingest_paths",
    "ingestion_in_progress",
    "parse_markdown",
    "reembed_article",
    "refresh_search_statistics",
    "search_knowledge",
]

#: A section longer than this many words is split. all-MiniLM-L6-v2 reads at
#: most 256 tokens (about 190 English words, plus the title we prefix); the
#: rest of a longer text would be silently ignored by the model.
MAX_CHUNK_WORDS = 180
#: Overlap carried into the next piece of a split section, so a sentence that
#: depends on the previous paragraph is still found.
OVERLAP_WORDS = 60

MAX_QUERY_CHARS = 2000
MAX_K = 20
#: Candidates taken from each retriever before fusion. Enough that the fused
#: top 20 (with at most two chunks per article) is rarely starved.
CANDIDATES = 40
#: The usual RRF constant (Cormack et al. 2009): dampens the advantage of
#: rank 1 over rank 2 so that agreement between the retrievers wins.
RRF_K = 60
#: The full-text ranking counts half as much as the semantic one in the
#: fusion: on questions phrased in customers' own words it is the weaker
#: retriever, and its job is to lift chunks that contain the exact term (an
#: error code, "SAML", "VAT") rather than to outvote meaning.
TEXT_WEIGHT = 0.5
#: Lexemes found in more than this fraction of chunks are too common to
#: search by (see _text_query).
COMMON_FRACTION = 0.10
#: At most this many query words go to full-text search (chosen by _text_query).
#: A pasted email has 100+ distinct words; ranking every chunk that shares
#: any of them took 5 s at 50,000 chunks.
MAX_TEXT_TERMS = 8
#: ... and only as many as together are expected (from the same statistics)
#: to match at most this many chunks: every match is ranked. A word in
#: thousands of chunks says little about any one of them anyway.
MAX_TEXT_MATCHES = 1000
#: The final score is this much cosine similarity and the rest fusion.
SCORE_COSINE_SHARE = 0.5
MAX_CHUNKS_PER_ARTICLE = 2

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


# -- parsing ------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedChunk:
    """One searchable piece of an article."""

    position: int
    heading: str  # "Article title › Section", or the title for the intro
    text: str  # the markdown as stored and shown
    embed_text: str  # what the model sees: title and section first, then the text

    def content_hash(self, *, embedder_name: str) -> str:
        """Decides re-embedding: same text, same model, same vector."""
        return _sha256(f"{embedder_name}\n{self.embed_text}")


@dataclass(frozen=True)
class ParsedArticle:
    slug: str
    title: str
    category: str
    body: str
    source: str
    chunks: tuple[ParsedChunk, ...]

    @property
    def content_hash(self) -> str:
        return article_content_hash(title=self.title, body=self.body)


_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_META_COMMENT = re.compile(r"^\s*<!--(.*?)-->\s*$")
_META_PAIR = re.compile(r"^\s*([A-Za-z_-]+)\s*:\s*(.*?)\s*$")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def article_content_hash(*, title: str, body: str) -> str:
    """The hash of what an article's chunks derive from (stored on the article).

    The post_save signal compares it with the saved row to tell an edit of the
    text (re-embed) from one of, say, the category (nothing to do).
    """
    return _sha256(f"{title.strip()}\n\n{body.strip()}")


def _slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:120].rstrip("-") or "article"


def _meta(line: str) -> dict[str, str] | None:
    """``<!-- slug: x; category: y -->`` as a dict, or None if the line is not one."""
    match = _META_COMMENT.match(line)
    if not match:
        return None
    pairs: dict[str, str] = {}
    for part in match.group(1).split(";"):
        pair = _META_PAIR.match(part)
        if pair:
            pairs[pair.group(1).lower()] = pair.group(2)
    return pairs if pairs.keys() & {"slug", "category"} else None


def _headings(lines: Sequence[str]) -> list[tuple[int, int, str]]:
    """(line index, level, text) of every markdown heading outside code fences."""
    found: list[tuple[int, int, str]] = []
    in_fence = False
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if not in_fence:
            match = _HEADING.match(line)
            if match:
                found.append((i, len(match.group(1)), match.group(2).strip()))
    return found


def parse_markdown(text: str, *, source: str) -> list[ParsedArticle]:
    """Split a markdown document into articles and their chunks.

    The help centre format: ``## Title`` then ``<!-- slug: ...; category: ... -->``
    starts an article. Other markdown works too: a file with one ``# Title``
    is one article (its ``##`` headings are sections); otherwise each ``##``
    is an article. Without a slug comment the slug is the slugified title,
    and the category comes from a ``<!-- category: ... -->`` comment or is
    empty. Text before the first article (the file's own ``#`` title, say)
    is not an article.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    headings = _headings(lines)
    has_slug_comments = any(
        (meta := _meta(line)) is not None and "slug" in meta for line in lines
    )
    h1 = [h for h in headings if h[1] == 1]
    if has_slug_comments or len(h1) != 1:
        article_level = 2
    else:
        article_level = 1
    starts = [h for h in headings if h[1] == article_level]
    if not starts and h1:
        starts, article_level = h1, 1
    if not starts:
        # No headings at all: the whole file is one article named after it.
        body = text.strip()
        if not body:
            return []
        title = Path(source).stem.replace("-", " ").replace("_", " ").strip().capitalize() or "Article"
        return [_article(title=title, meta={}, body=body, source=source, used=set())]

    articles: list[ParsedArticle] = []
    used_slugs: set[str] = set()
    for n, (index, _level, title) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
        body_lines = lines[index + 1 : end]
        meta: dict[str, str] = {}
        # The metadata comment sits right under the title (blank lines allowed).
        for j, line in enumerate(body_lines):
            if not line.strip():
                continue
            found = _meta(line)
            if found is not None:
                meta = found
                body_lines = body_lines[j + 1 :]
            break
        body = "\n".join(body_lines).strip()
        articles.append(_article(title=title, meta=meta, body=body, source=source, used=used_slugs))
    return articles


def _article(*, title: str, meta: dict[str, str], body: str, source: str, used: set[str]) -> ParsedArticle:
    title = title[:300]
    slug = _slugify(meta.get("slug") or title)
    if slug in used:
        # Two untagged articles with the same title in one file: keep both.
        n = 2
        while f"{slug[:110]}-{n}" in used:
            n += 1
        slug = f"{slug[:110]}-{n}"
    used.add(slug)
    return ParsedArticle(
        slug=slug,
        title=title,
        category=meta.get("category", "")[:40],
        body=body,
        source=source,
        chunks=tuple(chunk_article(title=title, body=body)),
    )


# -- chunking -----------------------------------------------------------------

_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“(])")
_MD_NOISE = re.compile(r"(\*\*|__|`)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]+\)")


def _words(text: str) -> int:
    return len(text.split())


def _for_embedding(text: str) -> str:
    # Bold markers and link targets carry no meaning but cost tokens.
    return _MD_NOISE.sub("", _MD_LINK.sub(r"\1", text))


def chunk_article(*, title: str, body: str) -> list[ParsedChunk]:
    """Heading-aware chunks of one article's markdown body.

    One chunk for the text before the first heading (the intro), one per
    section (``###``, or any heading inside the body). Sections above
    :data:`MAX_CHUNK_WORDS` are split on paragraph boundaries with a little
    overlap. A section heading with no text of its own (only sub-headings)
    gives no chunk; its name lives on in its sub-sections' headings.
    """
    lines = body.split("\n")
    headings = _headings(lines)
    first = headings[0][0] if headings else len(lines)
    sections: list[tuple[list[str], list[str]]] = [([], lines[:first])]  # (heading path, lines)
    path: list[tuple[int, str]] = []
    for n, (index, level, heading) in enumerate(headings):
        end = headings[n + 1][0] if n + 1 < len(headings) else len(lines)
        # "#### Notes" under "### Limits" is "Limits › Notes".
        path = [p for p in path if p[0] < level] + [(level, heading)]
        sections.append(([p[1] for p in path], lines[index + 1 : end]))

    chunks: list[ParsedChunk] = []
    for section_path, section_lines in sections:
        text = "\n".join(section_lines).strip()
        if not text:
            continue
        section = " › ".join(section_path)
        heading = f"{title} › {section}" if section else title
        label = f"{title} — {' — '.join(section_path)}" if section_path else title
        for piece in _split(text):
            chunks.append(
                ParsedChunk(
                    position=len(chunks),
                    heading=heading[:300],
                    text=piece,
                    embed_text=f"{label}\n\n{_for_embedding(piece)}",
                )
            )
    return chunks


def _paragraphs(text: str) -> list[str]:
    """Blank-line separated blocks; an oversized block falls back to lines, then sentences."""
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text) if b.strip()]
    out: list[str] = []
    for block in blocks:
        if _words(block) <= MAX_CHUNK_WORDS:
            out.append(block)
            continue
        lines = [line for line in block.split("\n") if line.strip()]
        units = lines if len(lines) > 1 else _SENTENCE_END.split(block)
        for unit in units:
            if _words(unit) <= MAX_CHUNK_WORDS:
                out.append(unit.strip())
            else:  # one enormous sentence: cut by words, nothing better is known
                words = unit.split()
                out.extend(
                    " ".join(words[i : i + MAX_CHUNK_WORDS]) for i in range(0, len(words), MAX_CHUNK_WORDS)
                )
    return out


def _overlap(piece: list[str]) -> list[str]:
    """The tail of a piece to repeat at the start of the next one.

    Whole paragraphs while they fit in OVERLAP_WORDS; if even the last
    paragraph is longer, its last sentences that fit.
    """
    overlap: list[str] = []
    for previous in reversed(piece):
        if sum(map(_words, overlap)) + _words(previous) > OVERLAP_WORDS:
            break
        overlap.insert(0, previous)
    if overlap:
        return overlap
    sentences = _SENTENCE_END.split(piece[-1])
    tail: list[str] = []
    for sentence in reversed(sentences[1:]):  # never the whole paragraph
        if sum(map(_words, tail)) + _words(sentence) > OVERLAP_WORDS:
            break
        tail.insert(0, sentence)
    return [" ".join(tail)] if tail else []


def _split(text: str) -> list[str]:
    if _words(text) <= MAX_CHUNK_WORDS:
        return [text]
    paragraphs = _paragraphs(text)
    pieces: list[list[str]] = []
    current: list[str] = []
    for paragraph in paragraphs:
        if current and sum(map(_words, current)) + _words(paragraph) > MAX_CHUNK_WORDS:
            pieces.append(current)
            overlap = _overlap(current)
            if sum(map(_words, overlap)) + _words(paragraph) > MAX_CHUNK_WORDS:
                overlap = []
            current = overlap
        current.append(paragraph)
    if current:
        pieces.append(current)
    # A list split in the middle reads badly if the join loses its shape:
    # list items stay on their own lines, other paragraphs get a blank line.
    return ["\n\n".join(piece) if not all(_LIST_ITEM.match(p) for p in piece) else "\n".join(piece)
            for piece in pieces]


# -- ingestion ----------------------------------------------------------------


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


class _NeedVectors(Exception):
    """Raised inside the write transaction when a chunk has no vector yet.

    Someone changed the article between our read and our lock. The caller
    leaves the transaction, embeds the missing texts, and tries again.
    """

    def __init__(self, hashes: set[str]) -> None:
        super().__init__(f"{len(hashes)} chunk(s) need embeddings")
        self.hashes = hashes


class _ArticleChanged(Exception):
    """The article's text changed after we chunked it: chunk it again."""


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


def _write_article(
    *,
    parsed: ParsedArticle,
    vectors: dict[str, list[float]],
    embedder: Embedder,
    article_id: int | None = None,
    expected_hash: str | None = None,
) -> ArticleSyncResult:
    """Upsert one article and make its chunks match ``parsed`` (one transaction).

    Chunks whose hash already exists in this article are kept (moved if their
    position changed); new ones get a vector from ``vectors`` or, failing
    that, from an identical chunk elsewhere; the rest are deleted. Raises
    :class:`_NeedVectors` before writing anything if a vector is missing.
    With ``article_id`` (re-embedding after an admin edit) the article row is
    not touched except for its content_hash, and ``expected_hash`` guards
    against an edit that landed after we chunked.
    """
    now = timezone.now()
    with transaction.atomic():
        if article_id is not None:
            article = KnowledgeArticle.objects.select_for_update().filter(pk=article_id).first()
            if article is None:
                raise KnowledgeArticle.DoesNotExist(f"knowledge article {article_id} no longer exists")
            if expected_hash is not None and article_content_hash(title=article.title, body=article.body) != expected_hash:
                raise _ArticleChanged  # edited again meanwhile
            created = False
        else:
            article = KnowledgeArticle.objects.select_for_update().filter(slug=parsed.slug).first()
            created = article is None
            if article is None:
                article = KnowledgeArticle.objects.create(
                    slug=parsed.slug,
                    title=parsed.title,
                    category=parsed.category,
                    body=parsed.body,
                    source=parsed.source,
                    content_hash=parsed.content_hash,
                )

        existing = list(
            KnowledgeChunk.objects.filter(article=article)
            .values("id", "position", "content_hash", "heading", "text", "embedding_model")
            .annotate(has_vector=Q(embedding__isnull=False))
        )
        reusable: dict[str, list[dict[str, Any]]] = {}
        for row in existing:
            if row["has_vector"] and row["embedding_model"] == embedder.name:
                reusable.setdefault(row["content_hash"], []).append(row)

        keep: list[tuple[dict[str, Any], ParsedChunk]] = []
        new: list[tuple[ParsedChunk, str]] = []
        for chunk in parsed.chunks:
            content_hash = chunk.content_hash(embedder_name=embedder.name)
            rows = reusable.get(content_hash)
            if rows:
                keep.append((rows.pop(0), chunk))
            else:
                new.append((chunk, content_hash))

        needed = {h for _c, h in new if h not in vectors}
        copied: dict[str, list[float]] = {}
        if needed:
            # An identical chunk elsewhere (an article renamed to a new slug,
            # say) already has the vector: copy it instead of embedding again.
            for content_hash, vector in KnowledgeChunk.objects.filter(
                content_hash__in=needed, embedding_model=embedder.name, embedding__isnull=False
            ).values_list("content_hash", "embedding"):
                copied[content_hash] = list(vector)
            missing = needed - copied.keys()
            if missing:
                raise _NeedVectors(missing)

        kept_ids = {row["id"] for row, _c in keep}
        stale_ids = [row["id"] for row in existing if row["id"] not in kept_ids]
        if stale_ids:
            KnowledgeChunk.objects.filter(id__in=stale_ids).delete()
        moved = [(row, chunk) for row, chunk in keep
                 if row["position"] != chunk.position or row["heading"] != chunk.heading or row["text"] != chunk.text]
        if moved:
            # (article, position) is unique and checked row by row: park the
            # moving rows out of the way first, then put them in place.
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
                        content_hash=content_hash,
                        embedding_model=embedder.name,
                        embedding=vectors.get(content_hash) or copied[content_hash],
                        created_at=now,
                    )
                    for chunk, content_hash in new
                ]
            )

        fields_changed = False
        if article_id is not None:
            if article.content_hash != parsed.content_hash:
                KnowledgeArticle.objects.filter(pk=article.pk).update(content_hash=parsed.content_hash)
                fields_changed = True
        elif not created:
            wanted = {
                "title": parsed.title,
                "category": parsed.category,
                "body": parsed.body,
                "source": parsed.source,
                "content_hash": parsed.content_hash,
            }
            changes = {name: value for name, value in wanted.items() if getattr(article, name) != value}
            if changes:
                # A queryset update: no post_save, so no re-embed task for a
                # row whose chunks were just written here.
                KnowledgeArticle.objects.filter(pk=article.pk).update(**changes, updated_at=now)
                fields_changed = True

    embedded = sum(1 for _c, h in new if h in vectors)
    return ArticleSyncResult(
        article_id=article.pk,
        created=created,
        changed=created or fields_changed or bool(new or stale_ids or moved),
        chunks_embedded=embedded,
        chunks_reused=len(keep) + (len(new) - embedded),
        chunks_deleted=len(stale_ids),
    )


def _sync_article(
    *,
    parsed: ParsedArticle,
    vectors: dict[str, list[float]],
    embedder: Embedder,
    progress: bool,
    article_id: int | None = None,
    expected_hash: str | None = None,
) -> ArticleSyncResult:
    """:func:`_write_article`, embedding whatever a concurrent edit left without a vector."""
    for _attempt in range(5):
        try:
            result = _write_article(
                parsed=parsed, vectors=vectors, embedder=embedder,
                article_id=article_id, expected_hash=expected_hash,
            )
        except _NeedVectors as need:
            texts = {c.content_hash(embedder_name=embedder.name): c.embed_text for c in parsed.chunks}
            vectors.update(
                _embed_missing({h: texts[h] for h in need.hashes}, embedder=embedder, progress=progress)
            )
            continue
        return result
    raise RuntimeError(f"knowledge article {parsed.slug!r} kept changing while it was being ingested")


def ingest_paths(paths: Sequence[str | Path], *, progress: bool = True) -> IngestReport:
    """Load markdown files (or folders of ``*.md``) into the knowledge base.

    Idempotent: articles are upserted by slug, and a chunk is embedded only
    when its text (or the embedding model) changed. Articles that came from
    one of these files but are no longer in it are deleted with their chunks;
    articles from other sources are never touched. A file that parses to no
    articles at all is reported and deletes nothing (an emptied file is more
    likely a mistake than a wish to wipe its articles).
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
            result = _sync_article(parsed=article, vectors=vectors, embedder=embedder, progress=progress)
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
            stale = KnowledgeArticle.objects.filter(source__in=sources_with_articles).exclude(slug__in=seen.keys())
            with transaction.atomic():
                report.chunks_deleted += KnowledgeChunk.objects.filter(article__in=stale).count()
                report.articles_deleted = stale.count()
                stale.delete()
    # Always, not only after changes: cheap, and a database loaded before
    # this code (or restored from a dump) gets its statistics too.
    refresh_search_statistics()
    return report


def refresh_search_statistics() -> None:
    """ANALYZE the chunk table, so search knows which words are too common to matter.

    Autovacuum would get there eventually; after an ingestion we want the
    common-lexeme cut-off (and the planner's estimates) right away. Cheap: a
    sample of at most 30,000 rows.
    """
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE crm_knowledgechunk")
    _lexeme_statistics_cache.clear()


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
                result = _sync_article(
                    parsed=parsed, vectors=vectors, embedder=embedder, progress=progress,
                    article_id=article.pk, expected_hash=parsed.content_hash,
                )
            except _ArticleChanged:
                continue  # edited after we read it: start over with the new text
            log.info(
                "knowledge article %s (%s): %d chunk(s) embedded, %d reused, %d deleted",
                article.pk, article.slug, result.chunks_embedded, result.chunks_reused, result.chunks_deleted,
            )
            return result
    raise RuntimeError(f"knowledge article {article_id} kept changing while it was being re-embedded")


# -- search -------------------------------------------------------------------


class InvalidQuery(ValueError):
    """The search request cannot be run as given; the message says why."""


@dataclass(frozen=True)
class KnowledgeHit:
    """One chunk that answers (part of) a query.

    ``score`` (0..1) orders the hits: half the chunk's cosine similarity to
    the query, half its reciprocal-rank-fusion score relative to the best
    possible (first in both retrievers). Hits come sorted by it. ``vector_score`` is the raw cosine
    similarity (-1..1; None if the chunk has no vector), ``text_rank`` the
    full-text ``ts_rank`` (0 when no query word matched).
    """

    chunk_id: int
    slug: str
    title: str
    category: str
    heading: str
    text: str
    score: float
    vector_score: float | None
    text_rank: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _validate(query: str, k: int, min_relevance: float | None) -> tuple[str, float]:
    if not isinstance(query, str):
        raise InvalidQuery(f"The search query must be text, not {type(query).__name__}.")
    cleaned = " ".join(query.split())
    if not cleaned:
        raise InvalidQuery("The search query is empty. Search with the customer's question in words.")
    if len(cleaned) > MAX_QUERY_CHARS:
        raise InvalidQuery(
            f"The search query is {len(cleaned):,} characters long; the limit is {MAX_QUERY_CHARS:,}. "
            "Search with the question itself, not the whole message."
        )
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise InvalidQuery(f"k must be a whole number from 1 to {MAX_K}, not {k!r}.")
    threshold = settings.KB_MIN_RELEVANCE if min_relevance is None else min_relevance
    return cleaned, float(threshold)


def _vector_literal(vector: Sequence[float]) -> str:
    return "[" + ",".join(f"{x:.6g}" for x in vector) + "]"


# Each retriever takes its own top CANDIDATES (the vector one through the
# HNSW index: its ORDER BY ... LIMIT must stay this simple for the planner to
# use it), then weighted reciprocal rank fusion, all in one statement. The
# full-text query is built beforehand by _text_query().
_SEARCH_SQL = """
WITH
tsq AS MATERIALIZED (
    SELECT %(tsquery)s::tsquery AS q
),
vec AS (
    SELECT c.id, c.embedding <=> %(vec)s::vector AS distance
    FROM crm_knowledgechunk c
    WHERE c.embedding IS NOT NULL {vec_filter}
    ORDER BY c.embedding <=> %(vec)s::vector
    LIMIT %(n)s
),
txt AS (
    SELECT c.id, ts_rank(c.search_vector, tsq.q) AS rank
    FROM crm_knowledgechunk c, tsq
    WHERE tsq.q IS NOT NULL AND c.search_vector @@ tsq.q {txt_filter}
    ORDER BY rank DESC, c.id
    LIMIT %(n)s
),
ranked AS (
    SELECT coalesce(v.id, t.id) AS id, v.vr, t.tr, coalesce(t.rank, 0) AS text_rank,
           coalesce(1.0 / (%(rrf_k)s + v.vr), 0) + coalesce(%(text_weight)s / (%(rrf_k)s + t.tr), 0) AS rrf
    FROM (SELECT id, row_number() OVER (ORDER BY distance, id) AS vr FROM vec) v
    FULL OUTER JOIN (SELECT id, rank, row_number() OVER (ORDER BY rank DESC, id) AS tr FROM txt) t
        ON v.id = t.id
)
SELECT r.id, a.slug, a.title, a.category, c.heading, c.text,
       1 - (c.embedding <=> %(vec)s::vector) AS cosine, r.text_rank, r.rrf, r.vr, r.tr
FROM ranked r
JOIN crm_knowledgechunk c ON c.id = r.id
JOIN crm_knowledgearticle a ON a.id = c.article_id
"""

_CATEGORY_FILTER = "AND c.article_id IN (SELECT id FROM crm_knowledgearticle WHERE category = %(category)s)"


def search_knowledge(
    query: str,
    *,
    k: int = 5,
    category: str | None = None,
    min_relevance: float | None = None,
) -> list[KnowledgeHit]:
    """The ``k`` chunks that best answer ``query``, best first; [] when nothing is relevant.

    Hybrid: semantic neighbours from the HNSW index and full-text matches,
    fused by reciprocal rank. The relevance gate is the best cosine
    similarity among the semantic candidates: below ``min_relevance``
    (default ``settings.KB_MIN_RELEVANCE``) the knowledge base has nothing on
    the subject and the answer is []. At most two chunks per article, so the
    hits span several articles when several are relevant. ``category``
    restricts both retrievers. Raises :class:`InvalidQuery` for an empty
    query, one over 2,000 characters, or ``k`` outside 1..20.
    """
    text, threshold = _validate(query, k, min_relevance)
    vector = get_embedder().embed_one(text)  # the only model call of a search
    rows = _search_rows(text, vector=vector, category=category)
    return _fuse(rows, k=k, threshold=threshold)


@dataclass(frozen=True)
class _LexemeStatistics:
    """How common each frequent lexeme is among the chunks, from PostgreSQL's own statistics."""

    frequency: dict[str, float]  # fraction of chunks that contain the lexeme
    rarest: float  # the lowest listed frequency: unlisted lexemes are rarer still
    chunks: float  # estimated rows in the table
    fetched_at: float


#: How long a process trusts its copy of the statistics. They only change
#: when the table is analysed (after each ingestion, or by autovacuum).
LEXEME_STATISTICS_TTL = 300.0
_lexeme_statistics_cache: dict[str, _LexemeStatistics] = {}


def _lexeme_statistics() -> _LexemeStatistics:
    """ANALYZE's lexeme frequencies for the chunks' tsvector column (cached per process).

    For a tsvector column, ANALYZE records the most common lexemes and the
    fraction of rows containing each (pg_stats.most_common_elems and
    most_common_elem_freqs): document frequencies, maintained by PostgreSQL.
    Before the first ANALYZE there are none and every word counts as rare.
    """
    key = f"{connection.alias}:{connection.settings_dict.get('NAME')}"
    cached = _lexeme_statistics_cache.get(key)
    if cached is not None and time.monotonic() - cached.fetched_at < LEXEME_STATISTICS_TTL:
        return cached
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT m.elem, m.freq
            FROM pg_stats s,
                 unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS m(elem, freq)
            WHERE s.schemaname = current_schema() AND s.tablename = 'crm_knowledgechunk'
              AND s.attname = 'search_vector' AND m.elem IS NOT NULL
            """
        )
        frequency = {lexeme: float(freq) for lexeme, freq in cursor.fetchall()}
        cursor.execute("SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = to_regclass('crm_knowledgechunk')")
        row = cursor.fetchone()
    stats = _LexemeStatistics(
        frequency=frequency,
        rarest=min(frequency.values(), default=0.0),
        chunks=float(row[0]) if row else 0.0,
        fetched_at=time.monotonic(),
    )
    _lexeme_statistics_cache[key] = stats
    return stats


def _text_query(lexemes: Sequence[str], *, stats: _LexemeStatistics) -> str | None:
    """The full-text query for a search: an OR of its most telling words, or None.

    Questions are long, and an AND of every word of "hi, how do I get my
    invoice for march?" matches nothing; an OR of every word matches nearly
    everything, through words like "loomline" or "workspace" that are in a
    third of all chunks, and ranking every match of a pasted email took 5 s
    at 50,000 chunks. So, an IDF cut-off from the statistics:

    * words in more than COMMON_FRACTION of the chunks are left out;
    * words the statistics list (so they do occur) come first, rarest first;
      then unlisted words in the order they were written. An unlisted word is
      either rare or absent; in a signature ("Marta Kowalski, +48 22 555...")
      it is usually absent, and should not crowd out "card" and "payment";
    * at most MAX_TEXT_TERMS words, and a word is skipped when it would take
      the expected number of matching chunks past MAX_TEXT_MATCHES.

    A query of only common words leaves the matching to the vectors.
    """
    candidates = []
    for position, lexeme in enumerate(dict.fromkeys(lexemes)):
        listed = stats.frequency.get(lexeme)
        frequency = listed if listed is not None else stats.rarest
        order = (0, frequency, position) if listed is not None else (1, 0.0, position)
        candidates.append((order, frequency, lexeme))
    candidates.sort()
    chosen: list[str] = []
    expected_matches = 0.0
    for _order, frequency, lexeme in candidates:
        if len(chosen) == MAX_TEXT_TERMS:
            break
        if frequency > COMMON_FRACTION or expected_matches + frequency * stats.chunks > MAX_TEXT_MATCHES:
            continue
        expected_matches += frequency * stats.chunks
        chosen.append(lexeme)
    if not chosen:
        return None
    # tsquery syntax: a quoted lexeme doubles its quotes and escapes backslashes.
    return " | ".join("'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'" for lexeme in chosen)


def _search_rows(text: str, *, vector: Sequence[float], category: str | None) -> list[dict[str, Any]]:
    """Both retrievers and the fusion; the candidates as dicts. Two statements in one transaction."""
    stats = _lexeme_statistics()
    ef_search = max(CANDIDATES, int(settings.KB_HNSW_EF_SEARCH))
    category_filter = _CATEGORY_FILTER if category else ""
    with transaction.atomic(), connection.cursor() as cursor:
        # One round trip for the settings of this transaction and the query's
        # lexemes (PostgreSQL's english stemming, as in search_vector).
        # set_config(..., true) is SET LOCAL: it ends with the transaction,
        # so a pooled connection does not carry it to the next request.
        #  - enable_seqscan off: pgvector prices an HNSW scan by ef_search,
        #    and on a few thousand rows the planner then prefers an exact
        #    sequential scan that is 10-20 times slower (15 ms against 0.6 ms
        #    at 3,000 chunks). The full-text side and the joins have indexes
        #    of their own.
        #  - iterative_scan with a category: a filtered HNSW scan would stop
        #    after ef_search candidates, mostly from other categories, and
        #    come back nearly empty; pgvector 0.8 keeps scanning until the
        #    LIMIT is met.
        cursor.execute(
            """
            SELECT set_config('hnsw.ef_search', %s, true),
                   set_config('enable_seqscan', 'off', true),
                   set_config('hnsw.iterative_scan', %s, true),
                   ARRAY(SELECT lexeme FROM unnest(to_tsvector('english', %s)) ORDER BY positions[1], lexeme)
            """,
            [str(ef_search), "strict_order" if category else "off", text],
        )
        lexemes: list[str] = cursor.fetchone()[3]
        params: dict[str, Any] = {
            "tsquery": _text_query(lexemes, stats=stats),
            "vec": _vector_literal(vector),
            "n": CANDIDATES,
            "rrf_k": RRF_K,
            "text_weight": TEXT_WEIGHT,
        }
        if category:
            params["category"] = category
        cursor.execute(_SEARCH_SQL.format(vec_filter=category_filter, txt_filter=category_filter), params)
        columns = [c.name for c in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _fuse(rows: list[dict[str, Any]], *, k: int, threshold: float) -> list[KnowledgeHit]:
    """Gate on the best semantic match, score, sort, and keep two chunks per article."""
    semantic = [float(r["cosine"]) for r in rows if r["vr"] is not None and r["cosine"] is not None]
    if not semantic or max(semantic) < threshold:
        return []
    # Rank 1 in both lists: the most fusion can give.
    best_rrf = (1.0 + TEXT_WEIGHT) / (RRF_K + 1)
    scored: list[tuple[float, dict[str, Any]]] = []
    for row in rows:
        cosine = float(row["cosine"]) if row["cosine"] is not None else 0.0
        # Half "how close in meaning" (comparable across queries), half "how
        # well placed by both retrievers" (the fusion). Sorting by it beat
        # plain RRF order on our own paraphrase set, and it keeps the number
        # the caller sees consistent with the order it sees.
        score = SCORE_COSINE_SHARE * max(cosine, 0.0) + (1 - SCORE_COSINE_SHARE) * float(row["rrf"]) / best_rrf
        scored.append((min(1.0, score), row))
    scored.sort(key=lambda item: (-item[0], item[1]["id"]))

    per_article: dict[str, int] = {}
    hits: list[KnowledgeHit] = []
    best_slug = scored[0][1]["slug"] if scored else None
    for score, row in scored:
        # The best article may give one passage more: an answer often needs its
        # introduction and its steps, which are separate chunks.
        cap = MAX_CHUNKS_PER_ARTICLE + (1 if row["slug"] == best_slug else 0)
        if per_article.get(row["slug"], 0) >= cap:
            continue
        per_article[row["slug"]] = per_article.get(row["slug"], 0) + 1
        hits.append(
            KnowledgeHit(
                chunk_id=row["id"],
                slug=row["slug"],
                title=row["title"],
                category=row["category"],
                heading=row["heading"],
                text=row["text"],
                score=round(score, 4),
                vector_score=None if row["cosine"] is None else round(float(row["cosine"]), 4),
                text_rank=round(float(row["text_rank"]), 4),
            )
        )
        if len(hits) == k:
            break
    return hits
