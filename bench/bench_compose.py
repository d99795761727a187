"""Benchmark composing a reply (``compose.compose_answer``), with and without the unit neighbours.

    FTE_DEV_MODE=1 FTE_NO_ENV_FILES=1 OPENBLAS_NUM_THREADS=1 taskset -c 1 \\
        .venv/bin/python bench/bench_compose.py --lines 300 [--json]     # needs `manage.py ingest_kb`

The lines are the first ``--lines`` of the development measure's training questions
(``bench/eval_compose.py``; its cache of search hits must exist: run that bench once), each
composed from its top article read whole, as the offline model does after the gate. Each line
is composed once untimed first, so its question's embedding comes from the local embedder's
cache, as in the pipeline, where the intent layer has embedded the same text. "without" replaces
``Neighbours.answered_by`` by zeros: what the unit neighbours (``nn_section``, ``nn_fact``) cost.
The two are timed on the same line one after the other, in alternating order.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fte_project.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=300)
    parser.add_argument("--json", action="store_true", help="Print one JSON object.")
    args = parser.parse_args()

    import django

    django.setup()
    import numpy as np

    from agent_app import compose
    from agent_app.judgement import answerability
    from bench import eval_compose
    from bench.timing import latency, report

    if not eval_compose.CACHE.exists():
        sys.exit("no cached search hits: run bench/eval_compose.py once first")
    known = {eval_compose._key(r): r for r in json.loads(eval_compose.CACHE.read_text())["rows"]}
    rows = [r for x in eval_compose.dataset_lines()[:args.lines] if (r := known.get(eval_compose._key(x))) and r["hits"]]
    articles: dict[str, list] = {}
    for r in rows:
        articles.setdefault(r["hits"][0]["slug"], eval_compose.read_article(r["hits"][0]["slug"]))
    neighbours = answerability.load().neighbours
    real = neighbours.answered_by

    def zeros(vector, slug, units, leave_out=None):  # type: ignore[no-untyped-def]
        return [(0.0, 0.0)] * len(units)

    def compose_one(r: dict) -> float:
        hits = compose.answer_order(r["hits"], r["hits"][0], articles[r["hits"][0]["slug"]])
        started = time.perf_counter()
        compose.compose_answer(hits=hits, question=r["question"], channel=r["channel"], sentiment=r["sentiment"])
        return (time.perf_counter() - started) * 1000

    with_nn, without = [], []
    for i, r in enumerate(rows):
        compose_one(r)  # warm: the question's embedding is in the embedder's cache, as in the pipeline
        for variant in ((real, zeros) if i % 2 else (zeros, real)):
            neighbours.answered_by = variant
            (with_nn if variant is real else without).append(compose_one(r))
    neighbours.answered_by = real

    result = {"lines": len(rows), "with_unit_neighbours": latency(with_nn), "without": latency(without),
              "added_p50_ms": round(float(np.percentile(np.subtract(with_nn, without), 50)), 2)}
    report(result, as_json=args.json)


if __name__ == "__main__":
    main()
