"""The knowledge base: parsing, idempotent ingestion, hybrid search, dimension checks, admin re-embedding.

Everything runs for real: the local embedding model, PostgreSQL with pgvector
and full-text search. The help centre (context/product-docs.md) is ingested
once per module for the relevance tests; the ingestion tests use small
markdown files of their own under tmp_path, with slugs that cannot clash.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from agent_app.checks import embedding_column_dimension, embedding_dimension_problems
from agent_app.embeddings import EmbeddingDimensionMismatch, check_embedding_dimension, get_embedder
from agent_app.knowledge.chunking import MAX_CHUNK_WORDS, chunk_article
from agent_app.knowledge.ingestion import ingest_paths, reembed_article
from agent_app.knowledge.parsing import parse_markdown
from agent_app.knowledge.search import InvalidQuery, KnowledgeHit, search_knowledge
from agent_app.knowledge_tasks import reembed_article_task
from crm.models import KnowledgeArticle, KnowledgeChunk


SMALL_KB = """\
# Test help centre

## Export a board to CSV
<!-- slug: kbtest-export-csv; category: kbtest-data -->

You can export any board as a CSV file for spreadsheets.

### Start the export

Open the board, click the three dots and choose **Export as CSV**.

### What the file contains

One row per card, with its title, assignee, due date and labels.

## Recover a deleted board
<!-- slug: kbtest-recover-board; category: kbtest-data -->

Deleted boards stay in the bin for 30 days.

### Restore it

Open the bin from the sidebar, find the board and click **Restore**.
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def chunk_rows(slug: str) -> list[tuple[int, int, str]]:
    """(id, position, heading) of an article's chunks, in order."""
    return list(
        KnowledgeChunk.objects.filter(article__slug=slug).order_by("position").values_list("id", "position", "heading")
    )


# -- parsing and chunking --------------------------------------------------------


def test_help_centre_format_gives_articles_with_slug_category_and_section_chunks() -> None:
    articles = parse_markdown(SMALL_KB, source="kb.md")

    assert [a.slug for a in articles] == ["kbtest-export-csv", "kbtest-recover-board"]
    export = articles[0]
    assert export.title == "Export a board to CSV"
    assert export.category == "kbtest-data"
    assert export.body.startswith("You can export any board")
    assert "<!--" not in export.body
    assert [c.heading for c in export.chunks] == [
        "Export a board to CSV",
        "Export a board to CSV › Start the export",
        "Export a board to CSV › What the file contains",
    ]
    start = export.chunks[1]
    # Stored text is the section itself; what is embedded names the article and section first.
    assert start.text == "Open the board, click the three dots and choose **Export as CSV**."
    assert start.embed_text == (
        "Export a board to CSV — Start the export\n\nOpen the board, click the three dots and choose Export as CSV."
    )


def test_markdown_without_slug_comment_is_slugified_and_takes_a_category_comment() -> None:
    text = "# Refund policy\n<!-- category: billing -->\n\nWe refund within 14 days.\n\n## How to ask\n\nWrite to us.\n"

    [article] = parse_markdown(text, source="docs/refunds.md")

    assert (article.slug, article.title, article.category) == ("refund-policy", "Refund policy", "billing")
    assert [c.heading for c in article.chunks] == ["Refund policy", "Refund policy › How to ask"]


def test_long_sections_are_split_on_paragraphs_with_overlap() -> None:
    paragraphs = [f"Paragraph {n} " + " ".join(f"word{n}x{i}" for i in range(45)) + "." for n in range(12)]
    body = "### Long section\n\n" + "\n\n".join(paragraphs)

    chunks = chunk_article(title="Big article", body=body)

    assert len(chunks) >= 3
    assert all(c.heading == "Big article › Long section" for c in chunks)
    assert all(len(c.text.split()) <= MAX_CHUNK_WORDS for c in chunks)
    for before, after in zip(chunks, chunks[1:], strict=False):
        # The last paragraph of a piece opens the next one.
        assert after.text.startswith(before.text.split("\n\n")[-1])
    assert all(p in "\n\n".join(c.text for c in chunks) for p in paragraphs)


def test_a_long_last_paragraph_overlaps_by_its_last_sentences() -> None:
    def paragraph(n: int) -> str:
        return " ".join(f"Sentence {n}.{i} has exactly eight words in it." for i in range(12))  # 96 words

    chunks = chunk_article(title="T", body="\n\n".join(paragraph(n) for n in range(4)))

    assert len(chunks) == 4
    assert chunks[1].text.startswith("Sentence 0.5 has")  # the last 56 words of paragraph 0
    assert chunks[1].text.endswith(paragraph(1))


