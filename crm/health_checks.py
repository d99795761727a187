"""crm's entry in ``GET /health``: the database, with the pgvector extension its knowledge chunks need.

Registered by ``CrmConfig.ready``.
"""
from __future__ import annotations

from typing import Any

from django.db import connection

from fte_project.health import register


@register("database")
def check_database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        row = cursor.fetchone()
    return {"ok": row is not None, "pgvector": row[0] if row else None}
