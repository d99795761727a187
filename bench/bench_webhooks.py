"""Benchmark: signed WhatsApp webhooks, open loop at a fixed rate, against gunicorn as make run starts it.

The load generator runs on the same machine as the server (2 cores here): it takes CPU
from the server, so the numbers are a lower bound for a server with the machine to itself.
Open loop: request i is sent at ``start + i / rate`` whether or not earlier ones were
answered, and its latency is counted from that scheduled moment, so a slow server cannot
slow the generator down and hide its own queueing (no coordinated omission).

Every request is a new WhatsApp message (a unique ``MessageSid``) from one of ``--senders``
customers, form-encoded and signed with Twilio's ``RequestValidator`` scheme over the
public URL, exactly as Twilio sends it. After the run it checks zero loss: every
acknowledged (2xx) ``MessageSid`` is stored exactly once.

It starts, like scripts/run: gunicorn (``--workers``, ``--threads``, access log on stdout
unless ``--no-access-log``), the outbox relay, and with ``--with-worker`` the Celery worker
with beat (then the agent answers the messages while they arrive, on the same 2 cores).
It uses its own database (``fte_bench_webhooks`` on the embedded server) and its own Redis
on a unix socket under ``var/bench-webhooks/``.

Usage:  .venv/bin/python bench/bench_webhooks.py [--rate 100] [--duration 60] [--with-worker] [--json]
        --profile: gunicorn with one thread per worker under cProfile; stats in var/bench/webhooks-*.prof
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.stack import (  # noqa: E402 - after the path is set
    LOGS,
    CpuMeter,
    Proc,
    base_env,
    ensure_database,
    gunicorn_args,
    http_ok,
    services,
    signed,
    terminate_all,
    wait_until,
    whatsapp_form,
)

DB_NAME = "fte_bench_webhooks"
SERVICES_VAR = ROOT / "var" / "bench-webhooks"
REDIS_SOCKET = SERVICES_VAR / "redis" / "redis.sock"
PATH = "/webhooks/whatsapp"
BODIES = ["How do I reset my password?", "Where can I download our invoices?", "Is there an outage right now?",
          "How do I add a teammate to my workspace?", "My export is stuck at 90%", "Can I change my plan?"]


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return round(values[min(len(values) - 1, int(round(q * (len(values) - 1))))], 1) if values else 0.0


async def fire(url: str, requests: list[tuple[str, bytes, str]], rate: float, *, connections: int
               ) -> list[tuple[str, int, float]]:
    """Send ``requests`` open loop at ``rate``; return (sid, status, latency ms from the scheduled time).

    A deliberately small HTTP/1.1 client over asyncio streams (pre-built requests, keep-alive
    connections, Content-Length bodies): the generator shares the server's cores, so every
    millisecond it spends is one the server does not get. A request waits for a free
    connection in the queue, and that wait counts in its latency.
    """
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    results: list[tuple[str, int, float]] = []
    queue: asyncio.Queue = asyncio.Queue()
    finished: list[float] = []

    def raw_request(body: bytes, signature: str) -> bytes:
        return (f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nUser-Agent: TwilioProxy/1.1\r\n"
                f"Content-Type: application/x-www-form-urlencoded\r\nX-Twilio-Signature: {signature}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode() + body

    async def exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes) -> tuple[int, bool]:
        writer.write(raw)
        await writer.drain()
        status_line = await reader.readline()
        if not status_line:
            raise ConnectionResetError("closed before answering")
        status = int(status_line.split()[1])
        length, keep = 0, True
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and value.strip().lower() == "close":
                keep = False
        await reader.readexactly(length)
        return status, keep

    async def connection_loop() -> None:
        reader = writer = None
        while (item := await queue.get()) is not None:
            sid, raw, scheduled = item
            status = 0
            for _ in range(2):  # a keep-alive connection the server closed meanwhile: once more on a new one
                try:
                    if writer is None:
                        reader, writer = await asyncio.open_connection(host, port)
                    status, keep = await asyncio.wait_for(exchange(reader, writer, raw), timeout=30)
                    if not keep:
                        writer.close()
                        reader = writer = None
                    break
                except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError, IndexError):
                    if writer is not None:
                        writer.close()
                    reader = writer = None
            results.append((sid, status, (time.perf_counter() - scheduled) * 1000))
            finished.append(time.perf_counter())
        if writer is not None:
            writer.close()

    loops = [asyncio.create_task(connection_loop()) for _ in range(connections)]
    start = time.perf_counter() + 0.2
    for i, (sid, body, signature) in enumerate(requests):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        queue.put_nowait((sid, raw_request(body, signature), scheduled))
    for _ in loops:
        queue.put_nowait(None)
    await asyncio.gather(*loops)
    fire.served_per_s = round(len(finished) / (max(finished) - start), 1) if finished else 0.0  # type: ignore[attr-defined]
    return results


def build_requests(url: str, count: int, senders: int, run: str) -> list[tuple[str, bytes, str]]:
    requests = []
    for i in range(count):
        sid = "SM" + uuid.uuid5(uuid.NAMESPACE_URL, f"{run}-{i}").hex
        phone = f"+1415{(i % senders) + 5_000_000:07d}"
        body, signature = signed(url, whatsapp_form(sid=sid, phone=phone, body=BODIES[i % len(BODIES)]))
        requests.append((sid, body, signature))
    return requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=100.0, help="requests per second")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--senders", type=int, default=1000, help="distinct customers the messages come from")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--no-access-log", action="store_true")
    parser.add_argument("--gunicorn-config", default="", help="a gunicorn config file to pass with --config")
    parser.add_argument("--with-worker", action="store_true", help="also run the Celery worker, as make run does")
    parser.add_argument("--worker-nice", type=int, default=0, help="the worker's niceness relative to the web")
    parser.add_argument("--connections", type=int, default=32, help="keep-alive connections the generator opens")
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    run = uuid.uuid4().hex[:8]
    public = f"http://127.0.0.1:{args.port}"
    env = base_env(EMBEDDED_DB_NAME=DB_NAME, PUBLIC_BASE_URL=public, CELERY_QUEUE=f"bench-webhooks-{run}",
                   CELERY_BROKER_URL=f"redis+socket://{REDIS_SOCKET}?virtual_host=0",
                   CACHE_URL=f"unix://{REDIS_SOCKET}?db=1")
    os.environ.clear()
    os.environ.update(env)
    redis_ports = {"REDIS_SOCKET": str(REDIS_SOCKET)}
    started_redis = "up" not in services("status", "redis", var=SERVICES_VAR, **redis_ports)
    if started_redis:
        services("start", "redis", var=SERVICES_VAR, **redis_ports)
    socket_dir = ensure_database(DB_NAME)

    import django

    django.setup()
    from django.core.management import call_command

    from crm.models import Channel, Message

    call_command("migrate", verbosity=0)
    procs: list[Proc] = []
    try:
        app = "bench.profiled_wsgi:application" if args.profile else "fte_project.wsgi:application"
        web = Proc("webhooks-web", gunicorn_args(args.port, workers=args.workers,
                                                 threads=1 if args.profile else args.threads,
                                                 access_log=not args.no_access_log, app=app,
                                                 extra=["--config", args.gunicorn_config] if args.gunicorn_config
                                                 else None), env)
        procs.append(web)
        relay = Proc("webhooks-relay", ["manage.py", "run_outbox_relay"], env)
        procs.append(relay)
        roots = {"gunicorn": web.pid, "relay": relay.pid}
        if args.with_worker:
            call_command("ingest_kb", verbosity=0)
            # As scripts/run starts it (--worker-nice N tries it at a lower CPU priority than the web).
            procs.append(Proc("webhooks-worker", ["nice", "-n", str(args.worker_nice), sys.executable, "-m", "celery",
                                                  "-A", "fte_project", "worker", "-B", "--loglevel", "INFO",
                                                  "--concurrency", "2", "-Q", env["CELERY_QUEUE"],
                                                  "--schedule", str(LOGS / f"webhooks-beat-{run}")], env,
                              python=False))
            roots["worker"] = procs[-1].pid
        wait_until(lambda: http_ok(f"{public}/health"), timeout=120, what="gunicorn to answer /health")

        url = public + PATH
        warmup = build_requests(url, 100, args.senders, run + "-warm")
        asyncio.run(fire(url, warmup, min(args.rate, 50), connections=args.connections))
        requests = build_requests(url, int(args.rate * args.duration), args.senders, run)
        meter = CpuMeter(roots, {"host": str(socket_dir), "dbname": "postgres", "user": "postgres"},
                         database=DB_NAME)
        meter.sample()
        cpu_before = meter.by_kind()
        meter.start()
        cpu_self = time.process_time()
        wall = time.perf_counter()
        results = asyncio.run(fire(url, requests, args.rate, connections=args.connections))
        wall = time.perf_counter() - wall
        cpu_self = time.process_time() - cpu_self
        # Let the relay catch up with what was accepted, so its CPU is all counted.
        time.sleep(2)
        meter.stopping.set()
        meter.join()
        meter.sample()
        cpu_used = {kind: seconds - cpu_before.get(kind, 0.0) for kind, seconds in meter.by_kind().items()}
    finally:
        terminate_all(procs)
        if started_redis:
            services("stop", "redis", var=SERVICES_VAR, **redis_ports)

    acked = [sid for sid, status, _ in results if 200 <= status < 300]
    latencies = [ms for _, status, ms in results if 200 <= status < 300]
    stored: dict[str, int] = {}
    for chunk in range(0, len(acked), 1000):
        for provider_id in Message.objects.filter(channel=Channel.WHATSAPP,
                                                  provider_id__in=acked[chunk:chunk + 1000]).values_list(
                                                      "provider_id", flat=True):
            stored[provider_id] = stored.get(provider_id, 0) + 1
    statuses: dict[str, int] = {}
    for _, status, _ in results:
        statuses[str(status or "error")] = statuses.get(str(status or "error"), 0) + 1
    result = {
        "rate_offered_per_s": args.rate, "duration_s": args.duration, "sent": len(results),
        "served_per_s": fire.served_per_s,  # type: ignore[attr-defined]
        "gunicorn": {"workers": args.workers, "threads": 1 if args.profile else args.threads,
                     "access_log": not args.no_access_log},
        "with_worker": args.with_worker, "worker_nice": args.worker_nice if args.with_worker else None,
        "statuses": statuses,
        "ack_ms": {"p50": pct(latencies, 0.5), "p95": pct(latencies, 0.95), "p99": pct(latencies, 0.99),
                   "max": pct(latencies, 1), "mean": round(statistics.fmean(latencies), 1) if latencies else 0},
        "acknowledged": len(acked),
        "stored_once": sum(1 for n in stored.values() if n == 1),
        "lost": len(set(acked) - set(stored)),
        "duplicated": sum(1 for n in stored.values() if n > 1),
        "cpu_ms_per_request": {**{kind: round(seconds * 1000 / max(1, len(results)), 2)
                                  for kind, seconds in sorted(cpu_used.items())},
                               "load_generator": round(cpu_self * 1000 / max(1, len(results)), 2)},
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
