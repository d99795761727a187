"""Load the help centre (markdown) into the knowledge base. Safe to run again."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from agent_app.embeddings import EmbeddingError
from agent_app.knowledge.ingestion import ingest_paths
from agent_app.knowledge.sources import registered_documents

DEFAULT_SOURCE = Path("context") / "product-docs.md"


class Command(BaseCommand):
    help = (
        "Ingest markdown files (or folders of *.md) into the knowledge base: upsert articles by slug, "
        "embed only new or changed chunks, delete articles that vanished from these files. "
        f"Default: {DEFAULT_SOURCE} and the generated documents apps register (reporting's approved drafts)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="*", help=f"Markdown files or folders (default {DEFAULT_SOURCE})")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar")

    def handle(self, *args: Any, paths: list[str], no_progress: bool = False, **options: Any) -> None:
        """Run :func:`agent_app.knowledge.ingestion.ingest_paths` and print its report."""
        targets = paths or [str(Path(settings.BASE_DIR) / DEFAULT_SOURCE)]
        try:
            # The registered documents (approved drafts) belong to the default knowledge base.
            report = ingest_paths(targets, progress=not no_progress, documents=[] if paths else registered_documents())
        except (FileNotFoundError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        except EmbeddingError as exc:
            raise CommandError(f"Embedding failed ({'permanent' if exc.permanent else 'try again'}): {exc}") from exc
        for warning in report.warnings:
            self.stderr.write(self.style.WARNING(f"warning: {warning}"))
        self.stdout.write(self.style.SUCCESS(report.summary()))
