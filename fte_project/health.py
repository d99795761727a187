"""``GET /health`` and the admin's operations page: every registered check, and what it found.

Each check is a small function returning a dict with at least ``ok``, and ``warnings``
(a list of sentences) when something is off without being broken. A check that is not
configured in this deployment reports ``"configured": false`` and counts as up, so that
``make run`` on embedded defaults is healthy without Kafka.

Three answers:

- **200 "ok"**: every check passed, no warnings.
- **200 "degraded"**: every dependency answers, but a check has warnings: a backlog
  over its threshold (``HEALTH_MAX_*``), the bridge lagging, a Gmail watch about to
  lapse, a channel in sandbox mode outside development. Still 200 on purpose: the
  readiness probe reads ``/health``, and taking web pods out of rotation because the
  workers are behind would turn a backlog into refused webhooks (Twilio does not send
  a WhatsApp message again). ``degraded`` names the checks with warnings.
- **503 "failing"**: a check failed (a dependency does not answer, or a check raised).
  ``failing`` names them.

The project knows none of its apps: each app registers its own checks with
``register`` from its ``AppConfig.ready`` (``crm.health_checks``: the database and the
pipeline's backlog; ``channels_app.health_checks``: Kafka, the Celery broker, the
bridge's lag, the channels, the cache). They run, and are reported, in the order they
were registered, which is ``INSTALLED_APPS`` order.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

Check = Callable[[], dict[str, Any]]
_CHECKS: dict[str, Check] = {}

OK, DEGRADED, FAILING = "ok", "degraded", "failing"


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


def report() -> dict[str, Any]:
    """Every check's result, the overall status, and the names of failing and degraded checks."""
    checks = run_checks()
    failing = sorted(name for name, result in checks.items() if not result.get("ok"))
    degraded = sorted(name for name, result in checks.items() if result.get("ok") and result.get("warnings"))
    status = FAILING if failing else DEGRADED if degraded else OK
    return {"status": status, "failing": failing, "degraded": degraded, "checks": checks}


@require_GET
def health_view(request: HttpRequest) -> JsonResponse:
    body = report()
    return JsonResponse(body, status=503 if body["status"] == FAILING else 200)


# --- The admin's page -------------------------------------------------------------------------

_NOT_DETAILS = {"ok", "warnings", "ms", "error"}


def _rows(details: dict[str, Any]) -> tuple[list[tuple[str, Any]], list[dict[str, Any]]]:
    """Plain key/value rows, and tables for values that are a dict of dicts (e.g. one row per channel)."""
    rows: list[tuple[str, Any]] = []
    tables: list[dict[str, Any]] = []
    for key, value in details.items():
        if key in _NOT_DETAILS:
            continue
        if isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()):
            columns = list(dict.fromkeys(column for row in value.values() for column in row))
            tables.append({"title": key.replace("_", " "), "columns": columns,
                           "rows": [(name, [row.get(c, "") for c in columns]) for name, row in value.items()]})
        elif isinstance(value, dict):
            rows.append((key.replace("_", " "), ", ".join(f"{k}: {v}" for k, v in value.items()) or "—"))
        else:
            rows.append((key.replace("_", " "), "—" if value is None else value))
    return rows, tables


@never_cache
def health_admin_view(request: HttpRequest) -> HttpResponse:
    """``/admin/health/``: the same report as ``/health``, for people (staff only, see urls.py)."""
    body = report()
    checks = []
    for name, result in body["checks"].items():
        rows, tables = _rows(result)
        state = FAILING if not result.get("ok") else DEGRADED if result.get("warnings") else OK
        checks.append({"name": name.replace("_", " "), "state": state, "error": result.get("error", ""),
                       "warnings": result.get("warnings") or [], "rows": rows, "tables": tables,
                       "ms": result.get("ms")})
    context = {**admin.site.each_context(request), "title": "Operations health", "status": body["status"],
               "checks": checks}
    return render(request, "admin/fte_health.html", context)
