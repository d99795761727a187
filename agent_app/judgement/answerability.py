"""Does a retrieved Help Centre passage answer the question? A trained decision.

For each of the top hits of the real knowledge search, a feature vector (FEATURES):
cosine similarity and fused score, distance to the best hit, rank, margin between the
two best articles, IDF-weighted coverage of the question's key terms by the passage,
its title and heading and its best sentence, steps for a "how" question, the intent
model's probabilities (none, unanswerable, undocumented, bug, staff-only); the hit's
article against the other retrieved articles (similarity, best-sentence similarity and
coverage margins, ranks); whether the passage and its best sentence hold the question's
rarest term; and how close the question is to the training questions answered from
this article, turned away although this article was the nearest, or answered and
turned away at all (``Neighbours``; a question never sees its own fold in training).
Gradient-boosted oblivious trees (``boost``) give P(this passage answers it); the agent
answers from the best passage when that reaches the threshold chosen on out-of-fold
predictions (the one that maximises the worse of "answerable answered from the right
article" and "unanswerable escalated"), and otherwise hands the question to a person.

The IDF table is the Help Centre's own vocabulary, stored with the model: a key term the
Help Centre never uses ("Apple Watch") is exactly what an unanswerable question has.

No cross-encoder: PyPI has none packaged with its weights for offline use (see
docs/agent.md), and nothing may be downloaded at run time.
"""
from __future__ import annotations

import functools
import json
import math
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np

from agent_app.judgement import boost, corpus, gist
from agent_app.judgement.intents import MODEL_DIR, IntentScores, ModelMissing
from agent_app.judgement.linear import LinearModel, fit, stratified_folds
from agent_app.plain_text import SENTENCE_BREAK, message_core

# The search hits the decision weighs: eight rather than five puts the right article among them more
# often (out of fold 0.926 -> 0.948) and the trees, with the article model, pick it (docs/agent.md).
TOP_HITS = 8
SEED = 7
_STOP = set("""a an the and or but if then else of to in on at by for with from is are was were be been being am
i me my we our us you your it its this that these those do does did done how what why where when which who whom
can could would should will shall may might must have has had having please hi hello hey thanks thank there here
not no yes just also very really still any some get got want need trying try tried use using used help question
loomline so as about into out up down over more most much many one all each other than too only own same like
know let make way there's it's i'm we're i've we've don't doesn't can't cannot im ive dont doesnt cant is isnt
hi dear regards best cheers team anyone someone something thing things able possible via per""".split())
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_STEP_LINE = re.compile(r"^\s*\d+[.)]\s", re.M)
_HOW = re.compile(r"\b(?:how|where|steps?|set ?up|turn on|enable|change|reset|add|remove|connect|install)\b", re.I)
BASE_FEATURES = ["similarity", "score", "gap_to_best", "rank", "article_margin", "coverage", "title_coverage",
                 "best_other_coverage", "same_article_hits", "steps_for_how", "question_words", "sim_x_coverage",
                 "p_none", "p_unanswerable", "p_undocumented", "p_bug", "p_staff_only", "unknown_terms",
                 "max_missing_idf", "missing_rare_terms", "best_sentence_coverage", "article_coverage",
                 "best_sentence_similarity", "sentence_similarity_gap", "unanswerable_x_coverage",
                 "unanswerable_x_similarity", "capability_question", "capability_x_coverage", "none_x_similarity"]
# The hit's article against the other retrieved articles, and the question's rarest terms.
ARTICLE_FEATURES = ["article_sim_margin", "article_sentence_margin", "article_coverage_margin", "similarity_rank",
                    "article_rank", "article_similarity", "article_sentence_similarity", "article_best_coverage",
                    "rarest_term_in_passage", "rarest_term_in_best_sentence", "rarest_term_idf",
                    "two_rarest_in_passage", "core_length", "top_similarity_margin"]
# How close the question is to the training questions: answered from this article, turned
# away although this article was the nearest, and any answered / unanswerable one.
NEIGHBOUR_FEATURES = ["nn_answered_here", "nn3_answered_here", "nn_unanswerable_here", "nn3_answered",
                      "nn3_unanswerable"]
