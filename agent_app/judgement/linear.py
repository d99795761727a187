"""Multinomial logistic regression in plain numpy, with temperature scaling.

Small on purpose: full-batch Adam on the L2-regularised cross-entropy, fixed seed, so
``train_intents`` gives the same weights on every machine. Class weights balance the
classes (inverse square-root frequency), so a rare hard trigger is not drowned by
the many "none" questions.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


@dataclass
class LinearModel:
    weights: np.ndarray  # (features, classes)
    bias: np.ndarray  # (classes,)
    temperature: float = 1.0

    def logits(self, x: np.ndarray) -> np.ndarray:
        return x @ self.weights + self.bias

    def proba(self, x: np.ndarray) -> np.ndarray:
        return softmax(self.logits(x) / self.temperature)


def fit(x: np.ndarray, y: np.ndarray, n_classes: int, *, l2: float = 1e-4, steps: int = 300,
        lr: float = 0.05, seed: int = 0, sample_weight: np.ndarray | None = None) -> LinearModel:
    """Fit softmax regression; ``y`` holds class indices."""
    rng = np.random.default_rng(seed)
    n, d = x.shape
    w = (rng.standard_normal((d, n_classes)) * 0.001).astype(np.float32)
    b = np.zeros(n_classes, dtype=np.float32)
    counts = np.bincount(y, minlength=n_classes).astype(np.float32)
    cw = np.where(counts > 0, 1.0 / np.sqrt(np.maximum(counts, 1)), 0.0)
    sw = cw[y] * (sample_weight if sample_weight is not None else 1.0)
    sw = (sw / sw.mean()).astype(np.float32)[:, None]
    onehot = np.zeros((n, n_classes), dtype=np.float32)
    onehot[np.arange(n), y] = 1.0
    mw, vw = np.zeros_like(w), np.zeros_like(w)
    mb, vb = np.zeros_like(b), np.zeros_like(b)
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    for t in range(1, steps + 1):
        p = softmax(x @ w + b)
        g = (p - onehot) * sw / n
        gw = x.T @ g + l2 * w
        gb = g.sum(axis=0)
        mw = beta1 * mw + (1 - beta1) * gw
        vw = beta2 * vw + (1 - beta2) * gw * gw
        mb = beta1 * mb + (1 - beta1) * gb
        vb = beta2 * vb + (1 - beta2) * gb * gb
        step = lr * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
        w -= (step * mw / (np.sqrt(vw) + eps)).astype(np.float32)
        b -= (step * mb / (np.sqrt(vb) + eps)).astype(np.float32)
    return LinearModel(weights=w, bias=b)


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood of out-of-fold logits."""
    best, best_nll = 1.0, float("inf")
    for t in np.exp(np.linspace(np.log(0.25), np.log(8.0), 60)):
        p = softmax(logits / t)
        nll = -float(np.mean(np.log(p[np.arange(len(y)), y] + 1e-12)))
        if nll < best_nll:
            best, best_nll = float(t), nll
    return best


def stratified_folds(y: np.ndarray, k: int, *, seed: int = 0, groups: np.ndarray | None = None) -> np.ndarray:
    """A fold number per row; rows sharing a group (e.g. paraphrases of one message) stay together."""
    rng = np.random.default_rng(seed)
    fold = np.zeros(len(y), dtype=np.int64)
    if groups is None:
        groups = np.arange(len(y))
    for cls in np.unique(y):
        members = np.unique(groups[y == cls])
        rng.shuffle(members)
        for i, g in enumerate(members):
            fold[(groups == g) & (y == cls)] = i % k
    return fold
