"""Shared by the in-process benchmarks: latency figures and how a result is printed."""
from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np


def latency(ms: Sequence[float]) -> dict[str, float]:
    """p50, p95 and the slowest of some timings in milliseconds."""
    values = np.asarray(ms, dtype=float)
    return {"p50_ms": round(float(np.percentile(values, 50)), 2),
            "p95_ms": round(float(np.percentile(values, 95)), 2), "max_ms": round(float(values.max()), 2)}


def report(result: dict[str, Any], *, as_json: bool) -> None:
    """One JSON object, or one aligned line per figure."""
    if as_json:
        print(json.dumps(result))
        return
    width = max(map(len, result)) + 2
    for key, value in result.items():
        print(f"{key:{width}} {value}")
