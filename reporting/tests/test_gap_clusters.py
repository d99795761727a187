"""Knowledge-gap questions are grouped by meaning with the bundled embeddings, once each."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from reporting.gap_vectors import gap_clusters_rebuild, gap_vectors_store
from reporting.models import GapCluster, GapVector
from reporting.selectors import GapQuestion

pytestmark = pytest.mark.django_db

QUESTIONS = ["Can I export my board to PDF?", "How do I download a project as a PDF file?",
             "Is there a way to print my timeline to PDF", "Do you have a dark mode?",
             "Can the app switch to a dark theme at night?", "What is the API rate limit per minute?"]


def test_rephrasings_share_a_cluster_other_topics_do_not() -> None:
    at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    questions = [GapQuestion(1000 + n, f"TKT-{n}", "email", at, text) for n, text in enumerate(QUESTIONS)]
    assert gap_vectors_store(questions=questions) == 6
    assert gap_vectors_store(questions=questions) == 0  # embedded once
    sizes = sorted(GapCluster.objects.values_list("size", flat=True), reverse=True)
    assert sizes == [3, 2, 1]
    pdf = GapVector.objects.get(ticket_id=1000).cluster
    assert set(pdf.questions.values_list("ticket_id", flat=True)) == {1000, 1001, 1002}
    assert pdf.label == QUESTIONS[0]
    assert gap_clusters_rebuild() == 3
