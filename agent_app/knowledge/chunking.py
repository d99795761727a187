"""Chunking: one article's markdown body into the pieces that are embedded and searched.

Each section (``###``, or any heading inside the body) becomes one chunk, so a hit
points at the part of the article that answers the question instead of a whole page.
Sections longer than the embedding model reads are split, with overlap, on paragraph
boundaries. A chunk's text is what is stored and shown; its ``embed_text`` (title and
section first) is what the model sees.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["MAX_CHUNK_WORDS", "OVERLAP_WORDS", "ParsedChunk", "chunk_article", "markdown_headings"]

#: A section longer than this many words is split. all-MiniLM-L6-v2 reads at
#: most 256 tokens (about 190 English words, plus the title we prefix); the
#: rest of a longer text would be silently ignored by the model.
MAX_CHUNK_WORDS = 180
#: Overlap carried into the next piece of a split section, so a sentence that
#: depends on the previous paragraph is still found.
OVERLAP_WORDS = 60


@dataclass(frozen=True)
class ParsedChunk:
    """One searchable piece of an article."""

    position: int
    heading: str  # "Article title › Section", or the title for the intro
    text: str  # the markdown as stored and shown
    embed_text: str  # what the model sees: title and section first, then the text

    def content_hash(self, *, embedder_name: str) -> str:
        """Decides re-embedding: same text, same model, same vector."""
        return hashlib.sha256(f"{embedder_name}\n{self.embed_text}".encode("utf-8")).hexdigest()


_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


def markdown_headings(lines: Sequence[str]) -> list[tuple[int, int, str]]:
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
    headings = markdown_headings(lines)
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
