"""Chaos: the real pipeline under steady load while one part fails at a time.

The pipeline is the production shape on one machine: gunicorn (the intake), two outbox
relays (one active, one standby), Kafka (single-node KRaft), the Kafka bridge, Redis as
Celery's broker, a Celery worker (2 processes), Celery beat (the sweeps), and PostgreSQL.
Kafka, Redis and PostgreSQL are this benchmark's own instances, under ``var/chaos/`` on
their own ports (Kafka 19092/19093, Redis 16379) and data directory, so killing them
disturbs nothing else on the machine. Replies go to a local fake of Twilio's Messages API
that records every send, so a reply sent twice is seen.

Load: signed WhatsApp webhooks at ``--rate`` messages a second, each from a new customer,
sent like Twilio sends them. A webhook that is not acknowledged (5xx, refused connection)
is sent again every 2 s, with the same MessageSid, for up to a minute: Twilio retries in
the same way when a fallback/retry policy is configured.

Scenarios, one at a time, each under load: Kafka down 60 s (SIGKILL, restarted), Redis
down 30 s (SIGKILL, restarted empty: it keeps nothing on disk), a worker SIGKILLed while a
message is being processed (restarted after 2 s, as a supervisor would), the bridge
SIGKILLed (restarted after 5 s), the active relay SIGKILLed (the standby takes over; no
restart), PostgreSQL restarted (fast shutdown, then started again).

For each: messages accepted (acknowledged 2xx), replies delivered (a send reached the fake
Twilio), lost (accepted, no reply after the drain: must be 0), duplicated (the same reply
sent twice to a customer: must be 0), and the time to recover: from the repair (service
back, process restarted, or the kill when a standby takes over) until every message
accepted so far has its reply.

The sweeps run at their configured intervals (60 s) with shorter thresholds than the
defaults, so that one run stays within minutes (``CHAOS_SETTINGS`` below; the same
settings are printed in the result).

Usage:  .venv/bin/python bench/chaos.py [--rate 5] [--only kafka,redis,worker,bridge,relay,postgres] [--json]
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.stack import (  # noqa: E402 - after the path is set
    LOGS,
    Proc,
    base_env,
    gunicorn_args,
    http_ok,
    services,
    signed,
    terminate_all,
    wait_until,
    whatsapp_form,
)

VAR = ROOT / "var" / "chaos"
PORTS = {"KAFKA_PORT": "19092", "KAFKA_CONTROLLER_PORT": "19093", "REDIS_PORT": "16379"}
WEB_PORT = 8797
DB_NAME = "fte_chaos"
ACCOUNT_SID = "AC" + "c" * 32
QUESTIONS = ["How do I reset my password?", "Where can I download our invoices?",
             "How do I turn on two-factor authentication?", "How do I export my workspace?",
             "What is the maximum file size for attachments?", "How do I verify webhook signatures?"]
# Shorter than the defaults so that a run takes minutes (see the module docstring).
CHAOS_SETTINGS = {
    "PROCESSING_LEASE_SECONDS": "30",     # default 300: a killed worker's message is claimable again after this
    "CELERY_VISIBILITY_TIMEOUT": "60",    # default 600: Redis hands a dead worker's unacked task out again
    "DELIVERY_STALL_SECONDS": "30",       # default 300: a reply whose delivery task was lost is sent again
    "RECEIVED_STALL_SECONDS": "60",       # default 600: a message whose task was lost is queued again
}
SCENARIOS = ["kafka", "redis", "worker", "bridge", "relay", "postgres"]


def now() -> float:
    return time.monotonic()


# --- the fake Twilio ---------------------------------------------------------------------------


class Sends:
    """Every message the fake Twilio accepted: who it went to, what it said, when."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_phone: dict[str, list[tuple[float, str]]] = {}

    def record(self, to: str, body: str) -> None:
        with self.lock:
            self.by_phone.setdefault(to.removeprefix("whatsapp:"), []).append((now(), body))

    def first(self, phone: str) -> float | None:
        with self.lock:
            sent = self.by_phone.get(phone)
            return min(t for t, _ in sent) if sent else None

    def duplicated(self, phone: str) -> bool:
        with self.lock:
            bodies = [b for _, b in self.by_phone.get(phone, [])]
        return len(bodies) != len(set(bodies))


def start_fake_twilio(sends: Sends) -> Any:
    from channels_app.tests.fakes.twilio_api import FakeTwilio

    class RecordingTwilio(FakeTwilio):
        def handle(self, request):  # type: ignore[no-untyped-def]
            response = super().handle(request)
            if response.status == 201:
                sends.record(response.body["to"], response.body["body"])
            return response

    return RecordingTwilio(account_sid=ACCOUNT_SID, auth_token=os.environ["TWILIO_AUTH_TOKEN"]).start()


