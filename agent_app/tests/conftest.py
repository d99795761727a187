from __future__ import annotations

import pytest
from django.conf import settings


@pytest.fixture(scope="session")
def knowledge_base(django_db_setup, django_db_blocker):
    """The real help centre, ingested once into the test database for the whole session."""
    from agent_app.knowledge import ingest_paths

    with django_db_blocker.unblock():
        ingest_paths([settings.BASE_DIR / "context" / "product-docs.md"], progress=False)
    yield
