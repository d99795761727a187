"""Cluster every stored knowledge-gap question again from scratch."""
from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from reporting.gap_vectors import gap_clusters_rebuild


class Command(BaseCommand):
    help = "Re-cluster all knowledge-gap questions (after changing the similarity threshold or the embedder)."

    def handle(self, *args: Any, **options: Any) -> None:
        """Replaces every cluster in one transaction; drafts keep their ticket ids."""
        self.stdout.write(f"{gap_clusters_rebuild()} clusters")
