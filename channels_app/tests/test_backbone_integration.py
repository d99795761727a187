"""The event backbone against real Kafka, Redis, PostgreSQL and Celery worker processes.

web intake → outbox → relay → Kafka → bridge → Celery worker → agent, and the ways it
must not lose or double anything: Kafka down, duplicate records, a worker killed
mid-task, poison records, replay of the DLQ.
"""
from __future__ import annotations

import json
import os
import subprocess
import time
import uuid

import pytest
from django.conf import settings
from django.core.management import call_command
from kafka import KafkaAdminClient, TopicPartition

from channels_app import kafka_io
from crm import services
from crm.events import Topic
from crm.models import AgentMetric, Author, Message, ProcessingState
from fte_project.celery import app as celery_app
from tests.support.fake_openai import FakeOpenAI
from tests.support.processes import ROOT, start_manage, start_worker, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

KAFKA = os.environ.get("TEST_KAFKA_BOOTSTRAP_SERVERS", "")


@pytest.fixture
def backbone(settings):
    """Unique topics and queue per test on the shared broker; our processes, stopped after."""
    if not KAFKA:
        pytest.fail("TEST_KAFKA_BOOTSTRAP_SERVERS is not set: run the suite with `make test`, "
                    "which starts Kafka and Redis")
    run = uuid.uuid4().hex[:8]
    settings.KAFKA_BOOTSTRAP_SERVERS = KAFKA
    settings.KAFKA_TOPIC_PREFIX = f"t{run}."
    queue = f"fte-test-{run}"
    celery_app.conf.task_default_queue = queue
    kafka_io.reset_shared_producer()
    kafka_io.create_topics(partitions=3, replication=1)

    class Backbone:
        procs: list = []
        env_extra = {
            "KAFKA_BOOTSTRAP_SERVERS": KAFKA, "KAFKA_TOPIC_PREFIX": settings.KAFKA_TOPIC_PREFIX,
            "KAFKA_CONSUMER_GROUP": f"bridge-{run}", "CELERY_QUEUE": queue,
            "CELERY_BROKER_URL": os.environ["CELERY_BROKER_URL"], "OUTBOX_RELAY_INTERVAL": "0.1",
            "CELERY_RETRY_BACKOFF_CAP": "1", "CELERY_TASK_MAX_RETRIES": "2",
        }

        def env(self, **extra):
            from tests.support.processes import service_env
            return service_env(**{**self.env_extra, **extra})

        def worker(self, name="worker", **extra):
            proc = start_worker(self.env(**extra), queue, name=name)
            self.procs.append(proc)
            return proc

        def relay(self, **extra):
            proc = start_manage("relay", "run_outbox_relay", self.env(**extra))
            self.procs.append(proc)
            return proc

        def bridge(self, name="bridge", **extra):
            proc = start_manage(name, "run_kafka_bridge", self.env(**extra))
            self.procs.append(proc)
            return proc

    backbone = Backbone()
    backbone.procs = []
    yield backbone
    for proc in backbone.procs:
        proc.stop()
    celery_app.conf.task_default_queue = settings.CELERY_TASK_DEFAULT_QUEUE
    kafka_io.reset_shared_producer()


def _port_closed(host: str, port: int) -> bool:
    import socket

    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) != 0


def accept(text="How do I reset my password?", provider_id=None, email="pat@example.com"):
    return services.inbound_message_accept(channel="web_form", provider_id=provider_id or uuid.uuid4().hex,
                                           content=text, email=email, name="Pat").message


def processed(message_id):
    return Message.objects.filter(pk=message_id, processing_state=ProcessingState.PROCESSED).exists()


def read_topic(name, *, timeout=30.0):
    """Every record in the topic now: read up to each partition's end offset, not to a quiet spell."""
    topic = kafka_io.physical_topic(name)
    consumer = kafka_io.new_consumer(group_id=None)
    try:
        tps = wait_until(lambda: [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []],
                         timeout=timeout, what=f"the partitions of {topic}")
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        records = []
        deadline = time.monotonic() + timeout
        while any(consumer.position(tp) < ends[tp] for tp in tps):
            if time.monotonic() > deadline:
                raise AssertionError(f"could not read {topic} to its end within {timeout}s")
            for batch in consumer.poll(timeout_ms=500).values():
                records.extend(json.loads(r.value) for r in batch)
        return records
    finally:
        consumer.close()