# -- ingestion ---------------------------------------------------------------------


@pytest.mark.django_db
def test_ingestion_is_idempotent(tmp_path: Path) -> None:
    source = write(tmp_path / "kb.md", SMALL_KB)

    first = ingest_paths([source], progress=False)
    second = ingest_paths([source], progress=False)

    assert (first.articles_created, first.chunks_embedded) == (2, 5)
    assert second.chunks_embedded == 0
    assert second.chunks_reused == 5
    assert (second.articles_created, second.articles_updated, second.articles_unchanged) == (0, 0, 2)
    assert KnowledgeChunk.objects.filter(article__slug__startswith="kbtest-").count() == 5
    assert not KnowledgeChunk.objects.filter(article__slug__startswith="kbtest-", embedding__isnull=True).exists()


@pytest.mark.django_db
def test_changing_one_section_re_embeds_only_that_chunk(tmp_path: Path) -> None:
    source = write(tmp_path / "kb.md", SMALL_KB)
    ingest_paths([source], progress=False)
    before = chunk_rows("kbtest-export-csv")

    write(source, SMALL_KB.replace("One row per card", "One row per card and per checklist item"))
    report = ingest_paths([source], progress=False)

    assert report.chunks_embedded == 1
    assert (report.articles_updated, report.articles_unchanged) == (1, 1)
    after = chunk_rows("kbtest-export-csv")
    assert [row[0] for row in after[:2]] == [row[0] for row in before[:2]]  # untouched chunks kept their rows
    assert after[2][0] != before[2][0]
    changed = KnowledgeChunk.objects.get(id=after[2][0])
    assert "per checklist item" in changed.text
    assert "per checklist item" in KnowledgeArticle.objects.get(slug="kbtest-export-csv").body


@pytest.mark.django_db
def test_a_new_section_in_front_moves_the_others_without_re_embedding_them(tmp_path: Path) -> None:
    source = write(tmp_path / "kb.md", SMALL_KB)
    ingest_paths([source], progress=False)
    old_ids = [row[0] for row in chunk_rows("kbtest-export-csv")]

    write(source, SMALL_KB.replace("### Start the export", "### Before you start\n\nYou need edit access.\n\n### Start the export"))
    report = ingest_paths([source], progress=False)

    assert report.chunks_embedded == 1
    rows = chunk_rows("kbtest-export-csv")
    assert [r[2] for r in rows] == [
        "Export a board to CSV",
        "Export a board to CSV › Before you start",
        "Export a board to CSV › Start the export",
        "Export a board to CSV › What the file contains",
    ]
    assert [rows[0][0], rows[2][0], rows[3][0]] == old_ids


@pytest.mark.django_db
def test_an_article_removed_from_its_file_is_deleted_with_its_chunks(tmp_path: Path) -> None:
    source = write(tmp_path / "kb.md", SMALL_KB)
    other = write(tmp_path / "other.md", "## Unrelated page\n<!-- slug: kbtest-other; category: x -->\n\nHello.\n")
    ingest_paths([source, other], progress=False)
    recover_id = KnowledgeArticle.objects.get(slug="kbtest-recover-board").id

    write(source, SMALL_KB.split("## Recover a deleted board")[0])
    report = ingest_paths([source], progress=False)

    assert (report.articles_deleted, report.chunks_deleted) == (1, 2)
    assert not KnowledgeArticle.objects.filter(slug="kbtest-recover-board").exists()
    assert not KnowledgeChunk.objects.filter(article_id=recover_id).exists()
    # Articles from files that were not ingested this time are left alone.
    assert KnowledgeArticle.objects.filter(slug="kbtest-other").exists()


@pytest.mark.django_db
def test_ingest_kb_command_reports_and_is_idempotent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "kb.md", SMALL_KB)

    call_command("ingest_kb", str(tmp_path), "--no-progress")
    call_command("ingest_kb", str(tmp_path), "--no-progress")

    first, second = capsys.readouterr().out.strip().splitlines()
    assert "2 created" in first and "5 embedded" in first
    assert "2 unchanged" in second and "0 embedded, 5 reused" in second


def test_ingest_kb_names_a_missing_path() -> None:
    with pytest.raises(CommandError, match="No such file or folder: nowhere.md"):
        call_command("ingest_kb", "nowhere.md", "--no-progress")


# -- background re-embedding after an admin edit --------------------------------