# Which article a softmax regression over the message's features (the intent layer's
# vector and lexical features) says the question is about: the hit's article's probability,
# its margin over the other retrieved articles, the highest probability of any article, and
# the probability of its one extra class, "no article" (trained on the questions the Help
# Centre doesn't answer: out of fold it lifted answered-right 0.772 -> 0.782 at about equal
# escalation, where a low highest-article probability alone could not tell "no article" from
# "several articles").
ARTICLE_MODEL_FEATURES = ["p_article", "p_article_margin", "p_article_max", "p_no_article"]
FEATURES = BASE_FEATURES + ARTICLE_FEATURES + NEIGHBOUR_FEATURES + ARTICLE_MODEL_FEATURES
_CAPABILITY = re.compile(r"\b(?:can (?:i|we|you|it)|is (?:it|there)|are there|does (?:it|loomline)|do you|could (?:i|we)|"
                         r"possible|support(?:s|ed)?|any way|option to|allow)\b", re.I)


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    word = word.strip("'-")
    for suffix in ("ations", "ation", "ings", "ing", "ies", "ied", "es", "ed", "ly", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            word = word[: -len(suffix)]
            break
    return word[:7]


def key_terms(text: str) -> list[str]:
    return list(_terms(text))


@functools.lru_cache(maxsize=8192)
def _terms(text: str) -> tuple[str, ...]:
    # Help Centre passages and their sentences come back again and again: their terms are
    # remembered (the text is the key, so an edited passage is simply a new entry).
    seen: dict[str, None] = {}
    for w in _WORD.findall(text.lower().replace("\u2019", "'")):
        if w in _STOP or len(w) < 3 or w.isdigit():
            continue
        seen.setdefault(stem(w))
    return tuple(seen)


@functools.lru_cache(maxsize=8192)
def _term_set(text: str) -> frozenset[str]:
    return frozenset(_terms(text))


class SentenceVectors:
    """Embeddings of the Help Centre's sentences, keyed by a hash of the sentence.

    Built with the model (``sentences.npz``) so a decision embeds only the question;
    a sentence the artifact lacks (the Help Centre changed since training) is embedded
    once and kept for the life of the process.
    """

    def __init__(self, keys: list[str], vectors: np.ndarray) -> None:
        self._index = {k: i for i, k in enumerate(keys)}
        self._vectors = vectors.astype(np.float32)
        self._extra: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(sentence: str) -> str:
        import hashlib

        return hashlib.blake2b(" ".join(sentence.split()).encode(), digest_size=8).hexdigest()

    def get(self, sentences: list[str]) -> np.ndarray:
        keys = [self.key(x) for x in sentences]
        missing = [(k, x) for k, x in zip(keys, sentences, strict=True) if k not in self._index and k not in self._extra]
        if missing:
            from agent_app.judgement import features

            vectors = features.embed([x for _, x in missing])
            with self._lock:
                for (k, _), v in zip(missing, vectors, strict=True):
                    self._extra[k] = v
                if len(self._extra) > 20000:  # a runaway knowledge base: start again
                    self._extra.clear()
        out = np.zeros((len(keys), 384), dtype=np.float32)
        for i, k in enumerate(keys):
            j = self._index.get(k)
            out[i] = self._vectors[j] if j is not None else self._extra.get(k, out[i])
        return out


def passage_sentences(hit: dict[str, Any]) -> list[str]:
    parts = [hit.get("heading") or hit.get("title") or ""]
    parts += [x.strip() for x in SENTENCE_BREAK.split(hit.get("text", "")) if len(x.strip()) > 3]
    return [p for p in parts if p][:24]


@functools.lru_cache(maxsize=8192)
def _as_read(text: str) -> str:
    # The Help Centre's units and headings come back reply after reply; reading one (the markdown
    # stripped) costs more than the rest of answered_by.
    from agent_app.formatting import as_read

    return as_read(text)


class Neighbours:
    """The training questions' vectors, with the article each was answered from (or, for one
    the Help Centre doesn't answer, the nearest wrong article when the corpus names it), and for
    an answerable one the section and the words that answer it, and the file it came from."""

    def __init__(self, vectors: np.ndarray, articles: list[str], answerable: np.ndarray, *,
                 sections: list[str] | None = None, facts: list[str] | None = None,
                 sources: list[str] | None = None) -> None:
        from agent_app.formatting import as_read

        v = vectors.astype(np.float32)
        self.vectors = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-9)
        self.articles = np.asarray(articles)
        self.answerable = np.asarray(answerable, dtype=bool)
        blank = [""] * len(articles)
        self.sections = [as_read(x) for x in sections or blank]
        self.facts = [as_read(x) for x in facts or blank]
        self.sources = np.asarray(sources or blank)
        # Per article, the answerable training questions that name their section or answering words.
        self._by_article: dict[str, list[int]] = {}
        for i, (article, answered) in enumerate(zip(self.articles, self.answerable, strict=True)):
            if answered and (self.sections[i] or self.facts[i]):
                self._by_article.setdefault(str(article), []).append(i)

    def answered_by(self, vector: np.ndarray, slug: str, units: list[tuple[str, str]], *,
                    leave_out: str | None = None) -> list[tuple[float, float]]:
        """For each (text, heading) of one article's units: how close the question is to the
        training questions answered from that unit's section, and to those whose answering words
        the unit holds ("questions like yours were answered by this sentence"). ``leave_out``: a
        training file whose questions don't count (measuring on a file's own lines, whose
        paraphrases sit next to them)."""
        rows = [i for i in self._by_article.get(slug, []) if leave_out is None or self.sources[i] != leave_out]
        if not rows:
            return [(0.0, 0.0)] * len(units)
        sims = self.similarities(vector)[rows]
        out = []
        for text, heading in units:
            said, under = _as_read(text), _as_read(heading)
            section = max((float(s) for s, i in zip(sims, rows, strict=True)
                           if self.sections[i] and self.sections[i] in under), default=0.0)
            words = max((float(s) for s, i in zip(sims, rows, strict=True)
                         if self.facts[i] and self.facts[i] in said), default=0.0)
            out.append((section, words))
        return out

    def similarities(self, vector: np.ndarray) -> np.ndarray:
        return self.vectors @ (vector / max(float(np.linalg.norm(vector)), 1e-9))

    def rows(self, sims: np.ndarray, slugs: list[str], allowed: np.ndarray | None = None) -> np.ndarray:
        """NEIGHBOUR_FEATURES per slug from the question's similarities to the training questions
        (only the ``allowed`` ones: training leaves a question's own fold out)."""
        ok = np.ones(len(sims), dtype=bool) if allowed is None else allowed

        def top(mask: np.ndarray, k: int) -> float:
            v = sims[mask]
            if not len(v):
                return 0.0
            return float(np.sort(v)[-k:].mean()) if k > 1 else float(v.max())

        pos, neg = ok & self.answerable, ok & ~self.answerable
        any_pos, any_neg = top(pos, 3), top(neg, 3)
        out = np.zeros((len(slugs), len(NEIGHBOUR_FEATURES)), dtype=np.float32)
        for i, slug in enumerate(slugs):
            here = self.articles == slug
            out[i] = [top(pos & here, 1), top(pos & here, 3), top(neg & here, 1), any_pos, any_neg]
        return out


