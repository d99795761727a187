"""The Kafka topics and the shape of the events the CRM writes to its outbox.

The names live here, in ``crm``, because the CRM writes outbox rows in the same
transaction as the data they announce; ``channels_app`` publishes them.
"""
from __future__ import annotations

from django.conf import settings


class Topic:
    TICKETS_INCOMING = "fte.tickets.incoming"
    EMAIL_INBOUND = "fte.channels.email.inbound"
    WHATSAPP_INBOUND = "fte.channels.whatsapp.inbound"
    WEBFORM_INBOUND = "fte.channels.webform.inbound"
    ESCALATIONS = "fte.escalations"
    METRICS = "fte.metrics"
    DLQ = "fte.dlq"

    ALL = (
        TICKETS_INCOMING,
        EMAIL_INBOUND,
        WHATSAPP_INBOUND,
        WEBFORM_INBOUND,
        ESCALATIONS,
        METRICS,
        DLQ,
    )


CHANNEL_AUDIT_TOPIC = {
    "email": Topic.EMAIL_INBOUND,
    "whatsapp": Topic.WHATSAPP_INBOUND,
    "web_form": Topic.WEBFORM_INBOUND,
}


def physical_topic(name: str) -> str:
    """The topic's name on the broker: a prefix lets test runs share one broker safely."""
    return f"{settings.KAFKA_TOPIC_PREFIX}{name}"
