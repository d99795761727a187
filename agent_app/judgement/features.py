"""Message features for the intent and answerability models.

Two parts, concatenated: the bundled sentence embedding (all-MiniLM-L6-v2, always the
local one, whatever EMBEDDING_BACKEND says, because the classifier was trained in that
space) and hashed lexical features (word uni/bigrams with negation scope, character
3–5-grams for typos), plus a few shape features (length, question mark, shouting).
Hashing uses crc32, so the same text gives the same features in every process.
"""
from __future__ import annotations

import math
import re
import zlib
from collections.abc import Sequence

import numpy as np

from agent_app.plain_text import (
    MESSAGE_CHARS,
    emoji_words,
    message_core,
    plain_quotes,
    question_first,
    with_subject,
)

HASH_BITS = 12
HASH_DIM = 1 << HASH_BITS
EMBED_DIM = 384
SHAPE_DIM = 4
DIM = EMBED_DIM + 2 * HASH_DIM + SHAPE_DIM
#: Characters of a message the embedding sees (about 90 MiniLM tokens: the embedding's cost
#: grows with the length and the point of a message is nearly always near its start; the
#: lexical features read the whole message up to LEXICAL_CHARS).
EMBED_CHARS = 400
# What a customer message's embedding sees: its core (no greeting line, sign-off or
# signature, ``plain_text.message_core``), cut at MESSAGE_CHARS characters (``plain_text``, shared
# with the knowledge search). A greeting and a signature are tokens the embedding pays for (a
# fixed ~3 ms plus ~0.25 ms per token on one core) and that tell it nothing about the question.
LEXICAL_CHARS = 4000

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_NEGATORS = {"not", "no", "never", "without", "nor", "don't", "doesn't", "didn't", "isn't", "aren't", "wasn't",
             "won't", "can't", "cannot", "dont", "doesnt", "didnt", "isnt", "arent", "wasnt", "wont", "cant",
             "neither", "nothing", "hardly", "n't"}
_SCOPE_END = re.compile(r"[.,;:!?\n]|\bbut\b")


def normalise(text: str) -> str:
    return " ".join(emoji_words(plain_quotes(text)).split())


def tokens(text: str) -> list[str]:
    """Lowercase word tokens; the (up to) four words after a negation get a ``neg_`` prefix."""
    out: list[str] = []
    for clause in _SCOPE_END.split(text.lower()):
        scope = 0
        for word in _TOKEN.findall(clause):
            if word in _NEGATORS or word.endswith("n't"):
                out.append(word)
                scope = 4
                continue
            out.append(f"neg_{word}" if scope else word)
            scope = max(0, scope - 1)
    return out


def _bucket(feature: str) -> int:
    return zlib.crc32(feature.encode()) & (HASH_DIM - 1)


def _add(vec: np.ndarray, counts: dict[int, float]) -> None:
    if not counts:
        return
    idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
    val = np.fromiter((1.0 + math.log(c) for c in counts.values()), dtype=np.float32, count=len(counts))
    val /= max(float(np.linalg.norm(val)), 1e-9)
    vec[idx] += val


def lexical(text: str) -> tuple[np.ndarray, np.ndarray]:
    """(word features, character features), each L2-normalised, of HASH_DIM each."""
    text = normalise(text)[:LEXICAL_CHARS]
    words = tokens(text)
    wc: dict[int, float] = {}
    for i, w in enumerate(words):
        b = _bucket("w:" + w)
        wc[b] = wc.get(b, 0) + 1
        if i:
            b = _bucket(f"b:{words[i - 1]}_{w}")
            wc[b] = wc.get(b, 0) + 1
    cc: dict[int, float] = {}
    for w in dict.fromkeys(words):  # first-seen order: a set's order changes with PYTHONHASHSEED
        padded = f" {w.removeprefix('neg_')} "
        for n in (3, 4, 5):
            for j in range(max(1, len(padded) - n + 1)):
                b = _bucket("c:" + padded[j:j + n])
                cc[b] = cc.get(b, 0) + 1
    wv = np.zeros(HASH_DIM, dtype=np.float32)
    cv = np.zeros(HASH_DIM, dtype=np.float32)
    _add(wv, wc)
    _add(cv, cc)
    return wv, cv


def shape(text: str) -> np.ndarray:
    text = normalise(text)
    letters = [c for c in text if c.isalpha()]
    upper = sum(c.isupper() for c in letters) / len(letters) if len(letters) >= 8 else 0.0
    return np.array([math.log1p(len(text.split())) / 6.0, 1.0 if "?" in text else 0.0, upper,
                     min(text.count("!"), 5) / 5.0], dtype=np.float32)


def embed(texts: Sequence[str]) -> np.ndarray:
    """MiniLM vectors of the texts (first EMBED_CHARS characters). The local embedder
    remembers recent queries by their exact text, so the intent layer, the answerability
    decision and the knowledge search of the same message core run the model once."""
    from agent_app.embeddings import get_embedder

    clipped = [normalise(t)[:EMBED_CHARS] or "(empty)" for t in texts]
    return np.asarray(get_embedder("local").embed(clipped), dtype=np.float32).reshape(len(clipped), EMBED_DIM)


def message_text(text: str, *, subject: str = "") -> str:
    """The part of a customer message the embedding reads (see MESSAGE_CHARS): its core, after
    the email's subject as the knowledge search reads it (``plain_text.with_subject``)."""
    core = with_subject(message_core(text or ""), subject)
    core = question_first(normalise(core), longer_than=MESSAGE_CHARS)
    return core[:MESSAGE_CHARS] or normalise(f"{subject} {text}")[:MESSAGE_CHARS]


def embed_message(texts: Sequence[str]) -> np.ndarray:
    """MiniLM vectors of customer messages: the intent layer's and the answerability
    decision's (one embedding per message)."""
    return embed([message_text(t) for t in texts])


def featurise(texts: Sequence[str], *, embeddings: np.ndarray | None = None) -> np.ndarray:
    """The feature matrix (len(texts) x DIM) the intent model reads."""
    vectors = embed(texts) if embeddings is None else embeddings
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    out[:, :EMBED_DIM] = vectors
    for row, text in enumerate(texts):
        wv, cv = lexical(text)
        out[row, EMBED_DIM:EMBED_DIM + HASH_DIM] = wv
        out[row, EMBED_DIM + HASH_DIM:EMBED_DIM + 2 * HASH_DIM] = cv
        out[row, EMBED_DIM + 2 * HASH_DIM:] = shape(text)
    return out
