"""The rollup rows of a report range, by local day and channel."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from reporting.ranges import ReportRange, local_zone
from reporting.rollups import rows_for


def range_rows(rng: ReportRange) -> list[dict[str, Any]]:
    rows = rows_for(rng.start, rng.end, now=rng.now)
    return [r for r in rows if not rng.channel or r["channel"] == rng.channel]


def local_day(row: dict[str, Any]) -> date:
    return row["hour"].astimezone(local_zone()).date()


def by_day(rows: Iterable[dict[str, Any]]) -> dict[date, list[dict[str, Any]]]:
    grouped: dict[date, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[local_day(row)].append(row)
    return grouped


def total(rows: Iterable[dict[str, Any]], name: str) -> int:
    return sum(int(r[name]) for r in rows)


def merged_map(rows: Iterable[dict[str, Any]], name: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in rows:
        for key, value in (r[name] or {}).items():
            out[key] = out.get(key, 0) + int(value)
    return out


def ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None