def test_one_message_from_the_web_form_to_the_worker_exactly_once(backbone, client, settings):
    backbone.worker()
    backbone.relay()
    backbone.bridge()
    response = client.post("/support/submit", data={
        "name": "Pat Lee", "email": "pat@example.com", "subject": "Password", "category": "account",
        "priority": "medium", "message": "How do I reset my password? I forgot it."}, content_type="application/json")
    assert response.status_code == 201, response.content
    message = Message.objects.get(direction="inbound")
    wait_until(lambda: processed(message.pk), timeout=90, what="the message to be processed")
    message.refresh_from_db()
    assert message.attempts == 1
    assert AgentMetric.objects.filter(message=message).count() == 1
    assert Message.objects.filter(reply_to=message, author=Author.AGENT).count() == 1
    incoming = read_topic(Topic.TICKETS_INCOMING)
    assert [r["message_id"] for r in incoming] == [message.pk]
    assert [r["message_id"] for r in read_topic(Topic.WEBFORM_INBOUND)] == [message.pk]
    assert read_topic(Topic.METRICS)[0]["message_id"] == message.pk
    health = client.get("/health").json()
    assert health["checks"]["kafka"]["ok"] and health["checks"]["kafka"]["missing_topics"] == []
    assert health["checks"]["celery_broker"]["ok"]
    settings.KAFKA_CONSUMER_GROUP = backbone.env_extra["KAFKA_CONSUMER_GROUP"]
    lag = wait_until(lambda: (h := client.get("/health").json()["checks"]["bridge_lag"]).get("total") == 0 and h,
                     timeout=30, what="the bridge's lag to reach 0")
    assert lag["ok"] and lag["group"] == backbone.env_extra["KAFKA_CONSUMER_GROUP"]


def test_the_same_record_three_times_has_one_effect(backbone):
    backbone.worker()
    backbone.bridge()
    message = accept()
    record = {"event": "message.received", "message_id": message.pk}
    for _ in range(3):
        kafka_io.publish(Topic.TICKETS_INCOMING, key=str(message.conversation.customer_id), value=record)
    wait_until(lambda: processed(message.pk), timeout=90, what="the message to be processed")
    worker_log_says_duplicate = lambda: sum(p.log().count("'duplicate'") for p in backbone.procs) >= 2  # noqa: E731
    wait_until(worker_log_says_duplicate, timeout=30, what="two duplicate deliveries to be refused")
    assert Message.objects.filter(reply_to=message).count() == 1
    assert AgentMetric.objects.count() == 1
    assert Message.objects.get(pk=message.pk).attempts == 1


def test_poison_records_go_to_the_dlq_and_the_bridge_keeps_going(backbone):
    backbone.worker()
    bridge = backbone.bridge()
    producer = kafka_io.new_producer(value_serializer=None)
    topic = kafka_io.physical_topic(Topic.TICKETS_INCOMING)
    producer.send(topic, key=b"1", value=b"{not json").get(timeout=10)
    producer.send(topic, key=b"1", value=json.dumps({"message_id": 987654321}).encode()).get(timeout=10)
    producer.close()
    good = accept()
    kafka_io.publish(Topic.TICKETS_INCOMING, key="1", value={"message_id": good.pk})
    wait_until(lambda: processed(good.pk), timeout=90, what="the good record to be processed")
    dead = wait_until(lambda: len(read_topic(Topic.DLQ)) >= 2 and read_topic(Topic.DLQ), timeout=30,
                      what="two DLQ records")
    errors = sorted(r["error"] for r in dead)
    assert any("not JSON" in e for e in errors) and any("does not exist" in e for e in errors)
    assert all(r["stage"] == "bridge" and r["source_topic"] == Topic.TICKETS_INCOMING for r in dead)
    assert bridge.alive()


def test_kafka_down_messages_accepted_then_all_delivered(backbone, client):
    backbone.worker()
    relay = backbone.relay()
    bridge = backbone.bridge()
    wait_until(lambda: "bridge consuming" in bridge.log(), timeout=60, what="the bridge to be consuming")
    subprocess.run([str(ROOT / "scripts" / "services"), "stop", "kafka"], check=True, timeout=120)
    host, port = KAFKA.split(",")[0].rsplit(":", 1)
    if not _port_closed(host, int(port)):
        pytest.fail(f"Kafka on {KAFKA} is still up: it was not started by this checkout's scripts/services, "
                    "so this test cannot stop it. Stop it, then run `make test` again.")
    try:
        ids = []
        for i in range(5):
            response = client.post("/support/submit", data={
                "name": "Pat", "email": f"pat{i}@example.com", "subject": "Export", "category": "general",
                "priority": "low", "message": f"How do I export my workspace data? ({i})"},
                content_type="application/json")
            assert response.status_code == 201, response.content
            ids.append(Message.objects.filter(direction="inbound").order_by("-id").first().pk)
        wait_until(lambda: "could not publish" in relay.log(), timeout=60, what="the relay to notice Kafka is down")
        assert not any(processed(i) for i in ids)
    finally:
        subprocess.run([str(ROOT / "scripts" / "services"), "start", "kafka"], check=True, timeout=240)
    wait_until(lambda: all(processed(i) for i in ids), timeout=180, what="all messages delivered after Kafka returned")
    assert AgentMetric.objects.count() == 5
    assert Message.objects.filter(author=Author.AGENT).count() == 5