def article_rows(probs: np.ndarray, index: dict[str, int], slugs: list[str]) -> np.ndarray:
    """ARTICLE_MODEL_FEATURES per hit from one question's probabilities (``index``: the column
    of each article the model knows; the last column is "no article")."""
    articles, none = probs[:-1], float(probs[-1])
    here = {slug: float(articles[index[slug]]) if slug in index else 0.0 for slug in slugs}
    top = float(articles.max()) if len(articles) else 0.0
    out = np.zeros((len(slugs), len(ARTICLE_MODEL_FEATURES)), dtype=np.float32)
    for i, slug in enumerate(slugs):
        other = max((v for k, v in here.items() if k != slug), default=0.0)
        out[i] = [here[slug], here[slug] - other, top, none]
    return out


@dataclass
class ArticleModel:
    """P(article | message) over the Help Centre's articles and "no article", from the training
    questions (the model has one column more than ``slugs``: the last is "no article")."""

    model: LinearModel
    slugs: list[str]

    def __post_init__(self) -> None:
        self.index = {s: i for i, s in enumerate(self.slugs)}

    def rows(self, x: np.ndarray, slugs: list[str]) -> np.ndarray:
        """ARTICLE_MODEL_FEATURES per hit for one message's feature row."""
        return article_rows(self.model.proba(np.atleast_2d(x))[0], self.index, slugs)


#: The article model's settings (softmax regression, chosen out of fold).
ARTICLE_L2, ARTICLE_STEPS = 1e-4, 300


def fit_article_model(x: np.ndarray, articles: list[str | None], slugs: list[str]) -> LinearModel:
    """``articles``: each row's article, or None for a question the Help Centre doesn't answer
    (the "no article" class, the last column)."""
    y = np.asarray([len(slugs) if a is None else slugs.index(a) for a in articles], dtype=np.int64)
    return fit(x, y, len(slugs) + 1, l2=ARTICLE_L2, steps=ARTICLE_STEPS, seed=SEED)


@dataclass
class _Model:
    model: boost.Boosted
    idf: dict[str, float]
    idf_unknown: float
    threshold: float
    meta: dict
    sentences: SentenceVectors
    neighbours: Neighbours
    articles: ArticleModel


_lock = threading.Lock()
_loaded: _Model | None = None


