"""Publish outbox rows to Kafka (or straight to Celery without Kafka) until stopped."""
from __future__ import annotations

import logging

from django.core.management.base import BaseCommand

from channels_app import kafka_io
from channels_app.outbox_relay import RelayLoop, default_publisher
from fte_project.stopping import StopFlag

log = logging.getLogger("channels_app.outbox_relay")


class Command(BaseCommand):
    help = "Run the outbox relay (one is active at a time; others wait as standbys)."

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        stop = StopFlag().install()
        if kafka_io.kafka_enabled():
            log.info("KAFKA_BOOTSTRAP_SERVERS is set: outbox events go to Kafka")
        else:
            log.info("KAFKA_BOOTSTRAP_SERVERS is not set: incoming messages go straight to Celery, "
                     "other events are only kept in the outbox")
        RelayLoop(publisher=default_publisher(), should_stop=stop).run()
