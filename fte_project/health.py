"""``GET /health``: the state of every dependency we can check, 200 when all are up.

Each check is a small function returning a dict with at least ``ok``; a check that
is not configured in this deployment reports ``"configured": false`` and counts as
up, so that ``make run`` on embedded defaults is healthy without Kafka.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

Check = Callable[[], dict[str, Any]]
_CHECKS: dict[str, Check] = {}


def register(name: str) -> Callable[[Check], Check]:
    def decorator(check: Check) -> Check:
        _CHECKS[name] = check
        return check

    return decorator


@register("database")
def check_database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        row = cursor.fetchone()
    return {"ok": row is not None, "pgvector": row[0] if row else None}


@register("kafka")
def check_kafka() -> dict[str, Any]:
    from channels_app import kafka_io

    if not kafka_io.kafka_enabled():
        return {"ok": True, "configured": False, "note": "KAFKA_BOOTSTRAP_SERVERS unset: events go straight to Celery"}
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=kafka_io.bootstrap_servers(), client_id="fte-health",
                             request_timeout_ms=3000)
    try:
        topics = set(admin.list_topics())
    finally:
        admin.close()
    from crm.events import Topic

    missing = [t for t in Topic.ALL if kafka_io.physical_topic(t) not in topics]
    return {"ok": not missing, "missing_topics": missing}


@register("celery_broker")
def check_celery_broker() -> dict[str, Any]:
    from fte_project.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=3)
        transport = conn.transport_cls
    return {"ok": True, "transport": str(transport)}


@register("bridge_lag")
def check_bridge_lag() -> dict[str, Any]:
    from channels_app import kafka_io

    if not kafka_io.kafka_enabled():
        return {"ok": True, "configured": False}
    from channels_app.bridge import consumer_lag
    from django.conf import settings

    lag = consumer_lag()
    # Lag is reported, and only a large backlog fails the check (the bridge is down or stuck).
    return {"ok": lag["total"] <= settings.HEALTH_MAX_BRIDGE_LAG, **lag}


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
