"""Customers' typing slips mended before the models read an English message: "pasword" as "password".

The models match words: the knowledge search's full text, the answerability gate's coverage of the question's key
terms, the composer's choice of the sentence that states the fact. A slipped letter in the one word that names the
thing asked about ("how do I exprot my invoce") loses the article or the fact. So a word that is neither an
English word nor one of the Help Centre's is replaced by the known word one edit away (a letter dropped, added,
changed, or two swapped) that is most common, the Help Centre's own words first.

Known English words and how common they are come from pyspellchecker's English word list (a file inside the
package; nothing is downloaded), kept as ``model/english_words.npz``: each word's 64-bit BLAKE2 hash, sorted, and
its count (1.9 MB of arrays, where the list read as a dict took 28 MB of RSS). ``manage.py train_intents`` writes
it first (``write_english_words``), since training reads the mended text.

Only lower-case, unaccented words of five letters or more are mended: short words have too many neighbours, and
names (often a line's first word), acronyms and product names are written with capitals. Foreign messages are not
mended; their gist is read through a glossary (``judgement.gist``).
"""
from __future__ import annotations

import functools
import gzip
import hashlib
import json
import re
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

import numpy as np

HELP_CENTRE = Path(__file__).resolve().parents[2] / "context" / "product-docs.md"
#: Shorter words have so many one-edit neighbours that the commonest is a guess.
MIN_LETTERS = 5
#: An English word is a mend only when at least this common (or a Help Centre word): rarer ones are as likely
#: to be a slip of their own as the word meant.
COMMON_COUNT = 500
#: The Help Centre's words outrank any other English word this many times as common.
HELP_CENTRE_WEIGHT = 1000
ENGLISH_WORDS = Path(__file__).resolve().parent / "model" / "english_words.npz"

_LETTERS = "abcdefghijklmnopqrstuvwxyz"
# Whole words, accented letters and a contraction's apostrophe included, so that neither "trouvé" nor
# "doesn't" is read as a slipped English word ("trouv", "doesn").
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)?")


def _hashes(words: Iterable[str]) -> np.ndarray:
    return np.fromiter((int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "little", signed=True)
                        for w in words), dtype=np.int64)


def write_english_words(path: Path = ENGLISH_WORDS) -> int:
    """Write ``path`` from pyspellchecker's English list (deterministic); returns the number of words."""
    with resources.files("spellchecker").joinpath("resources/en.json.gz").open("rb") as raw:
        counts: dict[str, int] = json.loads(gzip.decompress(raw.read()))
    hashes = _hashes(counts)
    order = np.argsort(hashes, kind="stable")
    np.savez_compressed(path, hashes=hashes[order], counts=np.fromiter(counts.values(), dtype=np.int32)[order])
    if path == ENGLISH_WORDS:  # the list this process reads changed, and what was mended with it
        english_words.cache_clear()
        mended.cache_clear()
    return len(counts)


@functools.cache
def english_words() -> tuple[np.ndarray, np.ndarray]:
    """The English list's hashes (sorted) and counts."""
    with np.load(ENGLISH_WORDS) as data:
        return data["hashes"], data["counts"]


def english_counts(words: list[str]) -> list[int]:
    """How often each of ``words`` occurs in the English list (0 for a word it lacks)."""
    hashes, counts = english_words()
    wanted = _hashes(words)
    at = np.minimum(np.searchsorted(hashes, wanted), len(hashes) - 1)
    return np.where(hashes[at] == wanted, counts[at], 0).tolist()


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


def _contraction(word: str) -> bool:
    """"didnt", "theres": a contraction typed without its apostrophe is a word, not a slip."""
    return any(english_counts([f"{word[:i]}'{word[i:]}" for i in range(len(word) - 2, len(word))]))


@functools.lru_cache(maxsize=20000)
def mended(word: str) -> str:
    """``word`` (lower case) as meant: itself when known or when no known word is one edit away."""
    help_words = help_centre_words()
    if len(word) < MIN_LETTERS or word in help_words or english_counts([word])[0] or _contraction(word):
        return word
    candidates = sorted(_one_edit(word))
    best, best_score = word, 0
    for candidate, count in zip(candidates, english_counts(candidates)):
        if candidate in help_words:
            score = HELP_CENTRE_WEIGHT * max(count, 1)
        elif count >= COMMON_COUNT:
            score = count
        else:
            continue
        if score > best_score:
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
