"""Tests for agent_app.embeddings.

No database and no network: the local model runs from the installed package
files, and the OpenAI backend talks to a fake server on 127.0.0.1 through the
official client. The tests need no Django settings module; the few that read
settings configure a bare one if none is set up.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from agent_app.embeddings import (
    Embedder,
    EmbeddingDimensionMismatch,
    EmbeddingError,
    LocalMiniLMEmbedder,
    OpenAIEmbedder,
    check_embedding_dimension,
    get_embedder,
)
from tests.support.network import refused_port

PASSWORD_RESET = "How do I reset my password?"
FORGOT_PASSWORD = "I forgot my password and can't log in"
EXPORT_CSV = "Export my board to CSV"


def cosine(a: list[float], b: list[float]) -> float:
    return float(np.dot(a, b))  # both are unit vectors


@pytest.fixture(scope="module")
def local() -> LocalMiniLMEmbedder:
    return LocalMiniLMEmbedder()


@pytest.fixture
def django_settings() -> Iterator[None]:
    """Django settings to override, even where the project has none configured."""
    from django.conf import settings

    if not settings.configured and not os.environ.get("DJANGO_SETTINGS_MODULE"):
        settings.configure()
    yield


# -- the local model ----------------------------------------------------------


def test_local_vectors_are_384_dim_and_unit_length(local: LocalMiniLMEmbedder) -> None:
    vectors = local.embed([PASSWORD_RESET, EXPORT_CSV])

    assert local.dimension == 384
    assert [len(v) for v in vectors] == [384, 384]
    for vector in vectors:
        assert math.isclose(float(np.linalg.norm(vector)), 1.0, abs_tol=1e-5)


def test_local_is_deterministic(local: LocalMiniLMEmbedder) -> None:
    assert local.embed_one(PASSWORD_RESET) == local.embed_one(PASSWORD_RESET)


def test_local_puts_similar_questions_closer_than_unrelated_ones(
    local: LocalMiniLMEmbedder,
) -> None:
    reset, forgot, export = local.embed([PASSWORD_RESET, FORGOT_PASSWORD, EXPORT_CSV])

    assert cosine(reset, forgot) > 0.6
    assert cosine(reset, export) < 0.3
    assert cosine(forgot, export) < 0.3


def test_local_batch_matches_one_by_one() -> None:
    # A small batch size makes several batches of different widths, so the
    # padding differs between a text's batch and its solo run.
    embedder = LocalMiniLMEmbedder(batch_size=3)
    texts = [
        EXPORT_CSV,
        "",
        FORGOT_PASSWORD,
        "Ünïcödé, emoji 🎉 and 東京 are fine too.",
        "A much longer message about a billing problem that started last week " * 4,
        PASSWORD_RESET,
        "ok",
    ]

    batch = np.array(embedder.embed(texts))
    solo = np.array([embedder.embed_one(text) for text in texts])

    np.testing.assert_allclose(batch, solo, atol=1e-5)


def test_local_batches_stay_within_rows_and_tokens() -> None:
    embedder = LocalMiniLMEmbedder(batch_size=4)
    embedder.max_batch_tokens = 40
    token_ids = [[0] * n for n in (5, 5, 5, 5, 5, 12, 12, 12, 30)]

    batches = list(embedder._batches(list(range(len(token_ids))), token_ids))

    assert batches == [[0, 1, 2, 3], [4, 5, 6], [7], [8]]


def test_local_embeds_an_empty_string(local: LocalMiniLMEmbedder) -> None:
    vector = local.embed_one("")

    assert len(vector) == 384
    assert math.isclose(float(np.linalg.norm(vector)), 1.0, abs_tol=1e-5)


def test_local_truncates_long_text_to_256_tokens(local: LocalMiniLMEmbedder) -> None:
    # "word" is one token; [CLS] and [SEP] take the other two of the 256.
    very_long = local.embed_one("word " * 20_000)
    cut_by_hand = local.embed_one("word " * 254)

    np.testing.assert_allclose(very_long, cut_by_hand, atol=1e-5)


def test_local_empty_input_gives_empty_output(local: LocalMiniLMEmbedder) -> None:
    assert local.embed([]) == []


def test_local_rejects_a_bare_string(local: LocalMiniLMEmbedder) -> None:
    # A str is a Sequence[str] too; embedding it letter by letter is never meant.
    with pytest.raises(TypeError):
        local.embed(PASSWORD_RESET)


def test_local_loads_and_runs_without_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the local embedder tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)

    assert len(LocalMiniLMEmbedder().embed_one(PASSWORD_RESET)) == 384


def test_local_loads_once_under_concurrent_first_use() -> None:
    embedder = LocalMiniLMEmbedder()
    loads = 0
    real_load = embedder._load

    def counting_load() -> Any:
        nonlocal loads
        loads += 1
        return real_load()

    embedder._load = counting_load  # type: ignore[method-assign]
    start = threading.Barrier(4)
    results: list[list[float]] = []

    def first_use() -> None:
        start.wait()
        results.append(embedder.embed_one(PASSWORD_RESET))

    threads = [threading.Thread(target=first_use) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert loads == 1
    assert len(results) == 4
    assert all(result == results[0] for result in results)


def test_embedding_threads_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMBEDDING_THREADS", "2")
    assert LocalMiniLMEmbedder().threads == 2

    monkeypatch.setenv("EMBEDDING_THREADS", "zero")
    with pytest.raises(ImproperlyConfigured, match="EMBEDDING_THREADS"):
        LocalMiniLMEmbedder()


# -- the OpenAI backend, against a fake server --------------------------------


@dataclass
class FakeOpenAI:
    """What the fake server was asked, and how it should answer next."""

    base_url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    authorizations: list[str] = field(default_factory=list)
    status: int = 200
    ignore_dimensions: bool = False


def fake_vector(text: str, dimension: int) -> list[float]:
    """A stable, deliberately unnormalised vector for a text."""
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
    return (np.random.default_rng(seed).normal(size=dimension) * 3).tolist()


@pytest.fixture
def fake_openai(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    state = FakeOpenAI(base_url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.requests.append(body)
            state.authorizations.append(self.headers.get("Authorization", ""))
            if self.path != "/v1/embeddings":
                return self.reply(404, {"error": {"message": "not found", "type": "invalid_request_error"}})
            if state.status != 200:
                return self.reply(
                    state.status,
                    {"error": {"message": f"fake error {state.status}", "type": "fake", "code": None}},
                )
            dimension = 1536 if state.ignore_dimensions else body.get("dimensions", 1536)
            data = []
            for index, text in enumerate(body["input"]):
                vector = fake_vector(text, dimension)
                if body.get("encoding_format") == "base64":
                    embedding: Any = base64.b64encode(np.asarray(vector, "<f4").tobytes()).decode()
                else:
                    embedding = vector
                data.append({"object": "embedding", "index": index, "embedding": embedding})
            data.reverse()  # the client must go by "index", not by position
            tokens = sum(len(text.split()) for text in body["input"])
            self.reply(
                200,
                {
                    "object": "list",
                    "data": data,
                    "model": body["model"],
                    "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
                },
            )

        def reply(self, status: int, payload: dict[str, Any]) -> None:
            raw = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def openai_embedder(fake: FakeOpenAI, **kwargs: Any) -> OpenAIEmbedder:
    options: dict[str, Any] = {
        "api_key": "sk-test",
        "base_url": fake.base_url,
        "dimension": 8,
        "max_retries": 0,
    }
    return OpenAIEmbedder(**(options | kwargs))


def test_openai_embeds_through_the_official_client(fake_openai: FakeOpenAI) -> None:
    embedder = openai_embedder(fake_openai, model="text-embedding-3-small")

    vectors = embedder.embed([PASSWORD_RESET, EXPORT_CSV])

    (request,) = fake_openai.requests
    assert request["model"] == "text-embedding-3-small"
    assert request["input"] == [PASSWORD_RESET, EXPORT_CSV]
    assert request["dimensions"] == 8
    assert fake_openai.authorizations == ["Bearer sk-test"]
    # In input order (the server answered in reverse), and unit length.
    for text, vector in zip([PASSWORD_RESET, EXPORT_CSV], vectors):
        expected = np.asarray(fake_vector(text, 8))
        np.testing.assert_allclose(vector, expected / np.linalg.norm(expected), atol=1e-6)
    assert embedder.name == "openai/text-embedding-3-small"


def test_openai_batches_and_handles_empty_and_long_texts(fake_openai: FakeOpenAI) -> None:
    embedder = openai_embedder(fake_openai)
    embedder.batch_size = 2
    texts = ["one", "", "three", "x" * 50_000, "five"]

    vectors = embedder.embed(texts)

    assert len(vectors) == 5
    assert [len(r["input"]) for r in fake_openai.requests] == [2, 2, 1]
    sent = [text for r in fake_openai.requests for text in r["input"]]
    assert sent[1] == " "  # the API rejects ""
    assert len(sent[3]) == OpenAIEmbedder.max_chars
    assert embedder.embed_one("five") == vectors[4]
    assert embedder.embed([]) == []


def test_openai_checks_the_dimension_of_what_comes_back(fake_openai: FakeOpenAI) -> None:
    fake_openai.ignore_dimensions = True

    with pytest.raises(EmbeddingDimensionMismatch, match="1536-dim"):
        openai_embedder(fake_openai).embed([PASSWORD_RESET])


@pytest.mark.parametrize(
    ("status", "permanent"), [(401, True), (400, True), (429, False), (503, False)]
)
def test_openai_errors_say_whether_a_retry_can_help(
    fake_openai: FakeOpenAI, status: int, permanent: bool
) -> None:
    fake_openai.status = status

    with pytest.raises(EmbeddingError) as excinfo:
        openai_embedder(fake_openai).embed([PASSWORD_RESET])

    assert excinfo.value.permanent is permanent
    assert str(status) in str(excinfo.value)


def test_openai_unreachable_server_is_a_transient_error() -> None:
    with refused_port() as port, pytest.raises(EmbeddingError) as excinfo:
        embedder = OpenAIEmbedder(
            api_key="sk-test", base_url=f"http://127.0.0.1:{port}/v1", dimension=8, max_retries=0
        )
        embedder.embed([PASSWORD_RESET])

    assert excinfo.value.permanent is False


def test_openai_without_a_key_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)

    with pytest.raises(ImproperlyConfigured, match="OPENAI_API_KEY"):
        OpenAIEmbedder(api_key=None)


# -- choosing a backend and checking the dimension ----------------------------


def test_get_embedder_returns_one_shared_local_embedder() -> None:
    embedder = get_embedder("local")

    assert isinstance(embedder, LocalMiniLMEmbedder)
    assert isinstance(embedder, Embedder)
    assert get_embedder("local") is embedder


def test_get_embedder_rejects_an_unknown_backend() -> None:
    with pytest.raises(ImproperlyConfigured, match="EMBEDDING_BACKEND='nope'"):
        get_embedder("nope")


def test_get_embedder_follows_settings(django_settings: None, fake_openai: FakeOpenAI) -> None:
    with override_settings(EMBEDDING_BACKEND="local"):
        assert isinstance(get_embedder(), LocalMiniLMEmbedder)

    with override_settings(
        EMBEDDING_BACKEND="openai",
        EMBEDDING_MODEL="text-embedding-3-large",
        EMBEDDING_DIMENSION=16,
        OPENAI_API_KEY="sk-from-settings",
        OPENAI_BASE_URL=fake_openai.base_url,
    ):
        embedder = get_embedder()
        assert isinstance(embedder, OpenAIEmbedder)
        assert embedder.dimension == 16
        assert len(embedder.embed_one(PASSWORD_RESET)) == 16

    assert fake_openai.requests[0]["model"] == "text-embedding-3-large"
    assert fake_openai.authorizations == ["Bearer sk-from-settings"]


def test_dimension_check_passes_when_everything_agrees(django_settings: None) -> None:
    with override_settings(EMBEDDING_BACKEND="local", EMBEDDING_DIMENSION=384):
        check_embedding_dimension(expected=384)


def test_dimension_check_catches_a_setting_the_model_cannot_honour(
    django_settings: None,
) -> None:
    with override_settings(EMBEDDING_DIMENSION=1536):
        with pytest.raises(EmbeddingDimensionMismatch) as excinfo:
            check_embedding_dimension(expected=384, embedder=LocalMiniLMEmbedder())

    message = str(excinfo.value)
    assert "EMBEDDING_DIMENSION=1536" in message
    assert "local model" in message
    assert "384-dim" in message
    assert "vector(384)" in message
    assert isinstance(excinfo.value, ImproperlyConfigured)


def test_dimension_check_catches_a_column_of_another_size(
    django_settings: None, fake_openai: FakeOpenAI
) -> None:
    with override_settings(EMBEDDING_DIMENSION=1536):
        embedder = openai_embedder(fake_openai, dimension=1536)
        with pytest.raises(EmbeddingDimensionMismatch, match=r"vector\(384\)"):
            check_embedding_dimension(expected=384, embedder=embedder)

    assert fake_openai.requests == []  # the check never calls the API
