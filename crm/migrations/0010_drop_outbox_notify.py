"""The outbox relay polls instead of being woken by NOTIFY (see channels_app/outbox_relay.py).

PostgreSQL serializes the commits of transactions that sent a NOTIFY, WAL flush included,
so the insert trigger of 0002 let only one intake transaction commit at a time.
"""
from django.db import migrations

DROP = """
DROP TRIGGER IF EXISTS fte_outbox_notify ON crm_outboxevent;
DROP FUNCTION IF EXISTS fte_outbox_notify();
"""
RESTORE = """
CREATE OR REPLACE FUNCTION fte_outbox_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('fte_outbox', '');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER fte_outbox_notify AFTER INSERT ON crm_outboxevent
    FOR EACH STATEMENT EXECUTE FUNCTION fte_outbox_notify();
"""


class Migration(migrations.Migration):
    dependencies = [("crm", "0009_message_health_indexes")]
    operations = [migrations.RunSQL(DROP, RESTORE)]
