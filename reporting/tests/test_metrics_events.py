"""fte.metrics into the rollups: the Celery hand-off without Kafka, and the consumer's batches."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from kafka import TopicPartition

from channels_app import outbox_relay
from channels_app.enqueue import METRICS_EVENTS_TASK
from crm.events import Topic
from crm.models import OutboxEvent
from reporting.consumer import MetricsConsumer
from reporting.metrics_events import PoisonEvent, metrics_events_apply
from reporting.models import AppliedMetricsEvent, HourlyRollup
from reporting.rollups import live_rows
from reporting.tasks import apply_metrics_events
from reporting.tests import scenario

pytestmark = pytest.mark.django_db


def metrics_events() -> list[dict[str, Any]]:
    return [{**e.payload, "outbox_id": e.pk} for e in OutboxEvent.objects.filter(topic=Topic.METRICS).order_by("id")]


def test_events_refresh_their_hours_once() -> None:
    s = scenario.build(rollups=False)
    events = metrics_events()
    assert len(events) == 6
    result = metrics_events_apply(events=events)
    assert (result.applied, result.duplicates) == (6, 0) and result.hours > 0
    hours = sorted({r.hour for r in HourlyRollup.objects.all()})
    start, end = hours[0], hours[-1].replace(minute=59)
    stored = list(HourlyRollup.objects.order_by("hour", "channel").values(*live_rows(start, end, now=s.now)[0]))
    assert stored == live_rows(start, end, now=s.now)
    again = metrics_events_apply(events=events)
    assert (again.applied, again.duplicates) == (0, 6)
    assert AppliedMetricsEvent.objects.count() == 6


def test_poison_events_are_refused() -> None:
    for bad in ([1], {"event": "message.processed"}, {"message_id": "7", "event": "message.processed"},
                {"message_id": 7, "event": "something.else"}):
        with pytest.raises(PoisonEvent):
            metrics_events_apply(events=[bad])


def test_without_kafka_the_relay_hands_metrics_to_reportings_task(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    scenario.build(rollups=False)
    sent: list[tuple[str, list]] = []
    monkeypatch.setattr("channels_app.enqueue.app.send_task",
                        lambda name, args, **kw: sent.append((name, args)))
    while outbox_relay.relay_batch(outbox_relay.DirectPublisher(), batch_size=500):
        pass
    batches = [args[0] for name, args in sent if name == METRICS_EVENTS_TASK]
    assert sum(len(b) for b in batches) == 6
    # The task registered under that name applies them (a poison one is dropped, not retried forever).
    assert apply_metrics_events([e for b in batches for e in b] + [{"junk": True}]) == 6
    assert HourlyRollup.objects.exists()


@dataclass
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


class FakeConsumer:
    def __init__(self) -> None:
        self.commits: list[dict] = []
        self.seeks: list[tuple[TopicPartition, int]] = []

    def commit(self, offsets: dict) -> None:
        self.commits.append(offsets)

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.seeks.append((tp, offset))


def test_the_consumer_commits_after_applying_and_dead_letters_poison(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    scenario.build()
    dlq: list[dict] = []
    monkeypatch.setattr("channels_app.kafka_io.publish", lambda topic, key, value, **kw: dlq.append(value))
    consumer = MetricsConsumer()
    consumer.consumer = FakeConsumer()
    tp = TopicPartition("fte.metrics", 0)
    records = [Record("fte.metrics", 0, 10 + n, b"1", json.dumps(e).encode()) for n, e in enumerate(metrics_events())]
    records.insert(2, Record("fte.metrics", 0, 99, b"1", b"{not json"))
    consumer.handle_batch({tp: records})
    assert consumer.stats.applied == 6 and consumer.stats.dead_lettered == 1 and dlq[0]["stage"] == "metrics"
    assert consumer.consumer.commits[-1][tp].offset == records[-1].offset + 1
    # Redelivered (a crash before the commit): nothing counts twice.
    consumer.handle_batch({tp: records[3:]})
    assert consumer.stats.applied == 6 and consumer.stats.duplicates == 4


def test_a_failed_batch_is_rewound_and_not_committed(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr("reporting.consumer.metrics_events_apply", broken)
    consumer = MetricsConsumer()
    consumer.consumer = FakeConsumer()
    tp = TopicPartition("fte.metrics", 1)
    records = [Record("fte.metrics", 1, 5, None, json.dumps({"event": "message.processed", "message_id": 1}).encode())]
    with pytest.raises(RuntimeError):
        consumer.handle_batch({tp: records})
    assert consumer.consumer.seeks == [(tp, 5)] and consumer.consumer.commits == []
