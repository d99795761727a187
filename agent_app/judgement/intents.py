"""The learned intent layer: calibrated probabilities over escalation reasons, "none",
"unanswerable" and conversation acts, for one inbound message.

The model is a multinomial logistic regression over :mod:`features`, trained by
``manage.py train_intents`` and stored in ``agent_app/judgement/model/`` (weights in
``intents.npz``, classes, temperature and thresholds in ``intents.json``).
"""
from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from agent_app.judgement import features, gist
from agent_app.judgement.linear import LinearModel
from agent_app.language import of_message

MODEL_DIR = Path(__file__).resolve().parent / "model"


class ModelMissing(RuntimeError):
    """The trained artifact is not there: run ``manage.py train_intents``."""


@dataclass(frozen=True)
class IntentScores:
    probs: dict[str, float]
    #: The message's MiniLM vector the scores were computed from; the answerability decision
    #: reuses it instead of embedding the question a second time.
    vector: np.ndarray | None = field(default=None, compare=False, repr=False)
    #: The full feature row (vector + lexical features), which the answerability decision's
    #: article model reads too.
    features: np.ndarray | None = field(default=None, compare=False, repr=False)

    def p(self, name: str) -> float:
        return self.probs.get(name, 0.0)

    @property
    def top(self) -> tuple[str, float]:
        name = max(self.probs, key=self.probs.__getitem__)
        return name, self.probs[name]

    def as_dict(self, *, digits: int = 3) -> dict[str, float]:
        return {k: round(v, digits) for k, v in sorted(self.probs.items(), key=lambda kv: -kv[1]) if v >= 0.01}


@dataclass
class _Loaded:
    model: LinearModel
    classes: list[str]
    meta: dict


_lock = threading.Lock()
_loaded: _Loaded | None = None
_cache: OrderedDict[str, IntentScores] = OrderedDict()
_CACHE_SIZE = 256


def load(directory: Path = MODEL_DIR) -> _Loaded:
    global _loaded
    if _loaded is not None and directory == MODEL_DIR:
        return _loaded
    meta_path, weights_path = directory / "intents.json", directory / "intents.npz"
    if not meta_path.exists() or not weights_path.exists():
        raise ModelMissing(f"no intent model in {directory}; run `manage.py train_intents`")
    meta = json.loads(meta_path.read_text())
    arrays = np.load(weights_path)
    if meta.get("feature_dim") != features.DIM:
        raise ModelMissing("the intent model was trained on other features; run `manage.py train_intents`")
    loaded = _Loaded(model=LinearModel(weights=arrays["weights"].astype(np.float32), bias=arrays["bias"].astype(np.float32),
                                       temperature=float(meta["temperature"])), classes=list(meta["classes"]), meta=meta)
    if directory == MODEL_DIR:
        with _lock:
            _loaded = loaded
            _cache.clear()
    return loaded


def reset() -> None:
    """Forget the loaded model (after retraining in the same process)."""
    global _loaded
    with _lock:
        _loaded = None
        _cache.clear()


def reset_cache() -> None:
    with _lock:
        _cache.clear()


def thresholds() -> dict[str, float]:
    return dict(load().meta.get("thresholds", {}))


def classify(text: str, *, subject: str = "", language: str | None = None) -> IntentScores:
    """Calibrated class probabilities for one message: the lexical features read the subject and
    the whole body, the embedding the subject and the body's core (``features.message_text``)."""
    # In German, French or Spanish the models read the gist in English (``gist``); the body says which.
    language = language or of_message(text or subject)
    text, subject = gist.english(text, language), gist.english(subject, language)
    key = features.normalise(f"{subject}\n{text}" if subject else text)
    with _lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    loaded = load()
    vector = features.embed([features.message_text(text, subject=subject)])
    x = features.featurise([key], embeddings=vector)
    p = loaded.model.proba(x)[0]
    scores = IntentScores(probs={c: float(v) for c, v in zip(loaded.classes, p, strict=True)}, vector=vector[0],
                          features=x[0])
    with _lock:
        _cache[key] = scores
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return scores
