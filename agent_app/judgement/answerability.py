"""Does a retrieved Help Centre passage answer the question? A trained decision.

For each of the top hits of the real knowledge search, a small feature vector:
cosine similarity and fused score, distance to the best hit, rank, margin between the
two best articles, IDF-weighted coverage of the question's key terms by the passage
and by its title and heading, steps for a "how" question, and the intent model's
probabilities (none, unanswerable, undocumented, bug, staff-only). A logistic
regression (``linear.fit`` with two classes) gives P(this passage answers it); the
agent answers from the best passage when that reaches the threshold chosen on
out-of-fold predictions, and otherwise hands the question to a person.

The IDF table is the Help Centre's own vocabulary, stored with the model: a key term the
Help Centre never uses ("Apple Watch") is exactly what an unanswerable question has.

No cross-encoder: PyPI has none packaged with its weights for offline use (see
docs/agent.md), and nothing may be downloaded at run time.
"""
from __future__ import annotations

import json
import math
import re
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from agent_app.judgement import corpus
from agent_app.judgement.intents import MODEL_DIR, IntentScores, ModelMissing
from agent_app.judgement.linear import LinearModel, fit, fit_temperature, softmax, stratified_folds

TOP_HITS = 5
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
FEATURES = ["similarity", "score", "gap_to_best", "rank", "article_margin", "coverage", "title_coverage",
            "best_other_coverage", "same_article_hits", "steps_for_how", "question_words", "sim_x_coverage",
            "p_none", "p_unanswerable", "p_undocumented", "p_bug", "p_staff_only", "unknown_terms",
            "max_missing_idf", "missing_rare_terms", "best_sentence_coverage", "article_coverage",
            "best_sentence_similarity", "sentence_similarity_gap", "unanswerable_x_coverage",
            "unanswerable_x_similarity", "capability_question", "capability_x_coverage", "none_x_similarity"]
_CAPABILITY = re.compile(r"\b(?:can (?:i|we|you|it)|is (?:it|there)|are there|does (?:it|loomline)|do you|could (?:i|we)|"
                         r"possible|support(?:s|ed)?|any way|option to|allow)\b", re.I)
_SENT = re.compile(r"(?<=[.!?])\s+|\n+")


