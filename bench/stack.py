"""Shared by the benchmarks that run our real processes: start them, sign webhooks, wait.

Nothing here is imported by the application. Every process gets its own session (so a
whole tree can be signalled at once) and its own log under ``var/bench/``.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
LOGS = ROOT / "var" / "bench"
TWILIO_TOKEN = "bench-twilio-auth-token-0123456789"


def wait_until(predicate: Callable[[], Any], *, timeout: float, interval: float = 0.2, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as exc:  # noqa: BLE001 - "not yet"
            last = exc
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}" + (f" (last error: {last!r})" if last else ""))


class Proc:
    """One of our processes (or a process tree), logging to ``var/bench/<name>.log``."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], *, python: bool = True) -> None:
        LOGS.mkdir(parents=True, exist_ok=True)
        self.name, self.args, self.env, self.python = name, args, env, python
        self.log_path = LOGS / f"{name}.log"
        self.popen: subprocess.Popen | None = None
        self.start()

    def start(self) -> Proc:
        log = open(self.log_path, "ab")
        argv = [sys.executable, *self.args] if self.python else self.args
        self.popen = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                      start_new_session=True)
        log.close()
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def signal_group(self, sig: int) -> None:
        if self.alive():
            try:
                os.killpg(self.pid, sig)
            except ProcessLookupError:
                pass

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM to the leader (Celery and gunicorn stop their children themselves), then SIGKILL the tree."""
        if not self.alive():
            return
        assert self.popen is not None
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
        self.kill()

    def kill(self) -> None:
        """SIGKILL the whole tree: no chance to clean up, as when a pod is killed."""
        self.signal_group(signal.SIGKILL)
        if self.popen is not None:
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                pass


def services(action: str, name: str, *, var: Path, **ports: str) -> str:
    """``scripts/services ACTION NAME`` with its data under ``var`` (and its own ports or socket)."""
    env = {**os.environ, "SERVICES_VAR": str(var), **ports}
    result = subprocess.run([str(ROOT / "scripts" / "services"), action, name], env=env, capture_output=True,
                            text=True, timeout=180)
    if result.returncode != 0 and action != "status":
        raise RuntimeError(f"scripts/services {action} {name} failed:\n{result.stdout}{result.stderr}")
    return result.stdout.strip()


def ensure_database(name: str) -> Path:
    """Create database ``name`` on the embedded server (EMBEDDED_PGDATA) if needed; return the socket dir."""
    import psycopg

    from fte_project import embedded_pg

    socket_dir = embedded_pg.ensure_running()
    with psycopg.connect(host=str(socket_dir), dbname="postgres", user="postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    return socket_dir


def base_env(**extra: str) -> dict[str, str]:
    """Development mode, no env files, none of the developer's exported configuration."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "CACHE_URL", "CELERY_BROKER_URL",
                        "TWILIO_ACCOUNT_SID", "OPENAI_API_KEY", "OPENAI_BASE_URL"}}
    env.update({"FTE_DEV_MODE": "1", "FTE_NO_ENV_FILES": "1", "PYTHONUNBUFFERED": "1",
                "DJANGO_SETTINGS_MODULE": "fte_project.settings", "TWILIO_AUTH_TOKEN": TWILIO_TOKEN})
    env.update(extra)
    return env


def whatsapp_form(*, sid: str, phone: str, body: str) -> dict[str, str]:
    """The form Twilio POSTs for an inbound WhatsApp text."""
    return {"MessageSid": sid, "SmsMessageSid": sid, "AccountSid": "AC" + "b" * 32, "From": f"whatsapp:{phone}",
            "To": "whatsapp:+14155238886", "Body": body, "NumMedia": "0", "NumSegments": "1",
            "SmsStatus": "received", "ProfileName": "Bench", "WaId": phone.lstrip("+"), "ApiVersion": "2010-04-01"}


def signed(url: str, form: dict[str, str], token: str = TWILIO_TOKEN) -> tuple[bytes, str]:
    """The body and ``X-Twilio-Signature`` Twilio would send (its RequestValidator scheme)."""
    from twilio.request_validator import RequestValidator

    return urlencode(form).encode(), RequestValidator(token).compute_signature(url, form)


def http_ok(url: str, timeout: float = 5) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status < 500
    except urllib.error.HTTPError as exc:
        return exc.code < 500
    except OSError:
        return False


def gunicorn_args(port: int, *, workers: int = 2, threads: int = 4, access_log: bool = True,
                  app: str = "fte_project.wsgi:application", extra: list[str] | None = None) -> list[str]:
    """gunicorn as scripts/run starts it (2 workers x 4 threads, access log on stdout)."""
    args = ["-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
            "--threads", str(threads)]
    if access_log:
        args += ["--access-logfile", "-"]
    return args + (extra or [])


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children so far (0 when gone)."""
    import psutil

    try:
        root = psutil.Process(pid)
        total = 0.0
        for proc in [root, *root.children(recursive=True)]:
            try:
                times = proc.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                pass
        return total
    except psutil.NoSuchProcess:
        return 0.0


def terminate_all(procs: list[Proc]) -> None:
    for proc in procs:
        if proc.alive() and proc.popen is not None:
            proc.popen.send_signal(signal.SIGTERM)
    for proc in procs:
        proc.stop(timeout=20)


class CpuMeter(threading.Thread):
    """Keeps the last CPU time (user + system) seen for every process of the stack.

    The stack is the given process trees plus the PostgreSQL backends connected to
    ``database`` (found through pg_stat_activity). Sampled every half second, so a
    process that lives shorter than that is missed; kept connections make that rare.
    """

    def __init__(self, roots: dict[str, int], dsn: dict[str, str], *, database: str) -> None:
        super().__init__(daemon=True)
        self.roots, self.dsn, self.database = roots, dsn, database
        self.cpu: dict[int, float] = {}
        self.kind: dict[int, str] = {}
        self.stopping = threading.Event()

    def sample(self) -> None:
        import psutil
        import psycopg

        for name, root in self.roots.items():
            try:
                proc = psutil.Process(root)
                self.kind[proc.pid] = name
                self.kind.update({child.pid: f"{name}-children" for child in proc.children(recursive=True)})
            except psutil.NoSuchProcess:
                pass
        with psycopg.connect(**self.dsn, autocommit=True) as conn:
            self.kind.update({row[0]: "postgres" for row in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [self.database])})
        for pid in list(self.kind):
            try:
                times = psutil.Process(pid).cpu_times()
                self.cpu[pid] = times.user + times.system
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                pass

    def by_kind(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for pid, seconds in self.cpu.items():
            totals[self.kind[pid]] = totals.get(self.kind[pid], 0.0) + seconds
        return totals

    def run(self) -> None:
        while not self.stopping.wait(0.5):
            try:
                self.sample()
            except Exception:  # noqa: BLE001 - a missed sample only makes the figure smaller
                pass
