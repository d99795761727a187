"""Start-up checks: the embeddings, the setting and the vector column must agree.

Three numbers must be equal: the dimension the embedder produces, the
``EMBEDDING_DIMENSION`` setting (which the migration used for the column), and
the dimension of the ``crm_knowledgechunk.embedding`` column actually in the
database. When they are not, ingestion fails on its first INSERT, or worse,
a model switch goes unnoticed. ``manage.py check_deployment_config`` (run by
``make run`` before serving) turns any mismatch into a clear error.
"""
from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connections

from agent_app.embeddings import EmbeddingDimensionMismatch, check_embedding_dimension, get_embedder

CHUNK_TABLE = "crm_knowledgechunk"
MIGRATION_FIX = (
    "The column is created by crm's migrations from EMBEDDING_DIMENSION: changing it needs a new "
    "migration of crm.KnowledgeChunk.embedding, `manage.py migrate`, then `manage.py ingest_kb` "
    "to embed every chunk again."
)


def embedding_column_dimension(*, using: str = "default") -> int | None:
    """The dimension of ``crm_knowledgechunk.embedding`` in the database, or None if it is not there yet.

    For pgvector's ``vector(n)`` the type modifier (``atttypmod``) is ``n``.
    None before ``migrate`` (no table) or for an unconstrained ``vector``.
    """
    with connections[using].cursor() as cursor:
        cursor.execute(
            """
            SELECT a.atttypmod
            FROM pg_attribute a
            WHERE a.attrelid = to_regclass(%s) AND a.attname = 'embedding' AND NOT a.attisdropped
            """,
            [CHUNK_TABLE],
        )
        row = cursor.fetchone()
    if row is None or row[0] is None or row[0] < 1:
        return None
    return int(row[0])


def embedding_dimension_problems(*, include_database: bool = True, using: str = "default") -> list[str]:
    """Every disagreement between the embedder, ``EMBEDDING_DIMENSION`` and the vector column.

    An empty list means all three agree (or, before ``migrate`` created the
    column, the first two do). Each message names the numbers and says how
    to fix it. Reads the database only with ``include_database``; loads no
    model and calls no API.
    """
    try:
        embedder = get_embedder()
    except ImproperlyConfigured as exc:
        return [f"The embedding backend cannot be set up: {exc}"]
    configured = int(settings.EMBEDDING_DIMENSION)
    column: int | None = None
    if include_database:
        try:
            column = embedding_column_dimension(using=using)
        except DatabaseError as exc:
            return [f"Could not read the dimension of {CHUNK_TABLE}.embedding: {exc}"]
    if column is None:
        # No column to compare with (not read, or not migrated yet): only
        # the embedder and the setting, worded without a column.
        if embedder.dimension != configured:
            return [
                f"EMBEDDING_DIMENSION={configured} but {embedder.name} produces {embedder.dimension}-dim "
                f"vectors. Set EMBEDDING_DIMENSION={embedder.dimension}, or choose an embedding backend "
                f"that produces {configured}-dim vectors."
            ]
        return []
    try:
        check_embedding_dimension(expected=column, embedder=embedder)
    except EmbeddingDimensionMismatch as exc:
        return [str(exc)]
    if column != configured:
        # The embedder fits the column, but the setting says otherwise: the
        # next migrate or a fresh database would build the wrong column.
        return [
            f"The database column {CHUNK_TABLE}.embedding is vector({column}) but "
            f"EMBEDDING_DIMENSION={configured}. {MIGRATION_FIX}"
        ]
    return []


@register("agent_app")
def embedding_dimension_check(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """System check: the embedder and ``EMBEDDING_DIMENSION`` agree; with a database, the column too.

    Django passes ``databases`` only to commands that may use the database
    (``migrate``, ``check --database default``); plain ``manage.py check``
    reads no database. With a database every problem is a warning, not an
    error: ``migrate`` runs these checks, and an error would block the very
    migration that fixes it. ``check_deployment_config`` makes them fatal.
    """
    if databases and "default" in databases:
        return [Warning(p, id="agent_app.W001") for p in embedding_dimension_problems(include_database=True)]
    return [Error(p, id="agent_app.E001") for p in embedding_dimension_problems(include_database=False)]