def stem(word: str) -> str:
    word = word.strip("'-")
    for suffix in ("ations", "ation", "ings", "ing", "ies", "ied", "es", "ed", "ly", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            word = word[: -len(suffix)]
            break
    return word[:7]


def key_terms(text: str) -> list[str]:
    seen: list[str] = []
    for w in _WORD.findall(text.lower().replace("\u2019", "'")):
        if w in _STOP or len(w) < 3 or w.isdigit():
            continue
        s = stem(w)
        if s not in seen:
            seen.append(s)
    return seen


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
    parts += [x.strip() for x in _SENT.split(hit.get("text", "")) if len(x.strip()) > 3]
    return [p for p in parts if p][:24]


@dataclass
class _Model:
    model: LinearModel
    idf: dict[str, float]
    idf_unknown: float
    threshold: float
    meta: dict
    sentences: SentenceVectors


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
    arrays = np.load(weights_path)
    store = np.load(MODEL_DIR / "sentences.npz")
    sentences = SentenceVectors([str(k) for k in store["keys"]], store["vectors"])
    with _lock:
        _loaded = _Model(model=LinearModel(weights=arrays["weights"], bias=arrays["bias"],
                                           temperature=float(meta["temperature"])),
                         idf=meta["idf"], idf_unknown=float(meta["idf_unknown"]), threshold=float(meta["threshold"]),
                         meta=meta, sentences=sentences)
    return _loaded


def reset() -> None:
    global _loaded
    with _lock:
        _loaded = None


def coverage(terms: list[str], text: str, idf: dict[str, float], unknown: float) -> float:
    """IDF-weighted share of ``terms`` that ``text`` contains (0..1)."""
    if not terms:
        return 0.0
    found = set(key_terms(text))
    total = sum(idf.get(t, unknown) for t in terms)
    return sum(idf.get(t, unknown) for t in terms if t in found) / total if total else 0.0


def hit_features(question: str, hits: list[dict[str, Any]], scores: IntentScores | None, *,
                 idf: dict[str, float], unknown: float, sentences: SentenceVectors,
                 question_vector: np.ndarray | None = None) -> np.ndarray:
    """One row of FEATURES per hit (at most TOP_HITS)."""
    from agent_app.judgement import features

    hits = hits[:TOP_HITS]
    question = _core(question)
    qv = features.embed([question])[0] if question_vector is None else question_vector
    sent_sims = []
    for h in hits:
        vecs = sentences.get(passage_sentences(h))
        sent_sims.append(float((vecs @ qv).max()) if len(vecs) else 0.0)
    best_sent = max(sent_sims) if sent_sims else 0.0
    terms = key_terms(question)
    sims = [float(h.get("similarity", h.get("vector_score")) or 0.0) for h in hits]
    best_sim = max(sims) if sims else 0.0
    per_article: dict[str, float] = {}
    for h, s in zip(hits, sims, strict=True):
        per_article[h["slug"]] = max(per_article.get(h["slug"], -1.0), s)
    ordered = sorted(per_article.values(), reverse=True)
    margin = ordered[0] - ordered[1] if len(ordered) > 1 else ordered[0] if ordered else 0.0
    covs = [coverage(terms, f"{h.get('title', '')} {h.get('heading', '')} {h.get('text', '')}", idf, unknown) for h in hits]
    unknown_share = (sum(1 for t in terms if t not in idf) / len(terms)) if terms else 0.0
    how = bool(_HOW.search(question))
    capability = 1.0 if _CAPABILITY.search(question) else 0.0
    p = (lambda c: scores.p(c) if scores else 0.0)
    article_text: dict[str, str] = {}
    for h in hits:
        article_text[h["slug"]] = article_text.get(h["slug"], h.get("title", "")) + " " + h.get("heading", "") + " " + h.get("text", "")
    rows = []
    for i, (h, s) in enumerate(zip(hits, sims, strict=True)):
        present = set(key_terms(f"{h.get('title', '')} {h.get('heading', '')} {h.get('text', '')}"))
        missing = [idf.get(t, unknown) for t in terms if t not in present]
        sentences = [x for x in _SENT.split(h.get("text", "")) if x.strip()]
        best_sentence = max((coverage(terms, x, idf, unknown) for x in sentences), default=0.0)
        title_cov = coverage(terms, f"{h.get('title', '')} {h.get('heading', '')}", idf, unknown)
        others = [c for j, c in enumerate(covs) if hits[j]["slug"] != h["slug"]]
        rows.append([
            s, float(h.get("score", 0.0)), s - best_sim, i / TOP_HITS, margin, covs[i], title_cov,
            (max(others) if others else 0.0) - covs[i], sum(1 for x in hits if x["slug"] == h["slug"]) / TOP_HITS,
            1.0 if how and _STEP_LINE.search(h.get("text", "")) else 0.0, math.log1p(len(terms)) / 4, s * covs[i],
            p(corpus.NONE), p(corpus.UNANSWERABLE), p(corpus.KB_UNDOCUMENTED), p(corpus.KB_BUG), p(corpus.KB_STAFF_ONLY),
            unknown_share, (max(missing) if missing else 0.0) / unknown,
            math.log1p(sum(1 for v in missing if v >= 0.6 * unknown)) / 2, best_sentence,
            coverage(terms, article_text[h["slug"]], idf, unknown), sent_sims[i], sent_sims[i] - best_sent,
            p(corpus.UNANSWERABLE) * covs[i], p(corpus.UNANSWERABLE) * s, capability, capability * covs[i],
            p(corpus.NONE) * s,
        ])
    return np.asarray(rows, dtype=np.float32).reshape(len(rows), len(FEATURES))


def _core(text: str) -> str:
    from agent_app.policy import message_core

    return message_core(text)


@dataclass(frozen=True)
class Decision:
    answerable: bool
    probability: float
    hit: dict[str, Any] | None  # the passage to answer from
    why: str

    def as_dict(self) -> dict[str, Any]:
        return {"answerable": self.answerable, "probability": round(self.probability, 3),
                "slug": self.hit["slug"] if self.hit else None, "why": self.why}


def decide(question: str, hits: list[dict[str, Any]], scores: IntentScores | None) -> Decision:
    """Whether the best of ``hits`` answers ``question``, and which hit that is."""
    if not hits:
        return Decision(False, 0.0, None, "no Help Centre passage found")
    m = load()
    # The intent layer's vector of the message (one embedding per message); embedding the
    # question here only when no scores came with it.
    qv = scores.vector if scores is not None and scores.vector is not None else None
    x = hit_features(question, hits, scores, idf=m.idf, unknown=m.idf_unknown, sentences=m.sentences,
                     question_vector=qv)
    p = m.model.proba(x)[:, 1]
    best = int(np.argmax(p))
    hit = hits[best]
    if p[best] >= m.threshold:
        return Decision(True, float(p[best]), hit, f"'{hit['slug']}' answers it (p={p[best]:.2f})")
    return Decision(False, float(p[best]), hit, f"the closest passage ('{hit['slug']}', p={p[best]:.2f}) "
                                               "does not answer the question")


# --- training --------------------------------------------------------------------------------


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


def train_and_save(examples: list[corpus.Example], *, oof: np.ndarray, classes: list[str], k: int = 5,
                   log=print) -> str:
    """Build pairs with the real search, k-fold report, fit, choose the threshold, save."""
    idf, unknown = _idf_table()
    keys, vectors = _sentence_store()
    store = SentenceVectors(keys, vectors)
    rows, labels, groups, kinds, gold_found = [], [], [], [], []
    used = [(i, e) for i, e in enumerate(examples)
            if (e.label == corpus.NONE and e.article) or e.label in (corpus.UNANSWERABLE, corpus.KB_UNDOCUMENTED)]
    log(f"answerability: searching the Help Centre for {len(used)} training questions…")
    # The same vector the agent has at run time: the intent layer's embedding of the message.
    from agent_app.judgement.training import cached_embeddings

    qvecs = cached_embeddings([e.text for _, e in used])
    for qid, (i, e) in enumerate(used):
        hits = _search(_core(e.text))
        if not hits:
            rows.append(np.zeros((0, len(FEATURES)), dtype=np.float32))
        scores = IntentScores(probs={c: float(v) for c, v in zip(classes, oof[i], strict=True)})
        x = (hit_features(e.text, hits, scores, idf=idf, unknown=unknown, sentences=store, question_vector=qvecs[qid])
             if hits else np.zeros((0, len(FEATURES))))
        for j, h in enumerate(hits):
            rows.append(x[j:j + 1])
            labels.append(1 if e.label == corpus.NONE and h["slug"] == e.article else 0)
            groups.append(qid)
        kinds.append(e.label == corpus.NONE)
        gold_found.append(e.label == corpus.NONE and any(h["slug"] == e.article for h in hits))
    x = np.vstack([r for r in rows if len(r)]).astype(np.float32)
    y = np.asarray(labels, dtype=np.int64)
    g = np.asarray(groups, dtype=np.int64)
    qy = np.asarray([1 if kinds[q] else 0 for q in range(len(used))])
    qfold = stratified_folds(qy, k, seed=SEED)
    fold = qfold[g]
    logits = np.zeros((len(y), 2), dtype=np.float32)
    for f in range(k):
        m = fit(x[fold != f], y[fold != f], 2, l2=1e-3, steps=600, lr=0.05, seed=SEED)
        logits[fold == f] = m.logits(x[fold == f])
    temperature = fit_temperature(logits, y)
    p = softmax(logits / temperature)[:, 1]

    # Per question: the best hit and its probability; pick the threshold that handles the most
    # training questions right (an answerable one answered from its article, an unanswerable
    # one escalated), out of fold. Weighing the two kinds equally escalated too many
    # answerable questions; the training mix (about 2 answerable to 1 not) is closer to a
    # support inbox than an equal split, and still far more unanswerable-heavy than one.
    best_p = np.zeros(len(used))
    best_ok = np.zeros(len(used), dtype=bool)
    for q in range(len(used)):
        idx = np.where(g == q)[0]
        if len(idx) == 0:
            continue
        j = idx[np.argmax(p[idx])]
        best_p[q], best_ok[q] = p[j], y[j] == 1
    answerable = qy == 1
    best_t, best_score, table = 0.5, -1.0, []
    for t in np.round(np.arange(0.2, 0.81, 0.025), 3):
        answered_right = float(np.mean((best_p >= t) & best_ok & answerable) / max(np.mean(answerable), 1e-9))
        escalated = float(np.mean((best_p < t) & ~answerable) / max(np.mean(~answerable), 1e-9))
        score = float(np.mean(np.where(answerable, (best_p >= t) & best_ok, best_p < t)))
        table.append((t, answered_right, escalated))
        if score > best_score:
            best_t, best_score = float(t), score
    model = fit(x, y, 2, l2=1e-3, steps=600, lr=0.05, seed=SEED)
    model.temperature = temperature
    at = next(r for r in table if r[0] == best_t)
    retrieval = float(np.mean(np.asarray(gold_found)[answerable])) if answerable.any() else 0.0
    metrics = {"questions": len(used), "answerable": int(answerable.sum()), "unanswerable": int((~answerable).sum()),
               "gold_article_in_top5": round(retrieval, 3), "threshold": best_t,
               "answered_from_right_article": round(at[1], 3), "unanswerable_escalated": round(at[2], 3)}
    np.savez_compressed(MODEL_DIR / "answerability.npz", weights=model.weights, bias=model.bias)
    np.savez_compressed(MODEL_DIR / "sentences.npz", keys=np.array(keys), vectors=vectors.astype(np.float16))
    (MODEL_DIR / "answerability.json").write_text(json.dumps({
        "features": FEATURES, "temperature": round(temperature, 4), "threshold": best_t, "top_hits": TOP_HITS,
        "kfold": metrics, "idf_unknown": unknown, "idf": idf}, indent=0) + "\n")
    reset()
    return (f"\nanswerability, {k}-fold out-of-fold over {len(used)} questions (gold article in the top "
            f"{TOP_HITS}: {retrieval:.3f}):\n  threshold {best_t:.3f}: answerable answered from the right article "
            f"{at[1]:.3f}, unanswerable escalated {at[2]:.3f}")
