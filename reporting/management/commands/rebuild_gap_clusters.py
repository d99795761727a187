"""Cluster every stored knowledge-gap question again from scratch."""
from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from django.utils import timezone

from reporting.figures.gaps import embed_missing
from reporting.gap_vectors import gap_clusters_rebuild


class Command(BaseCommand):
    help = ("Embed every knowledge-gap question of the last --days (default 400) that has no vector, then "
            "re-cluster them all (after changing the similarity threshold or the embedder).")

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--days", type=int, default=400)

    def handle(self, *args: Any, days: int = 400, **options: Any) -> None:
        """Replaces every cluster in one transaction; drafts keep their ticket ids."""
        from datetime import timedelta

        now = timezone.now()
        left, before = embed_missing(start=now - timedelta(days=days), end=now), None
        while left and left != before:  # stops when nothing more could be embedded
            before, left = left, embed_missing(start=now - timedelta(days=days), end=now)
        self.stdout.write(f"{gap_clusters_rebuild()} clusters")
