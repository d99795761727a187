"""Parsing: a markdown document into knowledge articles, each with its chunks.

The help centre is one markdown file: ``## Title`` starts an article, the next line
carries ``<!-- slug: ...; category: ... -->``, and ``###`` headings split it into
sections (chunked by :mod:`agent_app.knowledge.chunking`). Plain markdown files without
the slug comment work too (the slug comes from the title).
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from agent_app.knowledge.chunking import ParsedChunk, chunk_article, markdown_headings

__all__ = ["ParsedArticle", "article_content_hash", "parse_markdown"]


@dataclass(frozen=True)
class ParsedArticle:
    """One article of a markdown document, with its chunks."""

    slug: str
    title: str
    category: str
    body: str
    source: str
    chunks: tuple[ParsedChunk, ...]

    @property
    def content_hash(self) -> str:
        return article_content_hash(title=self.title, body=self.body)


_META_COMMENT = re.compile(r"^\s*<!--(.*?)-->\s*$")
_META_PAIR = re.compile(r"^\s*([A-Za-z_-]+)\s*:\s*(.*?)\s*$")


def article_content_hash(*, title: str, body: str) -> str:
    """The hash of what an article's chunks derive from (stored on the article).

    The post_save signal compares it with the saved row to tell an edit of the
    text (re-embed) from one of, say, the category (nothing to do).
    """
    return hashlib.sha256(f"{title.strip()}\n\n{body.strip()}".encode("utf-8")).hexdigest()


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
    headings = markdown_headings(lines)
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
