"""Consume fte.metrics in its own group and keep the reports' hourly rollups."""
from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from channels_app import kafka_io
from fte_project.stopping import StopFlag
from reporting.consumer import MetricsConsumer


class Command(BaseCommand):
    help = ("Run the metrics consumer: reads fte.metrics (group KAFKA_METRICS_CONSUMER_GROUP, manual commits) "
            "and refreshes the hourly rollups the report pages read. Run several: they share the partitions.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--group", default=None, help="Consumer group (default KAFKA_METRICS_CONSUMER_GROUP).")

    def handle(self, *args: Any, group: str | None = None, **options: Any) -> None:
        """Run until SIGTERM/SIGINT; the batch in hand is finished and committed first."""
        if not kafka_io.kafka_enabled():
            raise CommandError("KAFKA_BOOTSTRAP_SERVERS is not set; without Kafka the outbox relay hands "
                               "metrics events to the Celery task reporting.apply_metrics_events instead.")
        stop = StopFlag().install()
        kwargs: dict[str, Any] = {"should_stop": stop}
        if group:
            kwargs["group_id"] = group
        stats = MetricsConsumer(**kwargs).run()
        self.stdout.write(f"applied {stats.applied}, duplicates {stats.duplicates}, "
                          f"dead-lettered {stats.dead_lettered}")
