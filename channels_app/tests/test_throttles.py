"""The web form's rate limits hold across processes, the way gunicorn runs them.

Two real Python processes count against one limit at the same moment, through the
cache backend the settings configure: PostgreSQL's ``fte_cache`` table by default, Redis
with ``CACHE_URL``. Django's test client runs in this one process and could not show it.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.core.cache import cache, caches
from django.test import RequestFactory, override_settings
from rest_framework.request import Request

from channels_app.throttles import WebFormIPThrottle
from tests.support.processes import ROOT, service_env

pytestmark = pytest.mark.django_db

COUNTER = """
import os, sys, time
import django
django.setup()
from django.test import RequestFactory
from rest_framework.request import Request
from channels_app.throttles import WebFormIPThrottle

go, ident, attempts = sys.argv[1], sys.argv[2], int(sys.argv[3])
request = Request(RequestFactory().post("/support/submit", REMOTE_ADDR=ident))
WebFormIPThrottle().get_cache_key(request, None)  # warm up imports and the connection
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.005)
print(sum(WebFormIPThrottle().allow_request(request, None) for _ in range(attempts)), flush=True)
"""


def count_in_two_processes(tmp_path: Path, *, limit: int, attempts: int, **env: str) -> list[int]:
    """Start two processes that each try ``attempts`` submissions from one client at once."""
    ident = f"test-{uuid.uuid4().hex[:12]}"
    go = tmp_path / "go"
    environ = service_env(WEBFORM_RATE_PER_IP=f"{limit}/hour", DJANGO_SETTINGS_MODULE="fte_project.settings", **env)
    procs = [subprocess.Popen([sys.executable, "-c", COUNTER, str(go), ident, str(attempts)], cwd=ROOT, env=environ,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        for proc in procs:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert line.strip() == "ready", proc.stderr.read() if proc.stderr else line
        go.touch()  # both start counting together
        results = []
        for proc in procs:
            out, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err
            results.append(int(out.strip().splitlines()[-1]))
        return results
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()


def test_two_processes_share_one_count_in_the_default_cache(tmp_path: Path) -> None:
    allowed = count_in_two_processes(tmp_path, limit=10, attempts=15)
    assert sum(allowed) == 10, f"each process allowed {allowed}: the limit is counted per process"


@pytest.mark.integration
def test_two_processes_share_one_count_in_redis(tmp_path: Path) -> None:
    redis_url = os.environ.get("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
    allowed = count_in_two_processes(tmp_path, limit=10, attempts=15, CACHE_URL=redis_url)
    assert sum(allowed) == 10, f"each process allowed {allowed}: the limit is counted per process"


def test_the_default_cache_is_the_database_table() -> None:
    cache.set("fte-probe", "here", 30)
    assert cache.get("fte-probe") == "here"
    backend = caches["default"]
    assert type(backend).__name__ == "DatabaseCache" and backend._table == "fte_cache"


@override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                       "LOCATION": "redis://127.0.0.1:1/0"}})
def test_an_unreachable_cache_lets_the_request_through() -> None:
    started = time.monotonic()
    request = Request(RequestFactory().post("/support/submit", REMOTE_ADDR="198.51.100.7"))
    assert WebFormIPThrottle().allow_request(request, None) is True
    assert time.monotonic() - started < 5


def _manage_check(**env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    environ.update({"FTE_NO_ENV_FILES": "1", "FTE_DEV_MODE": "0", "SECRET_KEY": "x" * 50,
                    "TWILIO_AUTH_TOKEN": "t", "GMAIL_PUSH_SHARED_SECRET": "g", **env})
    return subprocess.run([sys.executable, "manage.py", "check", "--tag", "caches"], cwd=ROOT, env=environ,
                          capture_output=True, text=True, timeout=120)


def test_outside_development_a_per_process_cache_is_refused() -> None:
    refused = _manage_check(CACHE_URL="locmem://")
    assert refused.returncode != 0
    assert "channels_app.E001" in refused.stderr
    assert _manage_check().returncode == 0  # the default: the PostgreSQL table
    assert _manage_check(CACHE_URL="locmem://", FTE_DEV_MODE="1").returncode == 0