def load() -> _Model:
    global _loaded
    if _loaded is not None:
        return _loaded
    meta_path, weights_path = MODEL_DIR / "answerability.json", MODEL_DIR / "answerability.npz"
    if not meta_path.exists():
        raise ModelMissing("no answerability model; run `manage.py train_intents`")
    meta = json.loads(meta_path.read_text())
    if meta.get("features") != FEATURES:
        raise ModelMissing("the answerability model was trained on other features; run `manage.py train_intents`")
    arrays = np.load(weights_path)
    store = np.load(MODEL_DIR / "sentences.npz")
    sentences = SentenceVectors([str(k) for k in store["keys"]], store["vectors"])
    model = boost.Boosted.from_arrays(arrays)
    if "neighbour_sections" not in arrays:
        # The composer's unit scorer reads these (nn_section, nn_fact): without them two of its
        # strongest features would silently be zero.
        raise ModelMissing("the answerability model has no unit neighbours; run `manage.py train_intents`")
    neighbours = Neighbours(arrays["neighbour_vectors"], [str(a) for a in arrays["neighbour_articles"]],
                            arrays["neighbour_answerable"],
                            sections=[str(x) for x in arrays["neighbour_sections"]],
                            facts=[str(x) for x in arrays["neighbour_facts"]],
                            sources=[str(x) for x in arrays["neighbour_sources"]])
    articles = ArticleModel(LinearModel(weights=arrays["article_weights"].astype(np.float32),
                                        bias=arrays["article_bias"].astype(np.float32)),
                            [str(a) for a in arrays["article_slugs"]])
    with _lock:
        _loaded = _Model(model=model, idf=meta["idf"], idf_unknown=float(meta["idf_unknown"]),
                         threshold=float(meta["threshold"]), meta=meta, sentences=sentences, neighbours=neighbours,
                         articles=articles)
    return _loaded


def reset() -> None:
    global _loaded
    with _lock:
        _loaded = None
        _decisions.clear()


def forget_decisions() -> None:
    """Forget recent decisions (benchmarks measure a decision, not the look-up)."""
    with _lock:
        _decisions.clear()


def coverage(terms: list[str], text: str, idf: dict[str, float], unknown: float) -> float:
    """IDF-weighted share of ``terms`` that ``text`` contains (0..1)."""
    if not terms:
        return 0.0
    return _coverage_of(terms, _term_set(text), idf, unknown)


def _coverage_of(terms: list[str], found: set[str], idf: dict[str, float], unknown: float) -> float:
    total = sum(idf.get(t, unknown) for t in terms)
    return sum(idf.get(t, unknown) for t in terms if t in found) / total if total else 0.0