@pytest.mark.django_db
def test_editing_an_article_schedules_a_re_embedding_of_the_changed_chunk(
    tmp_path: Path, django_capture_on_commit_callbacks, celery_eager: None  # type: ignore[no-untyped-def]
) -> None:
    with django_capture_on_commit_callbacks() as ingest_callbacks:
        ingest_paths([write(tmp_path / "kb.md", SMALL_KB)], progress=False)
    assert ingest_callbacks == []  # ingestion writes its own chunks
    article = KnowledgeArticle.objects.get(slug="kbtest-recover-board")
    restore_chunk = KnowledgeChunk.objects.get(article=article, position=1)

    article.body = article.body.replace("30 days", "60 days")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        article.save()  # what the admin does

    assert len(callbacks) == 1
    intro = KnowledgeChunk.objects.get(article=article, position=0)
    assert "60 days" in intro.text
    assert KnowledgeChunk.objects.get(article=article, position=1).id == restore_chunk.id
    article.refresh_from_db()
    assert article.content_hash  # matches the text again: saving it unchanged schedules nothing
    with django_capture_on_commit_callbacks() as again:
        article.category = "kbtest-other-category"
        article.save()
    assert again == []


@pytest.mark.django_db
def test_the_re_embed_task_is_idempotent_and_tolerates_a_deleted_article(tmp_path: Path) -> None:
    ingest_paths([write(tmp_path / "kb.md", SMALL_KB)], progress=False)
    article = KnowledgeArticle.objects.get(slug="kbtest-export-csv")
    KnowledgeArticle.objects.filter(pk=article.pk).update(body=article.body + "\n\n### Limits\n\nUp to 50,000 cards.")

    first = reembed_article(article_id=article.pk)
    second = reembed_article_task(article.pk)  # a duplicate delivery

    assert (first.chunks_embedded, first.chunks_reused) == (1, 3)
    assert second == "embedded 0, reused 4, deleted 0"
    assert [r[2] for r in chunk_rows("kbtest-export-csv")][-1] == "Export a board to CSV › Limits"
    KnowledgeArticle.objects.filter(pk=article.pk).delete()
    assert reembed_article_task(article.pk) == "missing"


# -- embedding dimension checks -----------------------------------------------------


@pytest.mark.django_db
def test_dimensions_agree_on_a_migrated_database() -> None:
    assert embedding_column_dimension() == settings.EMBEDDING_DIMENSION == get_embedder().dimension == 384
    assert embedding_dimension_problems() == []
    call_command("check_deployment_config")


@pytest.mark.django_db
def test_a_dimension_mismatch_is_reported_clearly() -> None:
    with override_settings(EMBEDDING_DIMENSION=1536):
        problems = embedding_dimension_problems()
        with pytest.raises(EmbeddingDimensionMismatch, match="EMBEDDING_DIMENSION=1536"):
            check_embedding_dimension(expected=1536)
        with pytest.raises(CommandError, match="EMBEDDING_DIMENSION=1536") as raised:
            call_command("check_deployment_config")

    assert len(problems) == 1
    assert "EMBEDDING_DIMENSION=1536" in problems[0]
    assert "384-dim" in problems[0]
    assert "vector(384)" in problems[0]  # the real column, read from the database
    assert "Set EMBEDDING_DIMENSION=384" in str(raised.value)


# -- search on the real help centre --------------------------------------------------


# Our own paraphrases of customer questions, not the sample tickets (those are
# the held-out set of `manage.py eval_search`).
PARAPHRASED = [
    ("I forgot my password, how can I get a new one?", "reset-password"),
    ("it says too many attempts try again in 15 minutes when I log in", "cant-sign-in"),
    ("I got a new phone and lost my authenticator codes, can't get in", "lost-two-factor-device"),
    ("someone left the company, how do I take away their access", "remove-a-member"),
    ("our credit card expired, how do I replace it", "update-payment-method"),
    ("add our VAT number to invoices", "update-billing-details"),
    ("bring tasks in from a spreadsheet", "import-from-csv"),
    ("I deleted a task by accident, can I get it back?", "trash-and-restore"),
    ("how to check the HMAC signature header on webhook requests", "webhook-signatures"),
    ("getting HTTP 429 too many requests from the API", "api-rate-limits"),
    ("can I use the app on a plane without internet", "offline-mode"),
    ("only allow logins from our office IP addresses", "ip-allowlist"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("question", "slug"), PARAPHRASED)
def test_real_questions_find_the_right_article_in_the_top_three(help_centre: None, question: str, slug: str) -> None:
    hits = search_knowledge(question, k=5)

    top_articles = list(dict.fromkeys(h.slug for h in hits))[:3]
    assert slug in top_articles, f"{question!r} found {top_articles}"


@pytest.mark.django_db
def test_a_long_pasted_email_still_finds_the_article(help_centre: None) -> None:
    email = (
        "Subject: card declined\n\nHello Loomline team,\n\n"
        + "We have been using Loomline for our agency's client projects for two years and we are very happy "
        "with the boards, the timeline and the way our designers and account managers work together. " * 6
        + "Today our finance team told me that the company credit card on file expired last week and the "
        "renewal payment failed. How do I replace the card with the new one before anything gets locked?\n\n"
        "Best regards,\nMarta Kowalski\nOperations lead, Northwind Studio\n+48 22 555 01 23"
    )
    assert 1200 < len(email) <= 2000  # past the 256 tokens the model reads: the question is at the end

    hits = search_knowledge(email, k=5)

    assert "update-payment-method" in list(dict.fromkeys(h.slug for h in hits))[:3]


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["what's the weather in Paris", "asdfgh", "recipe for chocolate chip cookies"])
def test_unrelated_queries_find_nothing(help_centre: None, query: str) -> None:
    assert search_knowledge(query) == []


