"""The table of the database cache (``fte_cache``), whatever cache is configured today.

The web form's rate limits count in the Django cache, which must be shared by every
process. Without ``CACHE_URL`` that is this table in PostgreSQL. It is created here,
rather than by ``manage.py createcachetable`` alone, so that every deployment that
migrates has it, including one that later drops ``CACHE_URL``.
"""
from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations

TABLE = "fte_cache"


def create_cache_table(apps, schema_editor):  # type: ignore[no-untyped-def]
    # Idempotent: createcachetable skips a table that exists.
    command = CreateCacheTable()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, TABLE, dry_run=False)


def drop_cache_table(apps, schema_editor):  # type: ignore[no-untyped-def]
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("channels_app", "0001_sync_state")]
    operations = [migrations.RunPython(create_cache_table, drop_cache_table)]
