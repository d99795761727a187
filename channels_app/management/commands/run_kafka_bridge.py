"""Consume fte.tickets.incoming and hand each message to a Celery worker."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from channels_app import kafka_io
from channels_app.bridge import Bridge
from fte_project.stopping import StopFlag


class Command(BaseCommand):
    help = "Run the Kafka → Celery bridge. Run several: they share the partitions of one group."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--group", default=None, help="Consumer group (default KAFKA_CONSUMER_GROUP).")

    def handle(self, *args, group=None, **options) -> None:  # type: ignore[no-untyped-def]
        if not kafka_io.kafka_enabled():
            raise CommandError("KAFKA_BOOTSTRAP_SERVERS is not set; without Kafka the outbox relay hands "
                               "messages to Celery directly and no bridge is needed.")
        stop = StopFlag().install()
        kwargs = {"should_stop": stop}
        if group:
            kwargs["group_id"] = group
        stats = Bridge(**kwargs).run()
        self.stdout.write(f"enqueued {stats.enqueued}, dead-lettered {stats.dead_lettered}")
