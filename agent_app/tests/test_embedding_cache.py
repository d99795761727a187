"""One customer message, one run of the local embedding model.

The intent layer and the knowledge search both embed a message; the local embedder
remembers recent query vectors by their exact text, so the second embedding is free. The
counts are the embedder's own (``model_runs``, ``cache_hits``): nothing of ours is mocked.
"""
from __future__ import annotations

import threading

import numpy as np
import pytest
from django.test import override_settings

from agent_app import policy
from agent_app.embeddings import LocalMiniLMEmbedder, OpenAIEmbedder, get_embedder
from agent_app.judgement import features, intents
from agent_app.knowledge.search import search_knowledge, semantic_text
from agent_app.tests.test_embeddings import FakeOpenAI, fake_openai  # noqa: F401 - a fixture

QUESTION = "How long is the password reset link valid for?"


def test_the_same_text_embedded_twice_runs_the_model_once() -> None:
    embedder = LocalMiniLMEmbedder()

    first = embedder.embed_one(QUESTION)
    second = embedder.embed([QUESTION])[0]

    assert embedder.model_runs == 1
    assert (embedder.cache_hits, embedder.cache_misses) == (1, 1)
    assert second == first


def test_a_remembered_vector_is_the_one_the_model_gives() -> None:
    remembered = LocalMiniLMEmbedder()
    remembered.embed_one(QUESTION)

    assert remembered.embed_one(QUESTION) == LocalMiniLMEmbedder().embed_one(QUESTION)


def test_texts_that_differ_at_all_are_embedded_separately() -> None:
    embedder = LocalMiniLMEmbedder()

    embedder.embed_one(QUESTION)
    embedder.embed_one(QUESTION + " ")
    embedder.embed_one(QUESTION.lower())

    assert embedder.model_runs == 3
    assert embedder.cache_hits == 0


def test_the_cache_is_bounded_and_forgets_the_oldest() -> None:
    embedder = LocalMiniLMEmbedder()
    embedder.cache_size = 2

    for text in ("export to CSV", "delete a board", "invite a guest"):
        embedder.embed_one(text)
    embedder.embed_one("invite a guest")
    runs = embedder.model_runs
    embedder.embed_one("export to CSV")  # the oldest: evicted

    assert embedder.model_runs == runs + 1
    embedder.embed_one("invite a guest")  # still there: the newest two are kept
    assert embedder.model_runs == runs + 1


def test_a_batch_of_documents_bypasses_the_cache() -> None:
    embedder = LocalMiniLMEmbedder()
    documents = [f"Section {i}: how to export board {i}" for i in range(embedder.cache_max_texts + 1)]

    embedder.embed(documents)
    embedder.embed_one(documents[0])

    assert (embedder.cache_hits, embedder.cache_misses) == (0, 1)
    assert embedder.model_runs == 2


def test_a_small_call_embeds_only_what_it_has_not_seen() -> None:
    embedder = LocalMiniLMEmbedder()
    embedder.embed_one(QUESTION)

    both = embedder.embed([QUESTION, "Can I export a board to CSV?"])

    assert embedder.model_runs == 2
    assert both[0] == embedder.embed_one(QUESTION)


def test_concurrent_callers_get_the_same_vector() -> None:
    embedder = LocalMiniLMEmbedder()
    start = threading.Barrier(4)
    results: list[list[float]] = []

    def call() -> None:
        start.wait()
        results.append(embedder.embed_one(QUESTION))

    threads = [threading.Thread(target=call) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert all(r == results[0] for r in results)
    runs = embedder.model_runs
    assert embedder.embed_one(QUESTION) == results[0]
    assert embedder.model_runs == runs


def test_another_local_model_instance_does_not_share() -> None:
    a, b = LocalMiniLMEmbedder(), LocalMiniLMEmbedder()
    a.embed_one(QUESTION)

    b.embed_one(QUESTION)

    assert b.model_runs == 1
    assert b.cache_hits == 0


def test_the_openai_backend_never_gets_a_local_vector(fake_openai: FakeOpenAI) -> None:  # noqa: F811
    local = get_embedder("local")
    local.embed_one(QUESTION)
    hits = local.cache_hits

    with override_settings(EMBEDDING_BACKEND="openai", EMBEDDING_DIMENSION=16, OPENAI_API_KEY="sk-test",
                           OPENAI_BASE_URL=fake_openai.base_url):
        remote = get_embedder()
        vector = remote.embed_one(QUESTION)

    assert isinstance(remote, OpenAIEmbedder)
    assert [r["input"] for r in fake_openai.requests] == [[QUESTION]]
    assert len(vector) == 16
    assert local.cache_hits == hits


@pytest.mark.parametrize("message", [
    "how do i turn on 2fa with an authenticator app",
    "Hi,\n\nI can\u2019t find where to download last month\u2019s invoice. Where is it?\n\nThanks,\nMo Haddad",
    "Hello team,\nIs there a limit on how many guests we can invite to one board?\n\nBest regards,\nLee",
])
def test_the_search_query_of_a_message_is_the_text_the_intent_layer_embeds(message: str) -> None:
    # The offline model searches with policy.question_text; the search validates it (one
    # space between words) and embeds semantic_text of that.
    query = " ".join(policy.question_text(message).split())

    assert semantic_text(query) == features.normalise(features.message_text(message))


def test_judging_and_searching_a_message_runs_the_model_once(help_centre: None) -> None:
    message = "Hi,\n\nhow long does the password reset link stay valid? mine didn\u2019t work\n\nThanks,\nRui"
    local = get_embedder("local")
    local.clear_cache()
    intents.reset_cache()
    runs = local.model_runs

    scores = intents.classify(message)
    hits = search_knowledge(policy.question_text(message), k=5)

    assert local.model_runs == runs + 1
    assert hits and hits[0].slug == "reset-password"
    np.testing.assert_array_equal(scores.vector, np.asarray(local.embed_one(semantic_text(
        " ".join(policy.question_text(message).split()))), dtype=np.float32))


@pytest.mark.django_db
def test_an_email_with_a_subject_and_a_greeting_searches_what_the_intent_layer_embeds(help_centre: None) -> None:
    # policy.assess judges the subject and body together; the search reads the subject and
    # the body's core. The greeting after the subject must not make them differ.
    subject, body = "Invoice missing", "Hi team,\n\nWhere can I download the invoice for March?\n\nThanks,\nAna"
    query = " ".join(policy.question_text(body, subject=subject).split())
    local = get_embedder("local")
    local.clear_cache()
    intents.reset_cache()
    runs = local.model_runs

    scores = policy.assess(body, channel="email", subject=subject).intents
    hits = search_knowledge(query, k=5)

    assert semantic_text(query) == features.normalise(features.message_text(body, subject=subject))
    assert local.model_runs == runs + 1
    assert hits and hits[0].slug == "download-invoices"
    assert scores is not None
