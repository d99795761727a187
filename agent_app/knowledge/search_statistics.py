"""Which query words full-text search uses, from PostgreSQL's own lexeme statistics.

A question pasted from an email has a hundred words; an OR of all of them matches
nearly every chunk. ANALYZE records how many chunks contain each common lexeme: words
that are everywhere are left out, the telling ones are kept (an IDF cut-off), and
ingestion refreshes the statistics so the cut-off is right at once.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection

__all__ = [
    "COMMON_FRACTION",
    "LEXEME_STATISTICS_TTL",
    "MAX_TEXT_MATCHES",
    "MAX_TEXT_TERMS",
    "LexemeStatistics",
    "lexeme_statistics",
    "refresh_search_statistics",
    "text_query",
]

#: Lexemes found in more than this fraction of chunks are too common to
#: search by (see text_query).
COMMON_FRACTION = 0.10
#: At most this many query words go to full-text search (chosen by text_query).
#: A pasted email has 100+ distinct words; ranking every chunk that shares
#: any of them took 5 s at 50,000 chunks.
MAX_TEXT_TERMS = 8
#: ... and only as many as together are expected (from the same statistics)
#: to match at most this many chunks: every match is ranked. A word in
#: thousands of chunks says little about any one of them anyway.
MAX_TEXT_MATCHES = 1000


@dataclass(frozen=True)
class LexemeStatistics:
    """How common each frequent lexeme is among the chunks, from PostgreSQL's own statistics."""

    frequency: dict[str, float]  # fraction of chunks that contain the lexeme
    rarest: float  # the lowest listed frequency: unlisted lexemes are rarer still
    chunks: float  # estimated rows in the table
    fetched_at: float


#: How long a process trusts its copy of the statistics. They only change
#: when the table is analysed (after each ingestion, or by autovacuum).
LEXEME_STATISTICS_TTL = 300.0
_lexeme_statistics_cache: dict[str, LexemeStatistics] = {}


def lexeme_statistics() -> LexemeStatistics:
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
    stats = LexemeStatistics(
        frequency=frequency,
        rarest=min(frequency.values(), default=0.0),
        chunks=float(row[0]) if row else 0.0,
        fetched_at=time.monotonic(),
    )
    _lexeme_statistics_cache[key] = stats
    return stats


def text_query(lexemes: Sequence[str], *, stats: LexemeStatistics) -> str | None:
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


def refresh_search_statistics() -> None:
    """ANALYZE the chunk table, so search knows which words are too common to matter.

    Autovacuum would get there eventually; after an ingestion we want the
    common-lexeme cut-off (and the planner's estimates) right away. Cheap: a
    sample of at most 30,000 rows.
    """
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE crm_knowledgechunk")
    _lexeme_statistics_cache.clear()
