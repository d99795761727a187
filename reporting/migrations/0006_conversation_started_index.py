"""An index the reports need on a CRM table: conversations by the time they started.

Every report range reads "conversations started" for its ragged hours live; without this
index that is a scan of every conversation. It lives in a reporting migration (not crm's)
because only the reports query by it; ``IF NOT EXISTS`` lets crm adopt it later unchanged.
"""
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("reporting", "0005_staff_daily_rollup"), ("crm", "0006_channel_paused_reason")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS reporting_conversation_started ON crm_conversation (started_at)",
            "DROP INDEX IF EXISTS reporting_conversation_started",
        ),
    ]
