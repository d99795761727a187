"""Test-wide setup. Tests run in development mode against a real PostgreSQL."""
import os
from collections.abc import Iterator
import re
from pathlib import Path

# Tests are hermetic: a developer's exported configuration (an OpenAI key would swap the
# offline model for a real one, a CACHE_URL would make the tests flush a shared Redis)
# must not leak in. Every variable .env.example documents is dropped, and its _FILE
# form, except where the database the suite was pointed at lives.
_KEEP = {"DATABASE_URL", "EMBEDDED_PGDATA", "EMBEDDED_DB_NAME"}
for _name in re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", (Path(__file__).parent / ".env.example").read_text(), re.M):
    if _name not in _KEEP:
        os.environ.pop(_name, None)
        os.environ.pop(f"{_name}_FILE", None)

os.environ["FTE_DEV_MODE"] = "1"
# No developer .env or make-run secrets either.
os.environ["FTE_NO_ENV_FILES"] = "1"
# The Celery app of the test process talks to the test Redis database.
os.environ["CELERY_BROKER_URL"] = os.environ.get("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")


import pytest  # noqa: E402 - after the environment is settled


@pytest.fixture(scope="session")
def _help_centre_rows(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """The real Help Centre, embedded once per session and kept in memory as rows."""
    from django.conf import settings

    from agent_app.knowledge.ingestion import ingest_paths
    from crm.models import KnowledgeArticle, KnowledgeChunk

    dossier = settings.BASE_DIR / "context" / "product-docs.md"
    with django_db_blocker.unblock():
        ingest_paths([dossier], progress=False)
        articles = list(KnowledgeArticle.objects.filter(source__endswith="product-docs.md"))
        chunks = list(KnowledgeChunk.objects.filter(article__in=articles).defer("search_vector"))
    return articles, chunks


@pytest.fixture
def help_centre(db, _help_centre_rows) -> None:  # type: ignore[no-untyped-def]
    """The real Help Centre in the database for this test, whatever earlier tests did.

    Transactional tests flush every table and some tests delete articles; putting the
    stored rows back costs a bulk insert instead of embedding 350 chunks again.
    """
    from agent_app.knowledge.search_statistics import refresh_search_statistics
    from crm.models import KnowledgeArticle, KnowledgeChunk

    articles, chunks = _help_centre_rows
    if KnowledgeChunk.objects.filter(pk__in=[c.pk for c in chunks]).count() == len(chunks):
        return
    KnowledgeArticle.objects.filter(slug__in=[a.slug for a in articles]).delete()
    KnowledgeArticle.objects.bulk_create(articles)
    KnowledgeChunk.objects.bulk_create(chunks)
    refresh_search_statistics()


@pytest.fixture
def celery_eager() -> Iterator[None]:
    """Run Celery tasks in-process when they are queued, as a worker would (retries included)."""
    from fte_project.celery import app

    saved = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved
