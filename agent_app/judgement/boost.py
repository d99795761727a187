"""Gradient-boosted oblivious trees for a binary decision, in plain numpy.

Oblivious (symmetric) trees use one (feature, threshold) test per level, so a tree of
depth d is d comparisons and a table of 2**d leaf values: predicting for a few rows is a
handful of vectorised numpy operations, and the model is three small arrays. Splits are
chosen on quantile bins of the training features (exact thresholds stored as float32),
leaves are Newton steps on the logistic loss with L2 shrinkage. No randomness: the same
data gives the same trees on every machine.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class Boosted:
    features: np.ndarray  # (trees, depth) feature index per level
    thresholds: np.ndarray  # (trees, depth) float32; a row goes right when x >= threshold
    leaves: np.ndarray  # (trees, 2**depth) float32 leaf values (learning rate applied)
    base: float

    def arrays(self, prefix: str = "tree_") -> dict[str, np.ndarray]:
        """The model as named arrays for ``np.savez`` (``from_arrays`` reads them back)."""
        return {f"{prefix}features": self.features.astype(np.int16), f"{prefix}thresholds": self.thresholds,
                f"{prefix}leaves": self.leaves, f"{prefix}base": np.float64(self.base)}

    @classmethod
    def from_arrays(cls, arrays: Any, prefix: str = "tree_") -> Boosted:
        """The model ``arrays`` wrote, from anything indexed by name (an ``np.load`` of the file)."""
        return cls(features=arrays[f"{prefix}features"], thresholds=arrays[f"{prefix}thresholds"],
                   leaves=arrays[f"{prefix}leaves"], base=float(arrays[f"{prefix}base"]))

    def margin(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float32)
        depth = self.features.shape[1]
        bits = (x[:, self.features] >= self.thresholds).astype(np.int64)  # (rows, trees, depth)
        index = bits @ (1 << np.arange(depth - 1, -1, -1))
        return self.base + self.leaves[np.arange(len(self.leaves)), index].sum(axis=1, dtype=np.float64)

    def proba(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.margin(x)))


def fit(x: np.ndarray, y: np.ndarray, *, trees: int = 200, depth: int = 4, lr: float = 0.1, bins: int = 32,
        l2: float = 1.0, min_hess: float = 1.0) -> Boosted:
    """Fit on rows ``x`` and 0/1 labels ``y`` (logistic loss)."""
    x = np.asarray(x, dtype=np.float32)
    y = np.asarray(y, dtype=np.float64)
    n, n_features = x.shape
    edges: list[np.ndarray] = []
    xb = np.zeros((n, n_features), dtype=np.int64)
    valid = np.zeros((n_features, bins), dtype=bool)
    for j in range(n_features):
        cuts = np.unique(np.quantile(x[:, j], np.linspace(0, 1, bins + 1)[1:-1]).astype(np.float32))
        cuts = cuts[cuts > x[:, j].min()][:bins]
        edges.append(cuts)
        xb[:, j] = np.searchsorted(cuts, x[:, j], side="right")  # bin > b  <=>  x >= cuts[b]
        valid[j, :len(cuts)] = True
    prior = float(np.clip(y.mean(), 1e-4, 1 - 1e-4))
    base = float(np.log(prior / (1 - prior)))
    margin = np.full(n, base)
    feats = np.zeros((trees, depth), dtype=np.int64)
    thresholds = np.zeros((trees, depth), dtype=np.float32)
    leaves = np.zeros((trees, 1 << depth), dtype=np.float32)
    width = bins + 1
    column = np.arange(n_features)[None, :]
    for t in range(trees):
        p = 1.0 / (1.0 + np.exp(-margin))
        g, h = p - y, p * (1.0 - p)
        leaf = np.zeros(n, dtype=np.int64)
        for d in range(depth):
            n_leaves = 1 << d
            key = ((column * n_leaves + leaf[:, None]) * width + xb).ravel()
            size = n_features * n_leaves * width
            G = np.bincount(key, weights=np.repeat(g, n_features), minlength=size).reshape(n_features, n_leaves, width)
            H = np.bincount(key, weights=np.repeat(h, n_features), minlength=size).reshape(n_features, n_leaves, width)
            gl, hl = np.cumsum(G, axis=2)[:, :, :bins], np.cumsum(H, axis=2)[:, :, :bins]
            gt, ht = G.sum(axis=2, keepdims=True), H.sum(axis=2, keepdims=True)
            gr, hr = gt - gl, ht - hl
            ok = (hl >= min_hess) & (hr >= min_hess)
            gain = np.where(ok, gl ** 2 / (hl + l2) + gr ** 2 / (hr + l2) - gt ** 2 / (ht + l2), 0.0).sum(axis=1)
            gain = np.where(valid, gain, -np.inf)
            j, b = np.unravel_index(int(np.argmax(gain)), gain.shape)
            feats[t, d], thresholds[t, d] = j, edges[j][b]
            leaf = leaf * 2 + (x[:, j] >= edges[j][b])
        gsum = np.bincount(leaf, weights=g, minlength=1 << depth)
        hsum = np.bincount(leaf, weights=h, minlength=1 << depth)
        leaves[t] = (-lr * gsum / (hsum + l2)).astype(np.float32)
        margin = margin + leaves[t][leaf]
    return Boosted(features=feats, thresholds=thresholds, leaves=leaves, base=base)
