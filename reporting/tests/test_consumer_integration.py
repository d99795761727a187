"""run_metrics_consumer against the real Kafka: applies the relay's fte.metrics events, once, and
stops cleanly on SIGTERM."""
from __future__ import annotations

import os
import uuid

import pytest

from channels_app import kafka_io, outbox_relay
from crm.events import Topic
from crm.models import OutboxEvent
from reporting.models import AppliedMetricsEvent, HourlyRollup
from reporting.tests import scenario
from tests.support.processes import service_env, start_manage, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

KAFKA = os.environ.get("TEST_KAFKA_BOOTSTRAP_SERVERS", "")


@pytest.mark.timeout(180)
def test_the_consumer_keeps_the_rollups_from_kafka(settings) -> None:  # type: ignore[no-untyped-def]
    if not KAFKA:
        pytest.fail("TEST_KAFKA_BOOTSTRAP_SERVERS is not set: run the suite with `make test`")
    settings.KAFKA_BOOTSTRAP_SERVERS = KAFKA
    settings.KAFKA_TOPIC_PREFIX = f"t{uuid.uuid4().hex[:8]}."
    kafka_io.reset_shared_producer()
    kafka_io.create_topics(partitions=3, replication=1)
    scenario.build()
    while outbox_relay.relay_batch(outbox_relay.KafkaPublisher(), batch_size=500):
        pass
    # A duplicate of one event, as a relay crash between publish and mark would produce.
    first = OutboxEvent.objects.filter(topic=Topic.METRICS).order_by("id").first()
    kafka_io.publish(Topic.METRICS, key=first.key, value=first.payload)
    env = service_env(KAFKA_BOOTSTRAP_SERVERS=KAFKA, KAFKA_TOPIC_PREFIX=settings.KAFKA_TOPIC_PREFIX,
                      KAFKA_METRICS_CONSUMER_GROUP=f"metrics-{uuid.uuid4().hex[:6]}")
    consumer = start_manage("metrics-consumer", "run_metrics_consumer", env)
    try:
        wait_until(lambda: AppliedMetricsEvent.objects.count() >= 6 or not consumer.alive(), timeout=90,
                   what="the consumer to apply the six events")
        assert consumer.alive(), consumer.log()
        assert HourlyRollup.objects.exists()
    finally:
        code = consumer.stop()
    assert code == 0, consumer.log()
    assert "applied" in consumer.log() and "metrics consumer stopped" in consumer.log()
    assert AppliedMetricsEvent.objects.count() == 6  # seven records, six events