def hit_features(question: str, hits: list[dict[str, Any]], scores: IntentScores | None, *,
                 idf: dict[str, float], unknown: float, sentences: SentenceVectors,
                 question_vector: np.ndarray | None = None) -> np.ndarray:
    """One row of BASE_FEATURES + ARTICLE_FEATURES per hit (at most TOP_HITS); the
    NEIGHBOUR_FEATURES are appended by the caller (they depend on which training questions
    may be looked at)."""
    from agent_app.judgement import features

    hits = hits[:TOP_HITS]
    question = message_core(question)
    qv = features.embed_message([question])[0] if question_vector is None else question_vector
    sent_sims = []
    for h in hits:
        vecs = sentences.get(passage_sentences(h))
        sent_sims.append(float((vecs @ qv).max()) if len(vecs) else 0.0)
    best_sent = max(sent_sims) if sent_sims else 0.0
    terms = key_terms(question)
    sims = [float(h.get("similarity", h.get("vector_score")) or 0.0) for h in hits]
    best_sim = max(sims) if sims else 0.0
    slugs = [h["slug"] for h in hits]
    per_article: dict[str, float] = {}
    per_article_sentence: dict[str, float] = {}
    for slug, s, ss in zip(slugs, sims, sent_sims, strict=True):
        per_article[slug] = max(per_article.get(slug, -1.0), s)
        per_article_sentence[slug] = max(per_article_sentence.get(slug, -1.0), ss)
    ordered = sorted(per_article.values(), reverse=True)
    margin = ordered[0] - ordered[1] if len(ordered) > 1 else ordered[0] if ordered else 0.0
    passage_terms = [_term_set(f"{h.get('title', '')} {h.get('heading', '')} {h.get('text', '')}") for h in hits]
    covs = [_coverage_of(terms, found, idf, unknown) for found in passage_terms]
    per_article_cov: dict[str, float] = {}
    for slug, c in zip(slugs, covs, strict=True):
        per_article_cov[slug] = max(per_article_cov.get(slug, 0.0), c)
    unknown_share = (sum(1 for t in terms if t not in idf) / len(terms)) if terms else 0.0
    how = bool(_HOW.search(question))
    capability = 1.0 if _CAPABILITY.search(question) else 0.0
    p = (lambda c: scores.p(c) if scores else 0.0)
    article_text: dict[str, str] = {}
    for h in hits:
        article_text[h["slug"]] = article_text.get(h["slug"], h.get("title", "")) + " " + h.get("heading", "") + " " + h.get("text", "")
    rarity = sorted(terms, key=lambda t: -idf.get(t, unknown))
    rarest = rarity[0] if rarity else None
    sorted_sims = sorted(sims, reverse=True)
    top_margin = sorted_sims[0] - sorted_sims[1] if len(sorted_sims) > 1 else 0.0
    rows = []
    for i, (h, s) in enumerate(zip(hits, sims, strict=True)):
        slug, present = slugs[i], passage_terms[i]
        missing = [idf.get(t, unknown) for t in terms if t not in present]
        best_sentence, best_sentence_terms = 0.0, frozenset()
        for x in SENTENCE_BREAK.split(h.get("text", "")):
            if not x.strip():
                continue
            found = _term_set(x)
            c = _coverage_of(terms, found, idf, unknown)
            if c > best_sentence:
                best_sentence, best_sentence_terms = c, found
        title_cov = coverage(terms, f"{h.get('title', '')} {h.get('heading', '')}", idf, unknown)
        others = [c for j, c in enumerate(covs) if slugs[j] != slug]
        other_sim = max((v for k, v in per_article.items() if k != slug), default=0.0)
        other_sentence = max((v for k, v in per_article_sentence.items() if k != slug), default=0.0)
        other_cov = max((v for k, v in per_article_cov.items() if k != slug), default=0.0)
        rows.append([
            s, float(h.get("score", 0.0)), s - best_sim, i / TOP_HITS, margin, covs[i], title_cov,
            (max(others) if others else 0.0) - covs[i], sum(1 for x in hits if x["slug"] == slug) / TOP_HITS,
            1.0 if how and _STEP_LINE.search(h.get("text", "")) else 0.0, math.log1p(len(terms)) / 4, s * covs[i],
            p(corpus.NONE), p(corpus.UNANSWERABLE), p(corpus.KB_UNDOCUMENTED), p(corpus.KB_BUG), p(corpus.KB_STAFF_ONLY),
            unknown_share, (max(missing) if missing else 0.0) / unknown,
            math.log1p(sum(1 for v in missing if v >= 0.6 * unknown)) / 2, best_sentence,
            coverage(terms, article_text[slug], idf, unknown), sent_sims[i], sent_sims[i] - best_sent,
            p(corpus.UNANSWERABLE) * covs[i], p(corpus.UNANSWERABLE) * s, capability, capability * covs[i],
            p(corpus.NONE) * s,
            # ARTICLE_FEATURES
            per_article[slug] - other_sim, per_article_sentence[slug] - other_sentence, per_article_cov[slug] - other_cov,
            sum(1 for v in sims if v > s) / TOP_HITS, sum(1 for v in per_article.values() if v > per_article[slug]) / 3,
            per_article[slug], per_article_sentence[slug], per_article_cov[slug],
            1.0 if rarest and rarest in present else 0.0, 1.0 if rarest and rarest in best_sentence_terms else 0.0,
            idf.get(rarest, unknown) / unknown if rarest else 0.0,
            sum(1 for t in rarity[:2] if t in present) / max(1, len(rarity[:2])), len(question) / 1000, top_margin,
        ])
    width = len(BASE_FEATURES) + len(ARTICLE_FEATURES)
    return np.asarray(rows, dtype=np.float32).reshape(len(rows), width)


@dataclass(frozen=True)
class Decision:
    answerable: bool
    probability: float
    hit: dict[str, Any] | None  # the passage to answer from
    why: str

    def as_dict(self) -> dict[str, Any]:
        return {"answerable": self.answerable, "probability": round(self.probability, 3),
                "slug": self.hit["slug"] if self.hit else None, "why": self.why}


#: Recent decisions: the offline model decides before it writes and governance decides again
#: before the reply may go, on the same question, hits and scores.
_decisions: OrderedDict[tuple, Decision] = OrderedDict()
_DECISIONS_KEPT = 64


def decide(question: str, hits: list[dict[str, Any]], scores: IntentScores | None) -> Decision:
    """Whether the best of ``hits`` answers ``question``, and which hit that is."""
    if not hits:
        return Decision(False, 0.0, None, "no Help Centre passage found")
    key = (question, tuple((h.get("slug"), h.get("heading"), h.get("text"), h.get("similarity"), h.get("vector_score"), h.get("score"))
                           for h in hits[:TOP_HITS]),
           tuple(sorted(scores.probs.items())) if scores is not None else None)
    with _lock:
        known = _decisions.get(key)
        if known is not None:
            _decisions.move_to_end(key)
            return known
    decision = _decide(question, hits, scores)
    with _lock:
        _decisions[key] = decision
        while len(_decisions) > _DECISIONS_KEPT:
            _decisions.popitem(last=False)
    return decision


