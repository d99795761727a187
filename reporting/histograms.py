"""Duration histograms that add up: what lets an hour's rollup answer a month's percentile.

Buckets grow by 5 %: bucket ``k`` holds durations up to ``upper(k)`` seconds (0–1 s, then
1, 2, 3… until steps of 5 % take over). A percentile read from merged hours is the upper
edge of the bucket holding that rank, so it is never below the true value and at most 5 %
(or one second) above it. Histograms are stored as sparse JSON maps ``{"k": count}``.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

GROWTH = 1.05
LINEAR_UNTIL = 20  # seconds: below this, one bucket per whole second


def bucket(seconds: float) -> int:
    """The bucket a duration falls in."""
    seconds = max(0.0, float(seconds))
    if seconds <= LINEAR_UNTIL:
        return math.ceil(seconds)
    return LINEAR_UNTIL + math.ceil(math.log(seconds / LINEAR_UNTIL, GROWTH) - 1e-9)


def upper(k: int) -> float:
    """The largest duration (seconds) bucket ``k`` holds."""
    if k <= LINEAR_UNTIL:
        return float(k)
    return LINEAR_UNTIL * GROWTH ** (k - LINEAR_UNTIL)


def histogram(durations: Iterable[float]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in durations:
        key = str(bucket(value))
        counts[key] = counts.get(key, 0) + 1
    return counts


def merge(histograms: Iterable[Mapping[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for h in histograms:
        for key, count in (h or {}).items():
            total[key] = total.get(key, 0) + int(count)
    return total


def count(h: Mapping[str, int]) -> int:
    return sum(int(c) for c in h.values())


def percentile(h: Mapping[str, int], p: float) -> float | None:
    """The ``p``-th percentile (0–100) in seconds, or None for an empty histogram (nearest rank)."""
    n = count(h)
    if n == 0:
        return None
    rank = max(1, math.ceil(p / 100 * n))
    seen = 0
    for key in sorted(h, key=int):
        seen += int(h[key])
        if seen >= rank:
            return upper(int(key))
    return upper(max(int(k) for k in h))
