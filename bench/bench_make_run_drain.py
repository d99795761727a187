"""Benchmark: how fast `make run`'s own stack drains a backlog of inbound messages.

It starts the processes the way scripts/run does (one Celery worker with beat and two
pool processes, one outbox relay handing events straight to Celery, no Kafka), on the
broker scripts/run chooses: a private Redis on a unix socket (``--broker redis``, the
default) or kombu's filesystem transport (``--broker filesystem``, the fallback when
Redis cannot start). It uses its own database (``fte_bench_drain`` on the embedded
server), so development data is never touched.

N messages are accepted through the intake service as fast as one process can, each
from a new customer (so no repeat-contact escalation skews it); then it waits until
every one is processed and its reply delivered (sandbox). It reports:

- ``drain_per_s``: messages fully processed per second, first accepted → last processed;
- ``drain_after_intake_s``: how long the backlog took to empty after the last one was accepted;
- ``reply_delivered_ms``: accepted → reply delivered, p50/p95/max (queueing included);
- ``cpu_ms_per_message``: CPU time the stack spent per message (worker and its pool,
  relay, and the PostgreSQL backends serving the bench database), which does not depend
  on what else the machine runs; ``cores / cpu_ms_per_message`` bounds the drain rate an
  otherwise idle machine of that many cores could reach.

Usage:  .venv/bin/python bench/bench_make_run_drain.py [--messages 1000] [--broker redis|filesystem] [--json]
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.stack import CpuMeter, ensure_database  # noqa: E402 - after the path is set

DB_NAME = "fte_bench_drain"
SERVICES_VAR = ROOT / "var" / "bench-drain"
REDIS_SOCKET = SERVICES_VAR / "redis" / "redis.sock"
QUESTIONS = ["How do I reset my password?", "Where can I download our invoices?",
             "How do I turn on two-factor authentication?", "How do I export my workspace?",
             "What is the maximum file size for attachments?", "How do I verify webhook signatures?"]


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return round(values[min(len(values) - 1, int(round(q * (len(values) - 1))))], 1) if values else 0.0


def services(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SERVICES_VAR": str(SERVICES_VAR), "REDIS_SOCKET": str(REDIS_SOCKET)}
    return subprocess.run([str(ROOT / "scripts" / "services"), *args], env=env, capture_output=True, text=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--broker", choices=["redis", "filesystem"], default="redis")
    parser.add_argument("--concurrency", type=int, default=2, help="worker pool processes (scripts/run: 2)")
    parser.add_argument("--timeout", type=float, default=1800, help="give up after this many seconds of draining")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    run = uuid.uuid4().hex[:6]
    started_redis = False
    env = {**os.environ, "FTE_DEV_MODE": "1", "FTE_NO_ENV_FILES": "1", "PYTHONUNBUFFERED": "1",
           "EMBEDDED_DB_NAME": DB_NAME, "CELERY_QUEUE": f"bench-drain-{run}"}
    for name in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "CACHE_URL", "CELERY_BROKER_URL"):
        env.pop(name, None)
    if args.broker == "redis":
        if services("status", "redis").returncode != 0:
            result = services("start", "redis")
            if result.returncode != 0:
                sys.exit(f"could not start Redis: {result.stdout}{result.stderr}")
            started_redis = True
        env["CELERY_BROKER_URL"] = f"redis+socket://{REDIS_SOCKET}?virtual_host=0"
        env["CACHE_URL"] = f"unix://{REDIS_SOCKET}?db=1"
    else:
        env["CELERY_BROKER_URL"] = "filesystem://"
        for folder in ("queue", "processed", "control"):
            (ROOT / "var" / "celery-broker" / folder).mkdir(parents=True, exist_ok=True)
    os.environ.clear()
    os.environ.update(env)

    socket_dir = ensure_database(DB_NAME)

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fte_project.settings")
    django.setup()
    from django.core.management import call_command

    from crm import services as crm_services
    from crm.models import AgentMetric, Message

    call_command("migrate", verbosity=0)
    call_command("ingest_kb", verbosity=0)

    logs = ROOT / "var" / "bench"
    logs.mkdir(parents=True, exist_ok=True)
    procs: dict[str, subprocess.Popen] = {}

    def start(name: str, *cmd: str) -> None:
        log = open(logs / f"drain-{name}.log", "wb")
        procs[name] = subprocess.Popen([sys.executable, *cmd], cwd=ROOT, env=env, stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True)

    # As scripts/run starts them.
    start("worker", "-m", "celery", "-A", "fte_project", "worker", "-B", "--loglevel", "INFO", "--concurrency",
          str(args.concurrency), "-Q", env["CELERY_QUEUE"], "--schedule", str(logs / f"drain-beat-{run}"))
    start("relay", "manage.py", "run_outbox_relay")
    ids: list[int] = []
    try:
        warm = crm_services.inbound_message_accept(channel="web_form", provider_id=f"drain-{run}-warm",
                                                   content=QUESTIONS[0], email=f"warm-{run}@example.com").message
        deadline = time.monotonic() + 180
        while not Message.objects.filter(pk=warm.pk, processing_state="processed").exists():
            if time.monotonic() > deadline:
                sys.exit("the warm-up message was not processed within 180 s; see var/bench/drain-*.log")
            time.sleep(0.2)
        meter = CpuMeter({name: proc.pid for name, proc in procs.items()},
                         {"host": str(socket_dir), "dbname": "postgres", "user": "postgres"}, database=DB_NAME)
        meter.sample()
        cpu_before = meter.by_kind()
        meter.start()
        intake_started = time.monotonic()
        for i in range(args.messages):
            ids.append(crm_services.inbound_message_accept(
                channel="web_form", provider_id=f"drain-{run}-{i}", content=QUESTIONS[i % len(QUESTIONS)],
                email=f"drain{run}-{i}@example.com", name="Bench").message.pk)
        intake_s = time.monotonic() - intake_started
        deadline = time.monotonic() + args.timeout
        done = 0
        while time.monotonic() < deadline:
            done = Message.objects.filter(pk__in=ids, processing_state="processed").count()
            if done == len(ids):
                break
            if not args.json:
                print(f"\rprocessed {done}/{len(ids)}", end="", file=sys.stderr)
            time.sleep(0.5)
        # Replies are delivered by their own task just after: give them a moment.
        settle = time.monotonic() + 60
        while time.monotonic() < settle and AgentMetric.objects.filter(
                message_id__in=ids, end_to_end_ms__isnull=False).count() < done:
            time.sleep(0.5)
        meter.stopping.set()
        meter.join()
        meter.sample()
        cpu_by_kind = {kind: seconds - cpu_before.get(kind, 0.0) for kind, seconds in meter.by_kind().items()}
        cpu_used = sum(cpu_by_kind.values())
    finally:
        for proc in procs.values():
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs.values():
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        if started_redis:
            services("stop", "redis")

    messages = list(Message.objects.filter(pk__in=ids))
    finished = [m for m in messages if m.processed_at]
    first = min(m.created_at for m in messages)
    last_done = max((m.processed_at for m in finished), default=first)
    last_accepted = max(m.created_at for m in messages)
    delivered = list(AgentMetric.objects.filter(message_id__in=ids, end_to_end_ms__isnull=False)
                     .values_list("end_to_end_ms", flat=True))
    span = (last_done - first).total_seconds()
    result = {
        "broker": args.broker, "messages": len(ids), "processed": len(finished), "replies_delivered": len(delivered),
        "worker_processes": args.concurrency,
        "intake_per_s": round(len(ids) / intake_s, 1) if intake_s else 0,
        "drain_per_s": round(len(finished) / span, 2) if span else 0,
        "drain_after_intake_s": round((last_done - last_accepted).total_seconds(), 1),
        "reply_delivered_ms": {"p50": pct(delivered, 0.5), "p95": pct(delivered, 0.95), "max": pct(delivered, 1)},
        "cpu_ms_per_message": round(cpu_used * 1000 / len(finished), 1) if finished else None,
        "cpu_ms_per_message_by_process": {kind: round(seconds * 1000 / max(1, len(finished)), 1)
                                          for kind, seconds in sorted(cpu_by_kind.items())},
        "idle_2_core_bound_per_s": round(2 / (cpu_used / len(finished)), 1) if finished and cpu_used else None,
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    print(("" if args.json else "\n") + json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
