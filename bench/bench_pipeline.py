"""Benchmark: outbox → Kafka → bridge → Celery task (the real agent pipeline), on this machine.

It needs Kafka and Redis on loopback (`scripts/services start`) and uses its own
database (`fte_bench_pipeline` on the embedded server, or BENCH_DATABASE_URL), so the
development data is never touched. It starts a Celery worker, the outbox relay and the
bridge as separate processes, accepts N messages through the intake service at a
steady rate, and waits until all are processed. It reports:

- throughput: messages fully processed per second;
- transport latency: accepted → claimed by a worker (outbox, relay, Kafka, bridge, Redis);
- processing: the agent run (offline model, tools, knowledge search, delivery);
- end to end: accepted → reply delivered;
- memory: the peak PSS of each process tree (the worker with its pool children, the
  relay, the bridge), sampled every 0.5 s. PSS shares pages between the prefork
  children fairly, so the sum is close to what a pod's cgroup is charged.

Usage:  .venv/bin/python bench/bench_pipeline.py [--messages 300] [--rate 5] [--concurrency 2]
        (--rate 0 sends a burst: the time to drain it gives the throughput)
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.stack import ensure_database  # noqa: E402 - after the path is set

DB_NAME = "fte_bench_pipeline"


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return round(values[min(len(values) - 1, int(round(q * (len(values) - 1))))], 1) if values else 0.0


def pss_mb(pid: int) -> float:
    """PSS of a process and its descendants in MB (0 once they are gone)."""
    import psutil

    try:
        root = psutil.Process(pid)
        tree = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0
    for proc in tree:
        try:
            total += proc.memory_full_info().pss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total / 2**20


class PeakMemory(threading.Thread):
    """Samples the PSS of named process trees until stopped; keeps each one's peak."""

    def __init__(self, pids: dict[str, int]) -> None:
        super().__init__(daemon=True)
        self.pids, self.peak_mb = pids, dict.fromkeys(pids, 0.0)
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(0.5):
            for name, pid in self.pids.items():
                self.peak_mb[name] = max(self.peak_mb[name], pss_mb(pid))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--rate", type=float, default=5.0,
                        help="messages accepted per second; 0 accepts them all at once (a burst, for throughput)")
    parser.add_argument("--concurrency", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    run = uuid.uuid4().hex[:6]
    env = {**os.environ, "FTE_DEV_MODE": "1", "FTE_NO_ENV_FILES": "1", "PYTHONUNBUFFERED": "1",
           "KAFKA_BOOTSTRAP_SERVERS": os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
           "KAFKA_TOPIC_PREFIX": f"bench{run}.", "KAFKA_CONSUMER_GROUP": f"bench-{run}",
           "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14"),
           "CELERY_QUEUE": f"bench-{run}", "OUTBOX_RELAY_INTERVAL": "0.05"}
    if os.environ.get("BENCH_DATABASE_URL"):
        env["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
    else:
        env["EMBEDDED_DB_NAME"] = DB_NAME
    os.environ.update(env)

    # Create the bench database on the embedded server if needed.
    if "DATABASE_URL" not in env:
        ensure_database(DB_NAME)

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fte_project.settings")
    django.setup()
    from django.core.management import call_command
    from tqdm import tqdm

    from channels_app import kafka_io
    from crm import services
    from crm.models import AgentMetric, Message

    call_command("migrate", verbosity=0)
    call_command("ingest_kb", verbosity=0)
    kafka_io.create_topics()

    logs = ROOT / "var" / "bench"
    logs.mkdir(parents=True, exist_ok=True)
    procs: dict[str, subprocess.Popen] = {}

    def start(name: str, *cmd: str) -> None:
        log = open(logs / f"{name}.log", "wb")
        procs[name] = subprocess.Popen([sys.executable, *cmd], cwd=ROOT, env=env, stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True)

    start("worker", "-m", "celery", "-A", "fte_project", "worker", "-Q", env["CELERY_QUEUE"], "-c",
          str(args.concurrency), "--without-gossip", "--without-mingle", "--loglevel", "WARNING")
    start("relay", "manage.py", "run_outbox_relay")
    start("bridge", "manage.py", "run_kafka_bridge")
    questions = ["How do I reset my password?", "Where can I download our invoices?",
                 "How do I turn on two-factor authentication?", "How do I export my workspace?",
                 "What is the maximum file size for attachments?", "How do I verify webhook signatures?"]
    ids: list[int] = []
    memory = PeakMemory({name: proc.pid for name, proc in procs.items()})
    memory.start()
    try:
        # Warm up: one message end to end, so start-up (worker boot, group join) is not measured.
        warm = services.inbound_message_accept(channel="web_form", provider_id=f"bench-{run}-warm",
                                               content="How do I reset my password?", email=f"warm-{run}@example.com").message
        deadline = time.monotonic() + 120
        while not Message.objects.filter(pk=warm.pk, processing_state="processed").exists():
            if time.monotonic() > deadline:
                sys.exit("the pipeline did not process the warm-up message within 120 s; see var/bench/*.log")
            time.sleep(0.2)
        interval = 1.0 / args.rate if args.rate > 0 else 0.0
        started = time.monotonic()
        for i in tqdm(range(args.messages), desc="accepting", disable=args.json):
            target = started + i * interval
            time.sleep(max(0.0, target - time.monotonic()))
            message = services.inbound_message_accept(
                channel="web_form", provider_id=f"bench-{run}-{i}", content=questions[i % len(questions)],
                email=f"bench{run}-{i}@example.com", name="Bench").message
            ids.append(message.pk)
        with tqdm(total=len(ids), desc="processed", disable=args.json) as bar:
            done = 0
            deadline = time.monotonic() + 600
            while done < len(ids) and time.monotonic() < deadline:
                now_done = Message.objects.filter(pk__in=ids, processing_state="processed").count()
                bar.update(now_done - done)
                done = now_done
                time.sleep(0.5)
    finally:
        memory.stopping.set()
        memory.join()
        for proc in procs.values():
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs.values():
            proc.wait(30)

    messages = {m.pk: m for m in Message.objects.filter(pk__in=ids)}
    metrics = {m.message_id: m for m in AgentMetric.objects.filter(message_id__in=ids)}
    finished = [messages[i] for i in ids if messages[i].processed_at]
    end_to_end = [(m.processed_at - m.created_at).total_seconds() * 1000 for m in finished]
    processing = [metrics[m.pk].latency_ms for m in finished if m.pk in metrics]
    transport = [e - metrics[m.pk].latency_ms for m, e in zip(finished, end_to_end) if m.pk in metrics]
    delivered = [metrics[m.pk].end_to_end_ms for m in finished if m.pk in metrics and metrics[m.pk].end_to_end_ms]
    span = (max(m.processed_at for m in finished) - min(m.created_at for m in finished)).total_seconds()
    result = {
        "messages": len(ids), "processed": len(finished), "rate_offered_per_s": args.rate,
        "worker_processes": args.concurrency,
        "throughput_per_s": round(len(finished) / span, 2) if span else 0,
        "transport_ms": {"p50": pct(transport, 0.5), "p95": pct(transport, 0.95), "max": pct(transport, 1)},
        "processing_ms": {"p50": pct(processing, 0.5), "p95": pct(processing, 0.95)},
        "end_to_end_ms": {"p50": pct(end_to_end, 0.5), "p95": pct(end_to_end, 0.95)},
        "reply_delivered_ms": {"p50": pct(delivered, 0.5), "p95": pct(delivered, 0.95)},
        "mean_processing_ms": round(statistics.fmean(processing), 1) if processing else 0,
        "peak_pss_mb": {name: round(mb, 1) for name, mb in memory.peak_mb.items()},
    }
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
