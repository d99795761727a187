"""Training the intent model: k-fold figures, calibration, thresholds, the artifact.

Deterministic: fixed seeds, full-batch optimisation, features that do not depend on
the process (crc32 hashing, the bundled embedding model). No network.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from agent_app.judgement import features, gist
from agent_app.judgement.corpus import CLASSES, NONE, Example, corpus_digest
from agent_app.judgement.intents import MODEL_DIR
from agent_app.judgement.linear import LinearModel, fit, fit_temperature, softmax, stratified_folds
from agent_app.plain_text import casual_writing

SEED = 20261202
L2 = 3e-5
STEPS = 400
#: Whether training reads the casual variants of the email and form lines (``casual_variants``).
CASUAL_VARIANTS = True
# Classes whose probability alone can escalate (the reasons, and the knowledge_not_found
# kinds the rules send to a person), with the precision the threshold must keep on
# out-of-fold predictions.
TRIGGER_CLASSES = CLASSES[:9]
TARGET_PRECISION = 0.92
HARD_REASON_CLASSES = CLASSES[:6]
HARD_REASON_MAX_THRESHOLD = 0.5
KB_LIKE_CLASSES = ["kb_bug", "kb_staff_only", "kb_undocumented", "unanswerable", "still_failing", "not_helpful"]


@dataclass
class IntentTraining:
    model: LinearModel
    classes: list[str]
    oof: np.ndarray  # out-of-fold calibrated probabilities, rows as the examples
    thresholds: dict[str, float]
    per_class: dict[str, dict[str, float]] = field(default_factory=dict)
    accuracy: float = 0.0
    #: The six hard reasons together at their thresholds, out of fold: of the messages where
    #: one fires, the share whose label is a hard reason, and of those, the share where one fires.
    hard_reasons: dict[str, float] = field(default_factory=dict)
    #: How many casual variants (``casual_variants``) the fits read; 0 without them.
    casual_variants: int = 0


def _hard_reasons(oof: np.ndarray, y: np.ndarray, classes: list[str], thresholds: dict[str, float]) -> dict[str, float]:
    hard = [classes.index(c) for c in HARD_REASON_CLASSES]
    fired = np.zeros(len(y), dtype=bool)
    for i in hard:
        fired |= oof[:, i] >= thresholds[classes[i]]
    positive = np.isin(y, hard)
    hits = int(np.sum(fired & positive))
    return {"precision": round(hits / max(1, int(fired.sum())), 3), "recall": round(hits / max(1, int(positive.sum())), 3)}


def _none_escalated(oof: np.ndarray, y: np.ndarray, classes: list[str], thresholds: dict[str, float]) -> float:
    """The share of "none" lines (ordinary questions) on which some trigger class fires."""
    none = y == classes.index(NONE)
    fired = np.zeros(int(none.sum()), dtype=bool)
    for c, t in thresholds.items():
        fired |= oof[none, classes.index(c)] >= t
    return float(fired.mean()) if none.any() else 0.0


def _per_class(y: np.ndarray, pred: np.ndarray, classes: list[str]) -> dict[str, dict[str, float]]:
    out = {}
    for i, c in enumerate(classes):
        tp = int(np.sum((pred == i) & (y == i)))
        fp = int(np.sum((pred == i) & (y != i)))
        fn = int(np.sum((pred != i) & (y == i)))
        out[c] = {"precision": round(tp / (tp + fp), 3) if tp + fp else 0.0,
                  "recall": round(tp / (tp + fn), 3) if tp + fn else 0.0, "support": int(np.sum(y == i))}
    return out


def _threshold(p: np.ndarray, positive: np.ndarray) -> float:
    """The lowest probability at which the class still fires with TARGET_PRECISION out of fold."""
    best = 0.5
    for t in np.round(np.arange(0.25, 0.91, 0.05), 2):
        fired = p >= t
        if fired.sum() == 0:
            continue
        precision = float(np.sum(fired & positive) / fired.sum())
        if precision >= TARGET_PRECISION:
            return float(t)
        best = float(t)
    return best


def casual_variants(examples: list[Example]) -> list[tuple[int, str]]:
    """(index, text) of a casually written variant (``plain_text.casual_writing``) of each email,
    form or channel-less line that punctuation or capitals change. WhatsApp lines are mostly
    written that way already; emails and form messages almost never are, and without a "?" the
    intent layer read a casual question as something only staff can answer (docs/agent.md, 12-04)."""
    out = []
    for i, e in enumerate(examples):
        if e.channel != "whatsapp" and (variant := casual_writing(e.text)) and variant != e.text.strip():
            out.append((i, variant))
    return out


def train(examples: list[Example], *, k: int = 5, log=print, casual: bool = CASUAL_VARIANTS) -> IntentTraining:
    """Fit on the examples meant for the intent layer; ``oof`` covers every example (a gate-only
    one is predicted by the final model, which never saw it), since the gate weighs it.

    With ``casual``, each fit also reads the casual variants of its lines (``casual_variants``;
    a variant sits in its line's fold, so out of fold it is never seen through its original).
    The out-of-fold figures, calibration and thresholds are over the written lines alone, as
    without them; the variants' own out-of-fold figures are logged either way."""
    classes = list(CLASSES)
    every = examples
    examples = [e for e in every if e.intents]
    texts = [gist.english(e.text) for e in examples]  # what the model reads at run time (intents.classify)
    y = np.array([classes.index(e.label) for e in examples], dtype=np.int64)
    log(f"featurising {len(texts)} messages…")
    x = features.featurise(texts, embeddings=cached_embeddings(texts))
    folds = stratified_folds(y, k, seed=SEED)
    variants = casual_variants(examples)
    of = np.array([i for i, _ in variants], dtype=np.int64)
    vtexts = [gist.english(t) for _, t in variants]  # read as at run time: its own language
    xv = features.featurise(vtexts, embeddings=cached_embeddings(vtexts))
    yv, vfolds = y[of], folds[of]
    log(f"  {len(variants)} casual variants ({'trained on' if casual else 'only measured'})")
    logits = np.zeros((len(y), len(classes)), dtype=np.float32)
    vlogits = np.zeros((len(yv), len(classes)), dtype=np.float32)
    for f in range(k):
        train_rows, test_rows = folds != f, folds == f
        fx, fy = x[train_rows], y[train_rows]
        if casual:
            fx, fy = np.concatenate([fx, xv[vfolds != f]]), np.concatenate([fy, yv[vfolds != f]])
        m = fit(fx, fy, len(classes), l2=L2, steps=STEPS, seed=SEED)
        logits[test_rows] = m.logits(x[test_rows])
        vlogits[vfolds == f] = m.logits(xv[vfolds == f])
        log(f"  fold {f + 1}/{k} done")
    temperature = fit_temperature(logits, y)
    oof = softmax(logits / temperature)
    pred = oof.argmax(axis=1)
    # A knowledge_not_found kind that fires escalates as knowledge_not_found: its precision is
    # that of the escalation, so any message a person should get for that reason (another
    # knowledge_not_found kind, "still failing", "didn't help", a question the Help Centre
    # doesn't answer) counts as right.
    kb_like = np.isin(y, [classes.index(c) for c in KB_LIKE_CLASSES])
    thresholds = {c: _threshold(oof[:, i], kb_like if c in KB_LIKE_CLASSES else y == i)
                  for i, c in enumerate(classes) if c in TRIGGER_CLASSES}
    # A hard trigger that is the most likely reading always fires: "unsure whether a trigger
    # applies? Escalate" (escalation-rules.md). Tuning only lowers its threshold below 0.5.
    for c in HARD_REASON_CLASSES:
        thresholds[c] = min(thresholds[c], HARD_REASON_MAX_THRESHOLD)
    model = fit(np.concatenate([x, xv]) if casual else x, np.concatenate([y, yv]) if casual else y, len(classes),
                l2=L2, steps=STEPS, seed=SEED)
    model.temperature = temperature
    per_class, accuracy = _per_class(y, pred, classes), round(float(np.mean(pred == y)), 3)
    hard = _hard_reasons(oof, y, classes, thresholds)
    if variants:
        voof = softmax(vlogits / temperature)
        vhard = _hard_reasons(voof, yv, classes, thresholds)
        log(f"  casual variants out of fold: accuracy {np.mean(voof.argmax(axis=1) == yv):.3f}, hard reasons "
            f"precision {vhard['precision']:.3f} recall {vhard['recall']:.3f}; answerable questions escalated "
            f"{_none_escalated(voof, yv, classes, thresholds):.3f} (as written "
            f"{_none_escalated(oof[of], yv, classes, thresholds):.3f})")
    if len(every) > len(examples):
        # A gate-only line is read by the final model, which never saw it either.
        for_intents = np.asarray([e.intents for e in every])
        gate_only = [gist.english(e.text) for e in every if not e.intents]
        unseen = model.proba(features.featurise(gate_only, embeddings=cached_embeddings(gate_only)))
        everyone = np.empty((len(every), len(classes)), dtype=np.result_type(oof, unseen))
        everyone[for_intents], everyone[~for_intents] = oof, unseen
        oof = everyone
    return IntentTraining(model=model, classes=classes, oof=oof, thresholds=thresholds,
                          per_class=per_class, accuracy=accuracy, hard_reasons=hard,
                          casual_variants=len(variants) if casual else 0)


def save(result: IntentTraining, examples: list[Example], directory: Path = MODEL_DIR) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(directory / "intents.npz", weights=result.model.weights.astype(np.float16),
                        bias=result.model.bias.astype(np.float32))
    meta = {
        "classes": result.classes, "temperature": round(result.model.temperature, 4),
        "thresholds": result.thresholds, "feature_dim": features.DIM, "hash_bits": features.HASH_BITS,
        "embedding": "all-MiniLM-L6-v2-onnx-int8", "examples": sum(e.intents for e in examples),
        "gate_only_examples": sum(not e.intents for e in examples), "corpus_digest": corpus_digest(examples),
        "seed": SEED, "l2": L2, "steps": STEPS, "casual_variants": result.casual_variants,
        "kfold": {"accuracy": result.accuracy, "per_class": result.per_class, "hard_reasons": result.hard_reasons},
    }
    (directory / "intents.json").write_text(json.dumps(meta, indent=1) + "\n")


def scratch_path(name: str) -> Path:
    """A file under var/ that training keeps between runs and nobody commits (embeddings,
    out-of-fold predictions)."""
    from django.conf import settings

    return Path(settings.BASE_DIR) / "var" / name


def cached_embeddings(texts: list[str]) -> np.ndarray:
    """MiniLM vectors of the texts, cached under var/ by a hash of each text (the slow part of
    a rebuild; the vectors are the same as embedding afresh)."""
    import hashlib

    path = scratch_path("intent-embeddings.npz")
    keys = [hashlib.blake2b(features.message_text(t).encode(), digest_size=10).hexdigest()
            for t in texts]
    known: dict[str, np.ndarray] = {}
    if path.exists():
        data = np.load(path)
        known = dict(zip((str(k) for k in data["keys"]), data["vectors"], strict=True))
    missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in known}.items())
    if missing:
        for (k, _), v in zip(missing, features.embed_message([t for _, t in missing]), strict=True):
            known[k] = v
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, keys=np.array(list(known)), vectors=np.stack(list(known.values())))
    return np.stack([known[k] for k in keys]).astype(np.float32)


def _oof_path() -> Path:
    return scratch_path("intents-oof.npz")


def save_oof(result: IntentTraining, examples: list[Example]) -> None:
    """Keep the out-of-fold predictions (not committed) so answerability can be retrained alone."""
    path = _oof_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, oof=result.oof, classes=np.array(result.classes), digest=corpus_digest(examples))


def load_oof(examples: list[Example]) -> tuple[np.ndarray, list[str]]:
    data = np.load(_oof_path())
    if str(data["digest"]) != corpus_digest(examples):
        raise RuntimeError("the corpus changed since the last full run; run train_intents without --answerability-only")
    return data["oof"], [str(c) for c in data["classes"]]
