"""Benchmark the local embedder: load time, RSS, batch throughput, query latency.

    .venv/bin/python bench/bench_embeddings.py            # EMBEDDING_THREADS=1 and 2
    .venv/bin/python bench/bench_embeddings.py --threads 1 --json   # one run, raw numbers

Each configuration runs in a fresh process, so the RSS figures are that
process's own: Python, Django's settings machinery, numpy, onnxruntime, the
tokenizer and the model. Prints a Markdown table for docs/embeddings.md.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SUBJECTS = [
    "my password", "the invoice for March", "two-factor login", "the mobile app", "my board",
    "the CSV export", "a refund", "my subscription", "the Slack integration", "team permissions",
    "the API key", "my email address", "a shared link", "the calendar sync", "dark mode",
    "file uploads", "the billing address", "a deleted project", "notifications", "single sign-on",
]
TEMPLATES = [
    "How do I change {}?", "I can't find {} anywhere.", "Something is wrong with {} since yesterday.",
    "Can you help me with {} please?", "Is there a way to turn off {}?", "Why does {} keep failing?",
    "Where can I see {} in the settings?", "My manager asked me to update {} today.",
    "We were charged twice, and {} shows an error.", "Please explain how {} works for a new team.",
]
OPENERS = ["", "Hi, ", "Hello team, ", "Quick question: ", "Urgent: "]


def sentences(count: int) -> list[str]:
    """Short, varied support-style sentences (8 to 16 words), the same every run."""
    every = [o + t.format(s) for o, t, s in itertools.product(OPENERS, TEMPLATES, SUBJECTS)]
    random.Random(0).shuffle(every)
    return every[:count]


def rss_mib() -> tuple[float, float]:
    """(current, peak) resident set size of this process, in MiB (Linux)."""
    fields = dict(
        line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line
    )
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def run_one(threads: int) -> dict[str, float]:
    os.environ["EMBEDDING_THREADS"] = str(threads)
    sys.path.insert(0, str(ROOT))
    rss_start, _ = rss_mib()

    started = time.perf_counter()
    from agent_app.embeddings import LocalMiniLMEmbedder

    embedder = LocalMiniLMEmbedder()
    imported = time.perf_counter()
    embedder._model()  # the lazy load, on its own
    loaded = time.perf_counter()
    embedder.embed_one("warm up")
    first = time.perf_counter()
    rss_loaded, _ = rss_mib()

    texts = sentences(1000)
    batch_seconds, batch_cpu_seconds = [], []
    for _ in range(3):
        t, c = time.perf_counter(), time.process_time()
        vectors = embedder.embed(texts)
        batch_seconds.append(time.perf_counter() - t)
        batch_cpu_seconds.append(time.process_time() - c)
    assert len(vectors) == 1000 and len(vectors[0]) == 384
    rss_after_batch, rss_peak = rss_mib()

    latencies = []
    for text in sentences(1000)[:300]:
        t = time.perf_counter()
        embedder.embed_one(text)
        latencies.append((time.perf_counter() - t) * 1000)
    latencies.sort()

    # Worst case for memory: a full batch of texts cut at 256 tokens.
    long_texts = [" ".join(sentences(1000)[i : i + 25]) for i in range(0, 32 * 25, 25)]
    t = time.perf_counter()
    embedder.embed(long_texts)
    long_seconds = time.perf_counter() - t
    rss_after_long, rss_peak_long = rss_mib()
    cpu = os.times()

    return {
        "threads": threads,
        "import_s": imported - started,
        "load_s": loaded - imported,
        "first_query_s": first - loaded,
        "rss_start_mib": rss_start,
        "rss_loaded_mib": rss_loaded,
        "rss_after_batch_mib": rss_after_batch,
        "rss_peak_mib": rss_peak,
        "batch_1000_best_s": min(batch_seconds),
        "batch_1000_median_s": statistics.median(batch_seconds),
        "sentences_per_s": 1000 / min(batch_seconds),
        "batch_1000_cpu_s": min(batch_cpu_seconds),
        "query_p50_ms": latencies[len(latencies) // 2],
        "query_p95_ms": latencies[int(len(latencies) * 0.95)],
        "query_max_ms": latencies[-1],
        "long_32x256_s": long_seconds,
        "rss_after_long_mib": rss_after_long,
        "rss_peak_with_long_mib": rss_peak_long,
        "cpu_user_s": cpu.user,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--json", action="store_true", help="run in this process, print JSON")
    args = parser.parse_args()

    if args.json:
        print(json.dumps(run_one(args.threads[0])))
        return

    rows = []
    for threads in args.threads:
        out = subprocess.run(
            [sys.executable, __file__, "--json", "--threads", str(threads)],
            check=True, capture_output=True, text=True,
        ).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load}\n")
    print("| EMBEDDING_THREADS | import | load | RSS after load | RSS after 1,000 | "
          "1,000 sentences (best of 3) | its CPU time | query p50 | query p95 | 32 texts of 256 tokens | peak RSS |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['threads']} | {r['import_s']:.2f} s | {r['load_s']:.2f} s "
            f"| {r['rss_loaded_mib']:.0f} MiB | {r['rss_after_batch_mib']:.0f} MiB "
            f"| {r['batch_1000_best_s']:.2f} s ({r['sentences_per_s']:.0f}/s) | {r['batch_1000_cpu_s']:.2f} s "
            f"| {r['query_p50_ms']:.1f} ms | {r['query_p95_ms']:.1f} ms "
            f"| {r['long_32x256_s']:.2f} s | {r['rss_peak_with_long_mib']:.0f} MiB |"
        )


if __name__ == "__main__":
    main()
