"""Run our real processes (Celery worker, outbox relay, Kafka bridge) for integration tests."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "logs"


def wait_until(predicate: Callable[[], Any], *, timeout: float = 60, interval: float = 0.2, what: str = "") -> Any:
    """Poll until ``predicate()`` is truthy and return its value.

    An exception from the predicate counts as "not yet" (a broker still electing its
    group coordinator, a health probe timing out under load); the last one is named
    if time runs out.
    """
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except Exception as exc:  # noqa: BLE001 - retried, and reported below
            last_error, value = exc, None
        if value:
            return value
        time.sleep(interval)
    detail = f"; last error: {last_error!r}" if last_error else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}{detail}")


def service_env(**extra: str) -> dict[str, str]:
    """The environment our processes need to share this test's database, broker and topics."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    db = connection.settings_dict
    env.update({"FTE_DEV_MODE": "1", "FTE_NO_ENV_FILES": "1", "PYTHONUNBUFFERED": "1"})
    if settings.DATABASE_URL:
        from urllib.parse import urlsplit, urlunsplit

        parts = urlsplit(settings.DATABASE_URL)
        env["DATABASE_URL"] = urlunsplit(parts._replace(path="/" + db["NAME"]))
    else:
        env["EMBEDDED_DB_NAME"] = db["NAME"]
    env.update(extra)
    return env


class Proc:
    def __init__(self, name: str, args: list[str], env: dict[str, str]) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.log_path = ARTIFACTS / f"{name}-{int(time.time() * 1000)}.log"
        self._log = open(self.log_path, "wb")
        self.popen = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=self._log,
                                      stderr=subprocess.STDOUT, start_new_session=True)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, timeout: float = 20) -> int | None:
        if self.alive():
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(5)
        self._log.close()
        return self.popen.returncode

    def kill(self) -> None:
        """SIGKILL the whole process group: a worker dying mid-task, with no chance to clean up."""
        if self.alive():
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)


def start_worker(env: dict[str, str], queue: str, name: str = "worker") -> Proc:
    proc = Proc(name, ["-m", "celery", "-A", "fte_project", "worker", "-Q", queue, "-c", "1", "--pool", "prefork",
                       "--without-gossip", "--without-mingle", "--loglevel", "INFO", "-n", f"{name}-{queue}@%h"], env)
    wait_until(lambda: "ready" in proc.log() or not proc.alive(), timeout=60, what=f"{name} to be ready")
    assert proc.alive(), proc.log()
    return proc


def start_manage(name: str, command: str, env: dict[str, str], *args: str) -> Proc:
    return Proc(name, ["manage.py", command, *args], env)
