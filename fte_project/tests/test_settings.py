"""Settings that depend on how the deployment is reached, read by a fresh interpreter."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.support.processes import ROOT

READ = ("import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS]))")


def _settings(**env: str) -> list:
    environ = {**os.environ, "DJANGO_SETTINGS_MODULE": "fte_project.settings", "FTE_NO_ENV_FILES": "1", **env}
    out = subprocess.run([sys.executable, "-c", READ], cwd=ROOT, env=environ, capture_output=True, text=True,
                         check=True, timeout=60).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_staff_cookies_are_secure_when_served_over_https() -> None:
    assert _settings(PUBLIC_BASE_URL="https://support.loomline.example", SECURE_HSTS_SECONDS="31536000") == [
        True, True, 31536000]
    assert _settings(PUBLIC_BASE_URL="http://127.0.0.1:8000") == [False, False, 0]
