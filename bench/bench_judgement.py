"""Benchmark the agent's judgement per message: intent classification + answerability.

    FTE_DEV_MODE=1 .venv/bin/python bench/bench_judgement.py            # 300 messages
    FTE_DEV_MODE=1 .venv/bin/python bench/bench_judgement.py --json

One core (onnxruntime and BLAS pinned to one thread), warm model, every message new to
the cache. Messages come from the training corpus (short WhatsApp lines to long
emails); hits are the real knowledge search's, computed beforehand, since the search
is the agent's tool call and not part of what this adds. Reports p50/p95/max of
``policy``'s intent call, of ``answerability.decide`` and of both, plus the process RSS
and the size of the model artifacts.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "EMBEDDING_THREADS"):
    os.environ[var] = "1"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fte_project.settings")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import django

    django.setup()
    import resource

    import numpy as np

    from agent_app.judgement import answerability, intents
    from agent_app.judgement.corpus import load_corpus

    examples = load_corpus()
    step = max(1, len(examples) // args.messages)
    texts = [e.text for e in examples[::step]][: args.messages]
    hits = [answerability._search(t) for t in texts]  # not timed: the agent's own search tool
    intents.classify("warm up")
    answerability.load()
    t_intent, t_answer = [], []
    for i, (text, h) in enumerate(zip(texts, hits, strict=True)):
        intents.reset_cache()
        started = time.perf_counter()
        scores = intents.classify(text)
        middle = time.perf_counter()
        answerability.decide(text, h, scores)
        t_intent.append((middle - started) * 1000)
        t_answer.append((time.perf_counter() - middle) * 1000)
    both = np.array(t_intent) + np.array(t_answer)

    def stats(values) -> dict[str, float]:
        a = np.asarray(values)
        return {"p50_ms": round(float(np.percentile(a, 50)), 2), "p95_ms": round(float(np.percentile(a, 95)), 2),
                "max_ms": round(float(a.max()), 2)}

    model_dir = intents.MODEL_DIR
    result = {
        "messages": len(texts), "intent": stats(t_intent), "answerability": stats(t_answer),
        "intent_plus_answerability": stats(both),
        "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "artifact_bytes": sum(p.stat().st_size for p in model_dir.iterdir()),
    }
    if args.json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        print(f"{key:28} {value}")


if __name__ == "__main__":
    main()
