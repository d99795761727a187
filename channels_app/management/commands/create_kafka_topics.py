"""Create the seven Kafka topics. Safe to run again: existing topics are left alone."""
from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from kafka.errors import KafkaError

from channels_app import kafka_io


class Command(BaseCommand):
    help = "Create the Kafka topics of ARCHITECTURE.md (idempotent)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--partitions", type=int, default=None)
        parser.add_argument("--replication-factor", type=int, default=None)

    def handle(self, *args, partitions=None, replication_factor=None, **options) -> None:  # type: ignore[no-untyped-def]
        if not kafka_io.kafka_enabled():
            raise CommandError("KAFKA_BOOTSTRAP_SERVERS is not set; there is no broker to create topics on.")
        try:
            result = kafka_io.create_topics(partitions=partitions, replication=replication_factor)
        except KafkaError as exc:
            raise CommandError(f"Could not create the topics on {settings.KAFKA_BOOTSTRAP_SERVERS}: {exc!r}") from exc
        for name, state in result.items():
            self.stdout.write(f"{kafka_io.physical_topic(name)}: {state}")
        self.stdout.write(self.style.SUCCESS(
            f"{len(result)} topics ready on {settings.KAFKA_BOOTSTRAP_SERVERS}"))
