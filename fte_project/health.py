"""``GET /health``: the state of every dependency we can check, 200 when all are up.

Each check is a small function returning a dict with at least ``ok``; a check that
is not configured in this deployment reports ``"configured": false`` and counts as
up, so that ``make run`` on embedded defaults is healthy without Kafka.

The project knows none of its apps: each app registers its own checks with
``register`` from its ``AppConfig.ready`` (``crm.health_checks``: the database;
``channels_app.health_checks``: Kafka, the Celery broker, the bridge's lag). They run,
and are reported, in the order they were registered, which is ``INSTALLED_APPS`` order.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

Check = Callable[[], dict[str, Any]]
_CHECKS: dict[str, Check] = {}


def register(name: str) -> Callable[[Check], Check]:
    def decorator(check: Check) -> Check:
        _CHECKS[name] = check
        return check

    return decorator


def run_checks() -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    for name, check in _CHECKS.items():
        started = time.monotonic()
        try:
            result = check()
        except Exception as exc:  # a health check reports failures, it never raises
            result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:500]}
        result["ms"] = round((time.monotonic() - started) * 1000, 1)
        results[name] = result
    return results


@require_GET
def health_view(request: HttpRequest) -> JsonResponse:
    checks = run_checks()
    failing = sorted(name for name, result in checks.items() if not result.get("ok"))
    body = {"status": "ok" if not failing else "degraded", "failing": failing, "checks": checks}
    return JsonResponse(body, status=200 if not failing else 503)
