"""Run a dataset of support messages through the real pipeline and report how it did."""
from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from agent_app.evaluation import DatasetError, evaluate, load_dataset
from crm.models import KnowledgeChunk


class Command(BaseCommand):
    help = ("Evaluate the agent on a dataset in the sample-ticket format: escalation precision/recall/rate, "
            "reason accuracy, article hit@3, answer hit@1 (and fact in reply when the set has expected_fact), processing time. The database is left unchanged.")

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--dataset", required=True, help="JSON file of cases (see context/sample-tickets.json).")
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")
        parser.add_argument("--show-mistakes", action="store_true", help="List the cases it got wrong.")
        parser.add_argument("--details", metavar="FILE", help="Write per-case details (action, reason, articles, "
                                                              "reply text) to FILE as JSON.")

    def handle(self, *args, dataset: str, json: bool = False, show_mistakes: bool = False,  # type: ignore[no-untyped-def]
               details: str | None = None, **options) -> None:
        try:
            cases = load_dataset(dataset)
        except DatasetError as exc:
            raise CommandError(str(exc)) from None
        if not KnowledgeChunk.objects.exists():
            raise CommandError("The knowledge base is empty: run `manage.py ingest_kb` first.")
        with tqdm(total=len(cases), desc="eval", disable=json or not sys.stderr.isatty(), file=sys.stderr) as bar:
            report = evaluate(cases, progress=bar)
        summary = report.summary()
        if details:
            import json as json_module
            from pathlib import Path

            Path(details).write_text(json_module.dumps(report.details(), indent=1, ensure_ascii=False) + "\n")
        if json:
            import json as json_module

            if show_mistakes:
                summary["mistakes"] = report.mistakes()
            self.stdout.write(json_module.dumps(summary))
            return
        for key, value in summary.items():
            self.stdout.write(f"{key:24} {value}")
        if show_mistakes:
            for mistake in report.mistakes():
                self.stdout.write(f"  {mistake['id']}: expected {mistake['expected_action']}"
                                  f"/{mistake['expected_reason']} got {mistake['action']}/{mistake['reason']}"
                                  f" {mistake['error']}")