def _decide(question: str, hits: list[dict[str, Any]], scores: IntentScores | None) -> Decision:
    from agent_app.judgement import features

    m = load()
    hits = hits[:TOP_HITS]
    # The intent layer's vector of the message (one embedding per message); embedding the
    # question here only when no scores came with it.
    qv = scores.vector if scores is not None and scores.vector is not None else features.embed_message([question])[0]
    x = hit_features(question, hits, scores, idf=m.idf, unknown=m.idf_unknown, sentences=m.sentences,
                     question_vector=qv)
    slugs = [h["slug"] for h in hits]
    row = scores.features if scores is not None and scores.features is not None else \
        features.featurise([features.normalise(question)], embeddings=qv[None, :])[0]
    x = np.hstack([x, m.neighbours.rows(m.neighbours.similarities(qv), slugs),
                   m.articles.rows(row, slugs)])
    p = m.model.proba(x)
    best = int(np.argmax(p))
    hit = hits[best]
    if p[best] >= m.threshold:
        return Decision(True, float(p[best]), hit, f"'{hit['slug']}' answers it (p={p[best]:.2f})")
    return Decision(False, float(p[best]), hit, f"the closest passage ('{hit['slug']}', p={p[best]:.2f}) "
                                               "does not answer the question")


# --- training --------------------------------------------------------------------------------

#: The boosted trees' settings (chosen out of fold; see docs/agent.md).
TREES, DEPTH, LEARNING_RATE = 200, 4, 0.1


def _idf_table() -> tuple[dict[str, float], float]:
    from crm.models import KnowledgeChunk

    docs = [f"{c.article.title} {c.heading} {c.text}" for c in KnowledgeChunk.objects.select_related("article")]
    if not docs:
        raise RuntimeError("the Help Centre is not in the database; run `manage.py ingest_kb` first")
    df: dict[str, int] = {}
    for d in docs:
        for t in set(key_terms(d)):
            df[t] = df.get(t, 0) + 1
    n = len(docs)
    idf = {t: round(math.log((n + 1) / (c + 0.5)), 3) for t, c in sorted(df.items())}
    return idf, round(math.log((n + 1) / 0.5), 3)


def _sentence_store() -> tuple[list[str], np.ndarray]:
    from agent_app.judgement import features
    from crm.models import KnowledgeChunk

    seen: dict[str, str] = {}
    for c in KnowledgeChunk.objects.select_related("article").order_by("pk"):
        for x in passage_sentences({"title": c.article.title, "heading": c.heading, "text": c.text}):
            seen.setdefault(SentenceVectors.key(x), x)
    keys = sorted(seen)
    return keys, features.embed([seen[k] for k in keys])


def _search(query: str) -> list[dict[str, Any]]:
    # The one place the judgement package calls the knowledge search (training only; at run
    # time it reads the hits the agent's search tool returned).
    from agent_app.knowledge.search import search_knowledge

    out = []
    for h in search_knowledge(query[:1900], k=TOP_HITS):
        d = h.as_dict()
        out.append({"slug": d["slug"], "title": d["title"], "heading": d["heading"], "score": d["score"],
                    "similarity": d["vector_score"] or 0.0, "text": d["text"]})
    return out


def choose_threshold(best_p: np.ndarray, best_ok: np.ndarray, answerable: np.ndarray
                     ) -> tuple[float, list[tuple[float, float, float]]]:
    """The threshold that maximises the worse of the two rates (answerable questions answered
    from their article, unanswerable ones escalated), ties broken by questions handled right.

    Both aims are the same (at least 0.90 each), so neither kind may be traded away for the
    other; maximising the total instead let the more numerous answerable questions buy
    answers with unanswerable ones."""
    table, best_t, best_key = [], 0.5, (-1.0, -1.0)
    for t in np.round(np.arange(0.05, 0.951, 0.0125), 4):
        right = (best_p >= t) & best_ok
        answered_right = float(right[answerable].mean()) if answerable.any() else 0.0
        escalated = float((best_p < t)[~answerable].mean()) if (~answerable).any() else 0.0
        handled = float(np.mean(np.where(answerable, right, best_p < t)))
        table.append((float(t), answered_right, escalated))
        key = (round(min(answered_right, escalated), 6), round(handled, 6))
        if key > best_key:
            best_t, best_key = float(t), key
    return best_t, table


