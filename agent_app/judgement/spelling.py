"""Customers' typing slips mended before the models read an English message: "pasword" as "password".

The models match words: the knowledge search's full text, the answerability gate's coverage of the question's key
terms, the composer's choice of the sentence that states the fact. A slipped letter in the one word that names the
thing asked about ("how do I exprot my invoce") loses the article or the fact. So a word that is neither an
English word nor one of the Help Centre's is replaced by the known word one edit away (a letter dropped, added,
changed, or two swapped) that is most common, the Help Centre's own words first.

Known English words and how common they are come from pyspellchecker's English word list, a file inside the
package (nothing is downloaded). Only lower-case words of five letters or more are mended: short words have too
many neighbours, and names (often a line's first word), acronyms and product names are written with capitals. Foreign messages are not mended; their gist is read through a glossary
(``judgement.gist``).
"""
from __future__ import annotations

import functools
import gzip
import json
import re
from importlib import resources
from pathlib import Path

HELP_CENTRE = Path(__file__).resolve().parents[2] / "context" / "product-docs.md"
#: Shorter words have so many one-edit neighbours that the commonest is a guess.
MIN_LETTERS = 5
#: An English word is a mend only when at least this common (or a Help Centre word): rarer ones are as likely
#: to be a slip of their own as the word meant.
COMMON_COUNT = 500
#: The Help Centre's words outrank any other English word this many times as common.
HELP_CENTRE_WEIGHT = 1000

_LETTERS = "abcdefghijklmnopqrstuvwxyz"
# Whole words, accented letters and a contraction's apostrophe included, so that neither "trouvé" nor
# "doesn't" is read as a slipped English word ("trouv", "doesn").
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)?")


@functools.cache
def english_counts() -> dict[str, int]:
    """How often each English word occurs in pyspellchecker's list."""
    with resources.files("spellchecker").joinpath("resources/en.json.gz").open("rb") as raw:
        return json.loads(gzip.decompress(raw.read()))


@functools.cache
def help_centre_words() -> frozenset[str]:
    text = HELP_CENTRE.read_text(encoding="utf-8") if HELP_CENTRE.exists() else ""
    return frozenset(w.lower() for w in re.findall(r"[A-Za-z]+", text))


def _one_edit(word: str) -> set[str]:
    """The words one edit from ``word`` that keep its first letter (people seldom slip on the first)."""
    splits = [(word[:i], word[i:]) for i in range(1, len(word) + 1)]
    return ({a + b[1:] for a, b in splits if b}
            | {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
            | {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
            | {a + c + b for a, b in splits for c in _LETTERS})


def _contraction(word: str, counts: dict[str, int]) -> bool:
    """"didnt", "theres": a contraction typed without its apostrophe is a word, not a slip."""
    return any(f"{word[:i]}'{word[i:]}" in counts for i in range(len(word) - 2, len(word)))


@functools.lru_cache(maxsize=20000)
def mended(word: str) -> str:
    """``word`` (lower case) as meant: itself when known or when no known word is one edit away."""
    counts, help_words = english_counts(), help_centre_words()
    if len(word) < MIN_LETTERS or word in counts or word in help_words or _contraction(word, counts):
        return word
    best, best_score = word, 0
    for candidate in _one_edit(word):
        count = counts.get(candidate, 0)
        if candidate in help_words:
            score = HELP_CENTRE_WEIGHT * max(count, 1)
        elif count >= COMMON_COUNT:
            score = count
        else:
            continue
        if score > best_score or (score == best_score and score and candidate < best):
            best, best_score = candidate, score
    return best


def mend(text: str) -> str:
    """``text`` with its slipped English words mended; everything else as written."""
    if not text:
        return text

    def one(match: re.Match[str]) -> str:
        word = match.group()
        if not (word.isascii() and word.isalpha()) or len(word) < MIN_LETTERS:
            return word
        return mended(word) if word.islower() else word

    return _WORD.sub(one, text)