# --- the load --------------------------------------------------------------------------------


@dataclass
class Sent:
    phone: str
    sid: str
    scenario: str
    first_try: float
    accepted: float | None = None
    refusals: int = 0


@dataclass
class Load:
    """Signed WhatsApp webhooks at a steady rate, each retried until acknowledged (at most a minute)."""

    url: str
    rate: float
    scenario: str = "warmup"
    messages: list[Sent] = field(default_factory=list)
    running: threading.Event = field(default_factory=threading.Event)
    seq: int = 0

    def post(self, message: Sent, body: bytes, signature: str) -> None:
        deadline = message.first_try + 60
        while now() < deadline:
            request = urllib.request.Request(self.url, data=body, method="POST", headers={
                "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature})
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    if 200 <= response.status < 300:
                        message.accepted = now()
                        return
            except (urllib.error.URLError, OSError):
                pass
            message.refusals += 1
            time.sleep(2)

    def run(self) -> None:
        interval = 1.0 / self.rate
        next_at = now()
        while self.running.is_set():
            self.seq += 1
            phone = f"+1415{3_000_000 + self.seq:07d}"
            sid = "SM" + uuid.uuid4().hex
            body, signature = signed(self.url, whatsapp_form(sid=sid, phone=phone,
                                                             body=QUESTIONS[self.seq % len(QUESTIONS)]))
            message = Sent(phone=phone, sid=sid, scenario=self.scenario, first_try=now())
            self.messages.append(message)
            threading.Thread(target=self.post, args=(message, body, signature), daemon=True).start()
            next_at += interval
            time.sleep(max(0.0, next_at - now()))

    def start(self) -> threading.Thread:
        self.running.set()
        thread = threading.Thread(target=self.run, daemon=True)
        thread.start()
        return thread


# --- the stack -----------------------------------------------------------------------------


class Stack:
    """Our processes, and what an orchestrator does for them: restart one that exited, and
    one whose liveness probe fails (a Celery worker that stopped consuming: see ``supervise``)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.procs: dict[str, Proc] = {}
        self.relay_count = 0
        self.restarts: list[tuple[float, str, str]] = []
        self.stopped = threading.Event()
        self.paused: set[str] = set()  # processes a scenario is killing and restarting itself
        for old in LOGS.glob("chaos-*.log"):
            old.unlink()

    def start(self, name: str) -> Proc:
        args = {
            "web": gunicorn_args(WEB_PORT),
            "worker": ["-m", "celery", "-A", "fte_project", "worker", "-c", "2", "-Q", "chaos", "--loglevel", "INFO",
                       "--without-gossip", "--without-mingle", "-n", "chaos@%h"],
            "beat": ["-m", "celery", "-A", "fte_project", "beat", "--loglevel", "INFO",
                     "--schedule", str(VAR / "celerybeat-schedule")],
            "bridge": ["manage.py", "run_kafka_bridge"],
        }
        if name.startswith("relay"):
            proc = Proc(f"chaos-{name}", ["manage.py", "run_outbox_relay"], self.env)
        else:
            proc = Proc(f"chaos-{name}", args[name], self.env)
        self.procs[name] = proc
        return proc

    def new_relay(self) -> str:
        self.relay_count += 1
        name = f"relay{self.relay_count}"
        self.start(name)
        return name

    def active_relay(self) -> str:
        """The living relay that most recently logged taking the lead (the others wait on the advisory lock)."""
        latest: dict[str, str] = {}
        for name, proc in self.procs.items():
            if name.startswith("relay") and proc.alive():
                lines = [line for line in proc.log().splitlines() if "outbox relay is active" in line]
                if lines:
                    latest[name] = lines[-1][:23]  # "2026-12-02 21:54:59,012"
        if not latest:
            raise RuntimeError("no relay is active")
        return max(latest, key=latest.__getitem__)

    def worker_answers(self) -> bool:
        """The worker's liveness: does its main loop answer a control ping within 5 s?"""
        import redis

        from fte_project.celery import app

        try:
            redis.Redis(port=int(PORTS["REDIS_PORT"]), socket_timeout=2, socket_connect_timeout=2).ping()
        except redis.RedisError:
            return True  # the broker is down: not the worker's fault
        try:
            return bool(app.control.ping(destination=[f"chaos@{socket.gethostname()}"], timeout=5))
        except Exception:  # noqa: BLE001 - the broker went away meanwhile
            return True

    def supervise(self) -> None:
        """Like Kubernetes: restart what exited; restart the worker after two failed pings 15 s apart
        (Celery 5.7's worker can stop consuming after its Redis restarts: celery/celery#10205)."""
        failed_pings = 0
        while not self.stopped.wait(15):
            for name, proc in list(self.procs.items()):
                if name not in self.paused and not proc.alive():
                    self.restarts.append((now(), name, "exited"))
                    self.start(name)
            if "worker" in self.paused:
                continue
            failed_pings = 0 if self.worker_answers() else failed_pings + 1
            if failed_pings >= 2 and "worker" not in self.paused:
                self.restarts.append((now(), "worker", "liveness"))
                self.procs["worker"].kill()
                self.start("worker")
                failed_pings = 0

    def stop_all(self) -> None:
        terminate_all(list(self.procs.values()))


def service_pid(name: str) -> int:
    return int((VAR / name / f"{name}.pid").read_text().strip())


def kill_pid(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


# --- scenarios -----------------------------------------------------------------------------


def wait_for_processing(timeout: float = 30) -> bool:
    """Wait until some message is being processed by a worker (claimed, not finished)."""
    from django.db import close_old_connections

    from crm.models import Message, ProcessingState

    deadline = now() + timeout
    while now() < deadline:
        close_old_connections()
        if Message.objects.filter(processing_state=ProcessingState.PROCESSING).exists():
            return True
        time.sleep(0.02)
    return False


def inject(scenario: str, stack: Stack) -> tuple[float, float, str]:
    """Cause the fault and repair it. Returns (fault start, repair time, what happened)."""
    from fte_project import embedded_pg

    if scenario == "kafka":
        start = now()
        kill_pid(service_pid("kafka"))
        time.sleep(60)
        services("start", "kafka", var=VAR, **PORTS)
        return start, now(), "broker SIGKILLed, restarted after 60 s"
    if scenario == "redis":
        start = now()
        kill_pid(service_pid("redis"))
        time.sleep(30)
        services("start", "redis", var=VAR, **PORTS)
        return start, now(), "Redis SIGKILLed, restarted empty after 30 s"
    if scenario == "worker":
        mid_task = wait_for_processing()
        start = now()
        stack.paused.add("worker")
        stack.procs["worker"].kill()
        time.sleep(2)
        stack.start("worker")
        stack.paused.discard("worker")
        return start, now(), "worker SIGKILLed " + ("while processing a message" if mid_task else
                                                    "(no message was in processing within 30 s)") + \
            ", restarted after 2 s"
    if scenario == "bridge":
        start = now()
        stack.paused.add("bridge")
        stack.procs["bridge"].kill()
        time.sleep(5)
        stack.start("bridge")
        stack.paused.discard("bridge")
        return start, now(), "bridge SIGKILLed, restarted after 5 s"
    if scenario == "relay":
        active = stack.active_relay()
        start = now()
        stack.paused.add(active)  # it stays dead: the standby must take over
        stack.procs[active].kill()
        return start, now(), f"active relay ({active}) SIGKILLed; the standby took over"
    if scenario == "postgres":
        start = now()
        if not embedded_pg.stop():
            raise RuntimeError("PostgreSQL was not running")
        # A new process starts it (pgserver keeps a handle per process on the server it started).
        subprocess.run([sys.executable, "-m", "fte_project.embedded_pg", "start"], cwd=ROOT, env=stack.env,
                       check=True, capture_output=True, timeout=120)
        return start, now(), "PostgreSQL stopped (fast shutdown) and started again"
    raise ValueError(scenario)


def pct(values: list[float], q: float) -> float | None:
    values = sorted(values)
    return round(values[min(len(values) - 1, int(round(q * (len(values) - 1))))], 2) if values else None


def run_scenario(scenario: str, load: Load, stack: Stack, sends: Sends, *, before: float, after: float,
                 drain_timeout: float) -> dict[str, Any]:
    load.scenario = scenario
    time.sleep(before)
    fault_start, repaired, what = inject(scenario, stack)
    time.sleep(after)
    load.scenario = f"{scenario}-tail"  # messages after this are not counted in this scenario
    mine = [m for m in load.messages if m.scenario == scenario]
    # Every message sent is retried for up to a minute: wait for those attempts to end.
    wait_until(lambda: all(m.accepted or now() > m.first_try + 61 for m in mine), timeout=90,
               what="the webhooks' retries to end")
    accepted = [m for m in mine if m.accepted]
    deadline = now() + drain_timeout
    while now() < deadline and any(sends.first(m.phone) is None for m in accepted):
        time.sleep(0.5)
    delivered = [m for m in accepted if sends.first(m.phone) is not None]
    settled = now()
    time.sleep(5)  # a late duplicate would arrive about now
    before_repair = [m for m in accepted if m.accepted <= repaired]
    last_reply = max((sends.first(m.phone) or settled for m in before_repair), default=repaired)
    end_to_end = [sends.first(m.phone) - m.first_try for m in delivered]  # type: ignore[operator]
    return {
        "scenario": scenario, "what": what,
        "fault_s": round(repaired - fault_start, 1),
        "sent": len(mine), "accepted": len(accepted),
        "refused_attempts": sum(m.refusals for m in mine),
        "never_accepted": len(mine) - len(accepted),
        "delivered": len(delivered),
        "lost": len(accepted) - len(delivered),
        "duplicated": sum(1 for m in accepted if sends.duplicated(m.phone)),
        "recovery_s": round(max(0.0, last_reply - repaired), 1),
        "end_to_end_s": {"p50": pct(end_to_end, 0.5), "p95": pct(end_to_end, 0.95), "max": pct(end_to_end, 1)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=2.0, help="webhooks per second")
    parser.add_argument("--only", default=",".join(SCENARIOS), help="comma-separated scenarios, in order")
    parser.add_argument("--before", type=float, default=10.0, help="seconds of load before each fault")
    parser.add_argument("--after", type=float, default=20.0, help="seconds of load after each repair")
    parser.add_argument("--drain-timeout", type=float, default=240.0, help="most seconds to wait for replies")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    scenarios = [s for s in args.only.split(",") if s]
    unknown = set(scenarios) - set(SCENARIOS)
    if unknown:
        sys.exit(f"unknown scenarios: {sorted(unknown)}")

    run = uuid.uuid4().hex[:6]
    public = f"http://127.0.0.1:{WEB_PORT}"
    VAR.mkdir(parents=True, exist_ok=True)
    env = base_env(
        EMBEDDED_PGDATA=str(VAR / "pgdata"), EMBEDDED_DB_NAME=DB_NAME, PUBLIC_BASE_URL=public,
        KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{PORTS['KAFKA_PORT']}", KAFKA_TOPIC_PREFIX=f"chaos{run}.",
        KAFKA_CONSUMER_GROUP=f"chaos-{run}", CELERY_BROKER_URL=f"redis://127.0.0.1:{PORTS['REDIS_PORT']}/0",
        CACHE_URL=f"redis://127.0.0.1:{PORTS['REDIS_PORT']}/1", CELERY_QUEUE="chaos", **CHAOS_SETTINGS)
    os.environ.clear()
    os.environ.update(env)
    for name in ("kafka", "redis"):
        print(services("start", name, var=VAR, **PORTS), file=sys.stderr)

    sends = Sends()
    fake = start_fake_twilio(sends)
    env.update(TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_API_BASE_URL=fake.url)
    os.environ.update(env)

    # A fresh database every run: rows left by an earlier run (its customers' phone numbers,
    # replies it left pending) would be swept up and answered during this one.
    import psycopg

    from bench.stack import ensure_database
    from fte_project import embedded_pg

    socket_dir = embedded_pg.ensure_running()
    with psycopg.connect(host=str(socket_dir), dbname="postgres", user="postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    ensure_database(DB_NAME)
    import django

    django.setup()
    from django.core.management import call_command

    from channels_app import kafka_io

    call_command("migrate", verbosity=0)
    call_command("ingest_kb", verbosity=0)
    kafka_io.create_topics()

    stack = Stack(env)
    started = now()
    results: list[dict[str, Any]] = []
    load = Load(url=public + "/webhooks/whatsapp", rate=args.rate)
    try:
        for name in ("web", "worker", "beat", "bridge"):
            stack.start(name)
        stack.new_relay()
        time.sleep(2)  # the first relay takes the lock; the second waits as the standby
        stack.new_relay()
        wait_until(lambda: http_ok(f"{public}/health"), timeout=120, what="gunicorn")
        threading.Thread(target=stack.supervise, daemon=True).start()
        load.start()
        # Warm up: replies flow end to end before the first fault.
        wait_until(lambda: sum(1 for m in load.messages if m.accepted and sends.first(m.phone)) >= 10,
                   timeout=180, what="the first 10 replies")
        for scenario in scenarios:
            print(f"chaos: {scenario}…", file=sys.stderr)
            results.append(run_scenario(scenario, load, stack, sends, before=args.before, after=args.after,
                                        drain_timeout=args.drain_timeout))
            print(json.dumps(results[-1]), file=sys.stderr)
            if scenario == "relay":
                stack.new_relay()  # a new standby, as the orchestrator would start
    finally:
        load.running.clear()
        stack.stopped.set()
        stack.stop_all()
        fake.stop()
        for name in ("kafka", "redis"):
            services("stop", name, var=VAR, **PORTS)
        from fte_project import embedded_pg

        embedded_pg.stop()
    restarts = [{"at_s": round(at - started, 1), "process": name, "why": why} for at, name, why in stack.restarts]
    print(json.dumps({"rate_per_s": args.rate, "settings": CHAOS_SETTINGS, "scenarios": results,
                      "orchestrator_restarts": restarts,
                      "load_average_1m": round(os.getloadavg()[0], 2), "logs": str(LOGS)},
                     indent=None if args.json else 2))


if __name__ == "__main__":
    main()
