"""Help-centre drafts started from a knowledge gap, and the markdown ``ingest_kb`` reads from approved ones."""
from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from reporting.models import ArticleDraft
from reporting.selectors import GapQuestion, staff_replies_for

# The ``source`` approved drafts are ingested under: re-ingesting replaces exactly these articles.
DRAFTS_SOURCE = "reporting:approved-drafts"


def _unique_slug(title: str) -> str:
    # Prefixed, so a draft never takes the slug of a help-centre article from the files.
    base = "faq-" + (slugify(title)[:100].strip("-") or "article")
    slug, n = base, 1
    while ArticleDraft.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def article_draft_start(*, questions: list[GapQuestion], user: Any) -> ArticleDraft:
    """Start a draft article from a cluster of unanswered questions and the staff replies that answered them."""
    if not questions:
        raise ValueError("A draft needs at least one question.")
    replies = staff_replies_for(ticket_ids=[q.ticket_id for q in questions])
    title = questions[0].question.rstrip("?.! ")[:120] or "New help-centre article"
    asked = "\n".join(f"- {q.question[:300]}" for q in questions[:10])
    answers = "\n\n".join(r["content"] for q in questions for r in replies.get(q.ticket_id, []))[:6000]
    body = (f"### What customers asked\n\n{asked}\n\n### The answer\n\n"
            f"{answers or 'Write the answer here: no staff reply was found on these tickets.'}\n")
    return ArticleDraft.objects.create(title=title, slug=_unique_slug(title), body=body, created_by=user,
                                       source_ticket_ids=[q.ticket_id for q in questions])


@transaction.atomic
def article_draft_review(*, draft: ArticleDraft, approve: bool, user: Any) -> ArticleDraft:
    """Approve (``ingest_kb`` will load it) or reject a draft; the reviewer and time are kept."""
    draft = ArticleDraft.objects.select_for_update().get(pk=draft.pk)
    draft.status = ArticleDraft.Status.APPROVED if approve else ArticleDraft.Status.REJECTED
    draft.reviewed_by = user
    draft.reviewed_at = timezone.now()
    draft.save(update_fields=["status", "reviewed_by", "reviewed_at", "updated_at"])
    return draft


def approved_drafts_markdown() -> tuple[str, str]:
    """``(source, markdown)`` of every approved draft, in the help centre's own format."""
    parts = []
    for d in ArticleDraft.objects.filter(status=ArticleDraft.Status.APPROVED).order_by("slug"):
        # An article is a "##" section: headings in the body become sections of it.
        body = re.sub(r"^#{1,2}(?=\s)", "###", d.body.strip(), flags=re.M)
        parts.append(f"## {d.title}\n<!-- slug: {d.slug}; category: {d.category or 'faq'} -->\n\n{body}\n")
    return DRAFTS_SOURCE, "\n".join(parts)
