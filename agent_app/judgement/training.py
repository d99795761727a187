"""Training the intent model: k-fold figures, calibration, thresholds, the artifact.

Deterministic: fixed seeds, full-batch optimisation, features that do not depend on
the process (crc32 hashing, the bundled embedding model). No network.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from agent_app.judgement import features
from agent_app.judgement.corpus import CLASSES, Example, corpus_digest
from agent_app.judgement.intents import MODEL_DIR
from agent_app.judgement.linear import LinearModel, fit, fit_temperature, softmax, stratified_folds

SEED = 20261202
L2 = 3e-5
STEPS = 400
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


def _hard_reasons(oof: np.ndarray, y: np.ndarray, classes: list[str], thresholds: dict[str, float]) -> dict[str, float]:
    hard = [classes.index(c) for c in HARD_REASON_CLASSES]
    fired = np.zeros(len(y), dtype=bool)
    for i in hard:
        fired |= oof[:, i] >= thresholds[classes[i]]
    positive = np.isin(y, hard)
    hits = int(np.sum(fired & positive))
    return {"precision": round(hits / max(1, int(fired.sum())), 3), "recall": round(hits / max(1, int(positive.sum())), 3)}


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


def train(examples: list[Example], *, k: int = 5, log=print) -> IntentTraining:
    """Fit on the examples meant for the intent layer; ``oof`` covers every example (a gate-only
    one is predicted by the final model, which never saw it), since the gate weighs it."""
    classes = list(CLASSES)
    every = examples
    examples = [e for e in every if e.intents]
    texts = [e.text for e in examples]
    y = np.array([classes.index(e.label) for e in examples], dtype=np.int64)
    log(f"featurising {len(texts)} messages…")
    x = features.featurise(texts, embeddings=cached_embeddings(texts))
    folds = stratified_folds(y, k, seed=SEED)
    logits = np.zeros((len(y), len(classes)), dtype=np.float32)
    for f in range(k):
        train_rows, test_rows = folds != f, folds == f
        m = fit(x[train_rows], y[train_rows], len(classes), l2=L2, steps=STEPS, seed=SEED)
        logits[test_rows] = m.logits(x[test_rows])
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
    model = fit(x, y, len(classes), l2=L2, steps=STEPS, seed=SEED)
    model.temperature = temperature
    per_class, accuracy = _per_class(y, pred, classes), round(float(np.mean(pred == y)), 3)
    hard = _hard_reasons(oof, y, classes, thresholds)
    if len(every) > len(examples):
        # A gate-only line is read by the final model, which never saw it either.
        for_intents = np.asarray([e.intents for e in every])
        gate_only = [e.text for e in every if not e.intents]
        unseen = model.proba(features.featurise(gate_only, embeddings=cached_embeddings(gate_only)))
        everyone = np.empty((len(every), len(classes)), dtype=np.result_type(oof, unseen))
        everyone[for_intents], everyone[~for_intents] = oof, unseen
        oof = everyone
    return IntentTraining(model=model, classes=classes, oof=oof, thresholds=thresholds,
                          per_class=per_class, accuracy=accuracy, hard_reasons=hard)


def save(result: IntentTraining, examples: list[Example], directory: Path = MODEL_DIR) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(directory / "intents.npz", weights=result.model.weights.astype(np.float16),
                        bias=result.model.bias.astype(np.float32))
    meta = {
        "classes": result.classes, "temperature": round(result.model.temperature, 4),
        "thresholds": result.thresholds, "feature_dim": features.DIM, "hash_bits": features.HASH_BITS,
        "embedding": "all-MiniLM-L6-v2-onnx-int8", "examples": sum(e.intents for e in examples),
        "gate_only_examples": sum(not e.intents for e in examples), "corpus_digest": corpus_digest(examples),
        "seed": SEED, "l2": L2, "steps": STEPS,
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
