"""Refuse to serve with embeddings that do not fit the database (run by `make run` before serving)."""
from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from agent_app.checks import embedding_column_dimension, embedding_dimension_problems
from agent_app.embeddings import get_embedder


class Command(BaseCommand):
    help = (
        "Check that the embedder's dimension, EMBEDDING_DIMENSION and the database's vector column agree; "
        "exit non-zero with the reason if they do not. Run it after migrate."
    )
    # Our own check gives the clearer message; the system checks would stop
    # at the first error with a generic one.
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        """Print the agreed dimension, or raise CommandError listing every mismatch."""
        problems = embedding_dimension_problems(include_database=True)
        if problems:
            raise CommandError("Deployment configuration is not usable:\n- " + "\n- ".join(problems))
        column = embedding_column_dimension()
        where = f"column vector({column})" if column is not None else "no column yet (run migrate)"
        self.stdout.write(self.style.SUCCESS(
            f"Embeddings OK: {get_embedder().name} produces {settings.EMBEDDING_DIMENSION}-dim vectors; {where}."
        ))