def test_a_worker_killed_mid_task_runs_it_again_and_completes_once(backbone):
    with FakeOpenAI() as fake:
        fake.delay_first_seconds = 30
        extra = {"OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": "test-key", "AGENT_MODEL": "fake-model",
                 "PROCESSING_LEASE_SECONDS": "4", "CELERY_VISIBILITY_TIMEOUT": "6"}
        first = backbone.worker(name="worker-a", **extra)
        backbone.bridge()
        message = accept()
        kafka_io.publish(Topic.TICKETS_INCOMING, key="1", value={"message_id": message.pk})
        wait_until(lambda: Message.objects.filter(pk=message.pk, processing_state="processing").exists()
                   and fake.requests, timeout=60, what="the first worker to be mid-task")
        first.kill()
        backbone.worker(name="worker-b", **extra)
        wait_until(lambda: processed(message.pk), timeout=120, what="the task to run again and finish")
    message.refresh_from_db()
    assert message.attempts == 2
    assert Message.objects.filter(reply_to=message, author=Author.AGENT).count() == 1
    assert AgentMetric.objects.filter(message=message).count() == 1


def test_a_task_out_of_retries_goes_to_the_dlq_and_replay_brings_it_back(backbone):
    with FakeOpenAI() as fake:
        fake.fail_with_status = 500
        # No offline fallback here (it would answer through the outage, see test_openai_path): this
        # test is about what happens to a message whose every attempt fails.
        extra = {"OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": "test-key", "AGENT_MODEL": "fake-model",
                 "AGENT_FALLBACK_AFTER_ATTEMPTS": "0"}
        backbone.worker(**extra)
        backbone.relay()
        backbone.bridge()
        message = accept()
        wait_until(lambda: Message.objects.filter(pk=message.pk, processing_state="failed").exists(), timeout=120,
                   what="the message to fail after its retries")
        ticket = Message.objects.get(pk=message.pk).ticket
        assert ticket.status == "escalated" and ticket.escalation_reason == "processing_failed"
        dead = wait_until(lambda: [r for r in read_topic(Topic.DLQ) if r.get("stage") == "task"], timeout=30,
                          what="the DLQ record")
        assert dead[0]["message_id"] == message.pk
        assert "500" in dead[0]["error"] or "fake outage" in dead[0]["error"]

        fake.fail_with_status = None
        call_command("replay_dlq", "--stage", "task", "--message-id", str(message.pk))
        wait_until(lambda: processed(message.pk), timeout=120, what="the replayed message to be processed")
    assert Message.objects.filter(reply_to=message, author=Author.AGENT).count() == 1


def test_two_bridges_in_one_group_share_the_partitions(backbone):
    backbone.worker()
    a = backbone.bridge(name="bridge-a")
    b = backbone.bridge(name="bridge-b")
    group = backbone.env_extra["KAFKA_CONSUMER_GROUP"]

    def both_members_stable():
        admin = KafkaAdminClient(bootstrap_servers=kafka_io.bootstrap_servers())
        try:
            description = admin.describe_groups([group])[group]
            state = description.get("group_state") or description.get("state")
            return state == "Stable" and len(description.get("members", [])) == 2
        finally:
            admin.close()

    wait_until(both_members_stable, timeout=60, interval=1, what="both bridges to join the group")
    messages = [accept(email=f"c{i}@example.com") for i in range(12)]
    # Four records on each of the three partitions: customer keys could hash onto the
    # partitions only one bridge owns, and the test would say nothing about sharing.
    producer = kafka_io.new_producer(value_serializer=None)
    topic = kafka_io.physical_topic(Topic.TICKETS_INCOMING)
    sent = [producer.send(topic, partition=i % 3, key=str(m.conversation.customer_id).encode(),
                          value=json.dumps({"event": "message.received", "message_id": m.pk}).encode())
            for i, m in enumerate(messages)]
    for future in sent:
        future.get(timeout=10)
    producer.close()
    wait_until(lambda: all(processed(m.pk) for m in messages), timeout=150, what="all messages processed")
    assert a.alive() and b.alive()
    a.stop()
    b.stop()
    assert "stopped" in a.log() and "stopped" in b.log()
    counts = [int(p.log().split("enqueued ")[1].split(",")[0]) for p in (a, b)]
    assert sum(counts) >= 12 and all(c > 0 for c in counts), counts
