# The indexes /health reads through (crm.selectors.pipeline_backlog, last_inbound_at).

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0008_ticket_sla_clock'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='message',
            index=models.Index(condition=models.Q(('delivery_status', 'pending')), fields=['created_at'], name='message_pending_delivery'),
        ),
        migrations.AddIndex(
            model_name='message',
            index=models.Index(condition=models.Q(('direction', 'inbound')), fields=['channel', 'created_at'], name='message_inbound_channel_time'),
        ),
    ]