def loss_split(best_p: np.ndarray, best_ok: np.ndarray, gold_found: np.ndarray, answerable: np.ndarray,
               threshold: float) -> dict[str, float]:
    """Where the answerable questions not answered from their article are lost, as shares of
    all answerable questions: the search never returned the article, another hit scored
    higher, or the article's hit scored best but under the threshold. Says which part of the
    gate (retrieval, ranking, the yes/no) to work on."""
    n = max(1, int(answerable.sum()))
    parts = {"not_retrieved": answerable & ~gold_found, "not_chosen": answerable & gold_found & ~best_ok,
             "below_threshold": answerable & best_ok & (best_p < threshold)}
    return {k: round(float(v.sum()) / n, 3) for k, v in parts.items()}


def _save_oof_decisions(used: list[tuple[int, corpus.Example]], slugs: list[str], p: np.ndarray,
                        threshold: float) -> None:
    """Each training question's out-of-fold decision (not committed), to see which articles are
    mistaken for which without training again."""
    from agent_app.judgement.training import scratch_path

    path = scratch_path("answerability-oof.jsonl")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps({"text": e.text, "label": e.label, "article": e.article, "source": e.source,
                                        "chosen": slug, "p": round(float(q), 4), "answered": bool(q >= threshold)})
                            + "\n" for (_, e), slug, q in zip(used, slugs, p, strict=True)))


