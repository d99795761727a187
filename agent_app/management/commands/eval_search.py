"""Measure knowledge search on the sample tickets: hit@1, hit@3 and MRR by article."""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from agent_app.knowledge.search import MAX_K, MAX_QUERY_CHARS, search_knowledge
from crm.models import KnowledgeArticle, KnowledgeChunk

DEFAULT_DATASET = Path("context") / "sample-tickets.json"
#: MRR and hit@k look at this many distinct articles.
TOP_ARTICLES = 10


def ticket_query(ticket: dict[str, Any]) -> str:
    """What a ticket is searched with: its subject and its text, cut to the query limit."""
    text = "\n\n".join(part for part in (ticket.get("subject") or "", ticket.get("content") or "") if part.strip())
    return text[:MAX_QUERY_CHARS]


def ranked_slugs(query: str, *, min_relevance: float | None) -> list[str]:
    """Distinct article slugs in the order search ranks them (up to TOP_ARTICLES)."""
    slugs: list[str] = []
    for hit in search_knowledge(query, k=MAX_K, min_relevance=min_relevance):
        if hit.slug not in slugs:
            slugs.append(hit.slug)
    return slugs[:TOP_ARTICLES]


class Command(BaseCommand):
    help = (
        "Evaluate knowledge search on the sample tickets that name an expected article. "
        "Ingests nothing: run `manage.py ingest_kb` first. Prints cases, hit@1, hit@3 and MRR."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dataset", default=None, help=f"Tickets JSON (default {DEFAULT_DATASET})")
        parser.add_argument("--json", action="store_true", help="Print one JSON object and nothing else")
        parser.add_argument("-k", type=int, default=3, help="Also report hit@k for this k (default 3)")
        parser.add_argument("--min-relevance", type=float, default=None,
                            help="Override KB_MIN_RELEVANCE (default: the setting, as the agent sees it)")

    def handle(self, *args: Any, **options: Any) -> None:
        """Search every ticket with an ``expected_article`` and score the ranking by slug."""
        dataset = Path(options["dataset"] or Path(settings.BASE_DIR) / DEFAULT_DATASET)
        k = options["k"]
        if not 1 <= k <= TOP_ARTICLES:
            raise CommandError(f"-k must be from 1 to {TOP_ARTICLES}")
        try:
            tickets = json.loads(dataset.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise CommandError(f"No dataset at {dataset}") from exc
        except json.JSONDecodeError as exc:
            raise CommandError(f"{dataset} is not valid JSON: {exc}") from exc
        cases = [t for t in tickets if isinstance(t, dict) and t.get("expected_article")]
        if not cases:
            raise CommandError(f"{dataset} has no tickets with an expected_article")
        if not KnowledgeChunk.objects.filter(embedding__isnull=False).exists():
            raise CommandError(
                "The knowledge base is empty: run `manage.py ingest_kb` first. "
                "eval_search only reads, it never ingests."
            )
        known = set(KnowledgeArticle.objects.values_list("slug", flat=True))
        unknown = sorted({t["expected_article"] for t in cases} - known)

        reciprocal_ranks: list[float] = []
        ranks: list[int | None] = []
        misses: list[dict[str, Any]] = []
        started = time.perf_counter()
        for ticket in cases:
            slugs = ranked_slugs(ticket_query(ticket), min_relevance=options["min_relevance"])
            expected = ticket["expected_article"]
            rank = slugs.index(expected) + 1 if expected in slugs else None
            ranks.append(rank)
            reciprocal_ranks.append(1.0 / rank if rank else 0.0)
            if rank is None or rank > k:
                misses.append({"id": ticket.get("id"), "expected": expected, "rank": rank, "got": slugs[:3]})
        elapsed = time.perf_counter() - started

        n = len(cases)

        def hit_at(cut: int) -> float:
            return round(sum(1 for r in ranks if r is not None and r <= cut) / n, 4)

        result: dict[str, Any] = {
            "cases": n,
            "hit_at_1": hit_at(1),
            "hit_at_3": hit_at(3),
            "mrr": round(sum(reciprocal_ranks) / n, 4),
            "k": k,
            "hit_at_k": hit_at(k),
            "no_result": sum(1 for r in ranks if r is None),
            "min_relevance": options["min_relevance"] if options["min_relevance"] is not None
            else settings.KB_MIN_RELEVANCE,
            "mean_ms": round(elapsed * 1000 / n, 1),
            "misses": misses,
            "unknown_expected_articles": unknown,
        }
        if options["json"]:
            self.stdout.write(json.dumps(result))
            return
        self.stdout.write(
            f"{n} cases from {dataset.name}: hit@1 {result['hit_at_1']:.3f}  hit@3 {result['hit_at_3']:.3f}  "
            + (f"hit@{k} {result['hit_at_k']:.3f}  " if k not in (1, 3) else "")
            + f"MRR {result['mrr']:.3f}  "
            f"({result['no_result']} not in the top {TOP_ARTICLES}; {result['mean_ms']} ms per search)"
        )
        for miss in misses:
            where = f"rank {miss['rank']}" if miss["rank"] else f"not in top {TOP_ARTICLES}"
            self.stdout.write(f"  miss {miss['id']}: expected {miss['expected']} ({where}); got {', '.join(miss['got']) or 'nothing'}")
        if unknown:
            self.stderr.write(self.style.WARNING(
                f"Expected articles not in the knowledge base (re-run ingest_kb?): {', '.join(unknown)}"))
