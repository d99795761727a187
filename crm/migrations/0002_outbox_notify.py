"""Wake the outbox relay the moment a row is committed (NOTIFY is delivered on commit)."""
from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION fte_outbox_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('fte_outbox', '');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER fte_outbox_notify AFTER INSERT ON crm_outboxevent
    FOR EACH STATEMENT EXECUTE FUNCTION fte_outbox_notify();
"""
REVERSE = """
DROP TRIGGER IF EXISTS fte_outbox_notify ON crm_outboxevent;
DROP FUNCTION IF EXISTS fte_outbox_notify();
"""


class Migration(migrations.Migration):
    dependencies = [("crm", "0001_initial")]
    operations = [migrations.RunSQL(SQL, REVERSE)]