def train_and_save(examples: list[corpus.Example], *, oof: np.ndarray, classes: list[str], k: int = 5,
                   log=print) -> str:
    """Build pairs with the real search, k-fold report, fit, choose the threshold, save."""
    idf, unknown = _idf_table()
    keys, vectors = _sentence_store()
    store = SentenceVectors(keys, vectors)
    used = [(i, e) for i, e in enumerate(examples) if e.gate and (
            (e.label == corpus.NONE and e.article) or e.label in (corpus.UNANSWERABLE, corpus.KB_UNDOCUMENTED))]
    log(f"answerability: searching the Help Centre for {len(used)} training questions…")
    # The same vector the agent has at run time: the intent layer's embedding of the message.
    from agent_app.judgement.training import cached_embeddings

    texts = [gist.english(e.text) for _, e in used]  # what the gate reads at run time (policy.question_text)
    qvecs = cached_embeddings(texts)
    answerable = np.asarray([e.label == corpus.NONE for _, e in used])
    neighbours = Neighbours(qvecs, [e.article or "" for _, e in used], answerable)
    rows, labels, groups, hit_slugs, gold_found = [], [], [], [], []
    for qid, (i, e) in enumerate(used):
        hits = _search(message_core(texts[qid]))
        scores = IntentScores(probs={c: float(v) for c, v in zip(classes, oof[i], strict=True)})
        if hits:
            rows.append(hit_features(texts[qid], hits, scores, idf=idf, unknown=unknown, sentences=store,
                                     question_vector=qvecs[qid]))
        hit_slugs.append([h["slug"] for h in hits])
        for h in hits:
            labels.append(1 if e.label == corpus.NONE and h["slug"] == e.article else 0)
            groups.append(qid)
        gold_found.append(e.label == corpus.NONE and any(h["slug"] == e.article for h in hits))
    base = np.vstack(rows).astype(np.float32)
    y = np.asarray(labels, dtype=np.int64)
    g = np.asarray(groups, dtype=np.int64)
    qfold = stratified_folds(answerable.astype(np.int64), k, seed=SEED)
    sims = neighbours.vectors @ neighbours.vectors.T

    # The article model, stacked like the neighbours: a question's article probabilities come
    # from a model that never saw its fold, and in the k-fold report never the predicted fold.
    from agent_app.judgement import features

    log("answerability: fitting the article model per fold…")
    xq = features.featurise(texts, embeddings=qvecs)
    article_slugs = sorted({e.article for _, e in used if e.label == corpus.NONE and e.article})
    articles_of = [e.article if e.label == corpus.NONE else None for _, e in used]

    def article_probs(excluded: set[int]) -> np.ndarray:
        rows_ = ~np.isin(qfold, list(excluded))
        m_ = fit_article_model(xq[rows_], [articles_of[q] for q in np.where(rows_)[0]], article_slugs)
        return m_.proba(xq)

    probs_without = {frozenset([f]): article_probs({f}) for f in range(k)}
    probs_without.update({frozenset([f, h]): article_probs({f, h}) for f in range(k) for h in range(f + 1, k)})
    article_index = {s: i for i, s in enumerate(article_slugs)}

    def with_neighbours(questions: np.ndarray, left_out: int | None) -> np.ndarray:
        # A question never sees itself or its own fold; in the k-fold report the fold being
        # predicted is also invisible to the training rows.
        out = []
        for q in questions:
            allowed = qfold != qfold[q]
            excluded = {int(qfold[q])}
            if left_out is not None:
                allowed &= qfold != left_out
                excluded.add(int(left_out))
            out.append(np.hstack([neighbours.rows(sims[q], hit_slugs[q], allowed),
                                  article_rows(probs_without[frozenset(excluded)][q], article_index, hit_slugs[q])]))
        return np.hstack([base[np.isin(g, questions)], np.vstack(out)])

    p = np.zeros(len(y))
    fold = qfold[g]
    for f in range(k):
        train_q = np.asarray([q for q in range(len(used)) if qfold[q] != f and hit_slugs[q]])
        test_q = np.asarray([q for q in range(len(used)) if qfold[q] == f and hit_slugs[q]])
        m = boost.fit(with_neighbours(train_q, f), y[fold != f], trees=TREES, depth=DEPTH, lr=LEARNING_RATE)
        p[fold == f] = m.proba(with_neighbours(test_q, None))

    # Per question: the best hit and its probability, out of fold.
    best_p = np.zeros(len(used))
    best_ok = np.zeros(len(used), dtype=bool)
    best_slug = [""] * len(used)
    for q in range(len(used)):
        idx = np.where(g == q)[0]
        if len(idx) == 0:
            continue
        j = idx[np.argmax(p[idx])]
        best_p[q], best_ok[q], best_slug[q] = p[j], y[j] == 1, hit_slugs[q][j - idx[0]]
    best_t, table = choose_threshold(best_p, best_ok, answerable)
    _save_oof_decisions(used, best_slug, best_p, best_t)
    losses = loss_split(best_p, best_ok, np.asarray(gold_found), answerable, best_t)
    all_q = np.asarray([q for q in range(len(used)) if hit_slugs[q]])
    model = boost.fit(with_neighbours(all_q, None), y, trees=TREES, depth=DEPTH, lr=LEARNING_RATE)
    article_model = fit_article_model(xq, articles_of, article_slugs)
    at = next(r for r in table if r[0] == best_t)
    retrieval = float(np.mean(np.asarray(gold_found)[answerable])) if answerable.any() else 0.0
    metrics = {"questions": len(used), "answerable": int(answerable.sum()), "unanswerable": int((~answerable).sum()),
               "gold_article_in_top5": round(retrieval, 3), "best_hit_is_gold": round(float(best_ok[answerable].mean()), 3),
               "threshold": best_t, "answered_from_right_article": round(at[1], 3),
               "unanswerable_escalated": round(at[2], 3), "answerable_lost": losses}
    np.savez_compressed(MODEL_DIR / "answerability.npz", **model.arrays(), neighbour_vectors=qvecs.astype(np.float16),
                        neighbour_articles=np.array([e.article or "" for _, e in used]),
                        neighbour_answerable=answerable,
                        neighbour_sections=np.array([e.section or "" for _, e in used]),
                        neighbour_facts=np.array([e.fact or "" for _, e in used]),
                        neighbour_sources=np.array([e.source for _, e in used]), article_weights=article_model.weights.astype(np.float16),
                        article_bias=article_model.bias.astype(np.float32), article_slugs=np.array(article_slugs))
    np.savez_compressed(MODEL_DIR / "sentences.npz", keys=np.array(keys), vectors=vectors.astype(np.float16))
    (MODEL_DIR / "answerability.json").write_text(json.dumps({
        "features": FEATURES, "model": {"trees": TREES, "depth": DEPTH, "learning_rate": LEARNING_RATE},
        "threshold": best_t, "top_hits": TOP_HITS, "kfold": metrics, "idf_unknown": unknown, "idf": idf},
        indent=0) + "\n")
    reset()
    # Per training file at the chosen threshold: files written at different times differ in
    # difficulty, so a figure over a grown corpus is only comparable file by file.
    sources = np.asarray([e.source for _, e in used])
    per_file = []
    right = (best_p >= best_t) & best_ok
    for src in sorted(set(sources)):
        a, u = answerable & (sources == src), ~answerable & (sources == src)
        per_file.append(f"  {src}: answerable answered from the right article "
                        f"{float(right[a].mean()) if a.any() else 0:.3f} ({int(a.sum())}), unanswerable escalated "
                        f"{float((best_p < best_t)[u].mean()) if u.any() else 0:.3f} ({int(u.sum())})")
    return (f"\nanswerability, {k}-fold out-of-fold over {len(used)} questions (gold article in the top "
            f"{TOP_HITS}: {retrieval:.3f}, best-scored hit is the gold article: {metrics['best_hit_is_gold']:.3f}):\n"
            f"  threshold {best_t:.4f}: answerable answered from the right article "
            f"{at[1]:.3f}, unanswerable escalated {at[2]:.3f}\n"
            f"  answerable questions lost: right article not among the hits {losses['not_retrieved']:.3f}, among them "
            f"but another scored higher {losses['not_chosen']:.3f}, chosen but below the threshold "
            f"{losses['below_threshold']:.3f}\n" + "\n".join(per_file))