@pytest.mark.django_db
def test_hits_are_scored_sorted_and_spread_over_articles(help_centre: None) -> None:
    hits = search_knowledge("how do I reset my password", k=10)

    assert len(hits) == 10
    assert isinstance(hits[0], KnowledgeHit) and hits[0].slug == "reset-password"
    assert all(0.0 <= h.score <= 1.0 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    slugs = [h.slug for h in hits]
    # The best article may give three passages (introduction and steps); every other at most two.
    assert slugs.count(hits[0].slug) <= 3
    assert max(slugs.count(slug) for slug in set(slugs) - {hits[0].slug}) <= 2
    assert set(hits[0].as_dict()) == {
        "chunk_id", "slug", "title", "category", "heading", "text", "score", "vector_score", "text_rank",
    }
    with pytest.raises(AttributeError):
        hits[0].score = 1.0  # type: ignore[misc]


@pytest.mark.django_db
def test_category_filter_restricts_both_retrievers(help_centre: None) -> None:
    everywhere = search_knowledge("export", k=10)
    only_data = search_knowledge("export", k=10, category="data")
    billing = search_knowledge("download last month's invoice as PDF", k=5, category="billing")

    assert {h.category for h in everywhere} != {"data"}
    assert only_data and {h.category for h in only_data} == {"data"}
    assert billing and {h.category for h in billing} == {"billing"}
    assert billing[0].slug == "download-invoices"
    assert search_knowledge("export", category="no-such-category") == []


@pytest.mark.django_db
def test_k_is_respected_and_bounded(help_centre: None) -> None:
    assert len(search_knowledge("how do I invite my team", k=1)) == 1
    assert len(search_knowledge("how do I invite my team", k=20)) == 20
    for bad in (0, 21, -1):
        with pytest.raises(InvalidQuery, match="k must be a whole number from 1 to 20"):
            search_knowledge("how do I invite my team", k=bad)


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["", "   \n\t "])
def test_an_empty_query_is_refused_clearly(query: str) -> None:
    with pytest.raises(InvalidQuery, match="The search query is empty"):
        search_knowledge(query)


@pytest.mark.django_db
def test_an_oversized_query_is_refused_clearly() -> None:
    with pytest.raises(InvalidQuery, match="2,001 characters long; the limit is 2,000"):
        search_knowledge("x" * 2001)
    assert isinstance(InvalidQuery("x"), ValueError)


@pytest.mark.django_db
def test_an_explicit_min_relevance_overrides_the_setting(help_centre: None) -> None:
    assert search_knowledge("asdfgh", min_relevance=0.0)  # the nearest chunks, however poor
    assert search_knowledge("how do I reset my password", min_relevance=0.99) == []


@pytest.mark.django_db
def test_eval_search_refuses_an_empty_knowledge_base(tmp_path: Path) -> None:
    KnowledgeChunk.objects.all().delete()  # rolled back after the test
    dataset = write(tmp_path / "t.json", '[{"id": "X1", "content": "reset password", "expected_article": "reset-password"}]')

    with pytest.raises(CommandError, match="knowledge base is empty: run `manage.py ingest_kb` first"):
        call_command("eval_search", "--dataset", str(dataset))


@pytest.mark.django_db
def test_eval_search_json_on_the_sample_tickets(help_centre: None, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    call_command("eval_search", "--json")
    result = json.loads(capsys.readouterr().out)

    assert {"cases", "hit_at_1", "hit_at_3", "mrr"} <= result.keys()
    assert result["cases"] >= 50
    assert result["hit_at_3"] >= 0.9
