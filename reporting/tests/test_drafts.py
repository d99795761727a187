"""Help-centre drafts: reviewed in admin, and only approved ones reach the knowledge base through ingest_kb."""
from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from crm.models import KnowledgeArticle
from reporting.drafts import DRAFTS_SOURCE, approved_drafts_markdown
from reporting.models import ArticleDraft
from reporting.tests import scenario

pytestmark = pytest.mark.django_db


def test_only_approved_drafts_are_ingested_and_unapproving_removes_them(client, tmp_path) -> None:  # type: ignore[no-untyped-def]
    boss = scenario.manager()
    approved = ArticleDraft.objects.create(title="Print a timeline to PDF", slug="faq-print-a-timeline-to-pdf",
                                           body="## Steps\n\nOpen File, then Print, then Save as PDF.")
    ArticleDraft.objects.create(title="Not yet", slug="faq-not-yet", body="Still being written.")
    client.force_login(boss)
    response = client.post(reverse("admin:reporting_articledraft_changelist"),
                           {"action": "approve", "_selected_action": [str(approved.pk)]})
    assert response.status_code == 302
    approved.refresh_from_db()
    assert approved.status == "approved" and approved.reviewed_by == boss
    source, markdown = approved_drafts_markdown()
    assert source == DRAFTS_SOURCE and "### Steps" in markdown and "Not yet" not in markdown

    empty = tmp_path / "empty-help-centre.md"
    empty.write_text("## Placeholder\n<!-- slug: bench-placeholder; category: faq -->\n\nNothing here.\n")
    call_command("ingest_kb", "--no-progress", str(empty))  # explicit paths: drafts not included
    assert not KnowledgeArticle.objects.filter(source=DRAFTS_SOURCE).exists()

    from agent_app.knowledge.ingestion import ingest_paths
    from agent_app.knowledge.sources import registered_documents

    ingest_paths([empty], progress=False, documents=registered_documents())
    article = KnowledgeArticle.objects.get(source=DRAFTS_SOURCE)
    assert article.slug == "faq-print-a-timeline-to-pdf" and article.chunks.exists()

    client.post(reverse("admin:reporting_articledraft_changelist"),
                {"action": "reject", "_selected_action": [str(approved.pk)]})
    ingest_paths([empty], progress=False, documents=registered_documents())
    assert not KnowledgeArticle.objects.filter(source=DRAFTS_SOURCE).exists()
