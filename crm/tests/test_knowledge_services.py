"""crm.services.knowledge: storing articles and chunks exactly as ingestion decided."""
from __future__ import annotations

import pytest
from django.conf import settings

from crm import services
from crm.errors import KnowledgeArticleChanged, KnowledgeVectorsMissing
from crm.models import KnowledgeArticle, KnowledgeChunk

pytestmark = pytest.mark.django_db

MODEL = "test-model"
SOURCE = "crm-tests/kb.md"  # other tests may have loaded the real help centre: touch only ours


def _vector(seed: float) -> list[float]:
    return [seed] * settings.EMBEDDING_DIMENSION


def _chunk(position: int, text: str) -> services.KnowledgeChunkInput:
    return services.KnowledgeChunkInput(position=position, heading=f"Title › {text}", text=text,
                                        content_hash=f"hash-{text}")


def _upsert(slug: str, chunks: list[services.KnowledgeChunkInput], vectors: dict[str, list[float]],
            **fields: str) -> services.KnowledgeArticleStored:
    values = {"title": "Title", "category": "data", "body": "body", "source": SOURCE, "content_hash": "a1"}
    values.update(fields)
    return services.knowledge_article_upsert(slug=f"crmtest-{slug}", chunks=chunks, embedding_model=MODEL,
                                             vectors=vectors, **values)


def test_upsert_creates_the_article_and_its_chunks_with_the_given_vectors() -> None:
    stored = _upsert("export", [_chunk(0, "intro"), _chunk(1, "steps")],
                     {"hash-intro": _vector(0.1), "hash-steps": _vector(0.2)})

    assert (stored.created, stored.changed, stored.chunks_added, stored.chunks_kept) == (True, True, 2, 0)
    article = KnowledgeArticle.objects.get(pk=stored.article_id)
    assert list(article.chunks.values_list("position", "text", "embedding_model")) == [
        (0, "intro", MODEL), (1, "steps", MODEL)]


def test_a_second_identical_upsert_changes_nothing() -> None:
    chunks = [_chunk(0, "intro"), _chunk(1, "steps")]
    _upsert("export", chunks, {"hash-intro": _vector(0.1), "hash-steps": _vector(0.2)})
    again = _upsert("export", chunks, {})

    assert (again.created, again.changed, again.chunks_kept, again.chunks_added, again.chunks_deleted) == (
        False, False, 2, 0, 0)


def test_chunks_are_kept_moved_copied_and_deleted() -> None:
    _upsert("export", [_chunk(0, "intro"), _chunk(1, "old")], {"hash-intro": _vector(0.1), "hash-old": _vector(0.2)})
    _upsert("elsewhere", [_chunk(0, "shared")], {"hash-shared": _vector(0.3)})

    stored = _upsert("export", [_chunk(0, "shared"), _chunk(1, "intro")], {}, body="new body")

    assert (stored.chunks_kept, stored.chunks_copied, stored.chunks_added, stored.chunks_deleted) == (1, 1, 0, 1)
    article = KnowledgeArticle.objects.get(pk=stored.article_id)
    assert article.body == "new body"
    assert list(article.chunks.values_list("position", "text")) == [(0, "shared"), (1, "intro")]


def test_a_chunk_without_any_vector_is_refused_and_nothing_is_written() -> None:
    with pytest.raises(KnowledgeVectorsMissing) as refused:
        _upsert("export", [_chunk(0, "intro")], {})

    assert refused.value.hashes == {"hash-intro"}
    assert not KnowledgeArticle.objects.filter(source=SOURCE).exists()
    assert not KnowledgeChunk.objects.filter(content_hash="hash-intro").exists()


def test_chunks_sync_refuses_an_article_edited_since_it_was_chunked() -> None:
    stored = _upsert("export", [_chunk(0, "intro")], {"hash-intro": _vector(0.1)})
    KnowledgeArticle.objects.filter(pk=stored.article_id).update(body="edited meanwhile")

    with pytest.raises(KnowledgeArticleChanged):
        services.knowledge_article_chunks_sync(article_id=stored.article_id, title="Title", body="body",
                                               content_hash="a2", chunks=[], embedding_model=MODEL, vectors={})
    assert KnowledgeChunk.objects.filter(article_id=stored.article_id).count() == 1


def test_chunks_sync_replaces_the_chunks_and_the_content_hash_only() -> None:
    stored = _upsert("export", [_chunk(0, "intro")], {"hash-intro": _vector(0.1)})

    synced = services.knowledge_article_chunks_sync(
        article_id=stored.article_id, title="Title", body="body", content_hash="a2",
        chunks=[_chunk(0, "rewritten")], embedding_model=MODEL, vectors={"hash-rewritten": _vector(0.4)})

    assert (synced.created, synced.changed, synced.chunks_added, synced.chunks_deleted) == (False, True, 1, 1)
    article = KnowledgeArticle.objects.get(pk=stored.article_id)
    assert (article.content_hash, article.category) == ("a2", "data")
    assert list(article.chunks.values_list("text", flat=True)) == ["rewritten"]


def test_delete_missing_touches_only_the_given_sources() -> None:
    _upsert("kept", [_chunk(0, "a")], {"hash-a": _vector(0.1)})
    _upsert("gone", [_chunk(0, "b")], {"hash-b": _vector(0.2)})
    _upsert("other-file", [_chunk(0, "c")], {"hash-c": _vector(0.3)}, source="crm-tests/other.md")

    deleted = services.knowledge_articles_delete_missing(sources=[SOURCE], keep_slugs=["crmtest-kept"])

    assert (deleted.articles, deleted.chunks) == (1, 1)
    assert sorted(KnowledgeArticle.objects.filter(slug__startswith="crmtest-").values_list("slug", flat=True)) == [
        "crmtest-kept", "crmtest-other-file"]
