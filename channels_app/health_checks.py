"""The channels' entries in ``GET /health``: Kafka's topics, the Celery broker, the bridge's lag.

Registered by ``ChannelsAppConfig.ready``. The channels own these because they are
what the intake hands work to: Kafka when it is configured, Celery in any case. The
Kafka client is imported inside the checks, so that starting Django does not load it.
"""
from __future__ import annotations

from typing import Any

from django.conf import settings

from crm.events import Topic
from fte_project.health import register


@register("kafka")
def check_kafka() -> dict[str, Any]:
    from channels_app import kafka_io

    if not kafka_io.kafka_enabled():
        return {"ok": True, "configured": False, "note": "KAFKA_BOOTSTRAP_SERVERS unset: events go straight to Celery"}

    admin = kafka_io.new_admin("fte-health",
                             request_timeout_ms=3000)
    try:
        topics = set(admin.list_topics())
    finally:
        admin.close()
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

    lag = consumer_lag()
    # Lag is reported, and only a large backlog fails the check (the bridge is down or stuck).
    return {"ok": lag["total"] <= settings.HEALTH_MAX_BRIDGE_LAG, **lag}
