"""Business actions on the CRM. One action, one transaction, keyword-only and typed.

Nothing else changes a ticket's status or a message's processing state. Side effects
that leave the database (Kafka, Celery) are written to the outbox inside the same
transaction, so they happen if and only if the data they announce was committed.
Callers use ``from crm import services`` and ``services.<entity>_<action>``; each
module of this package holds one entity's actions.
"""
from crm.services.conversations import *  # noqa: F401,F403
from crm.services.customers import *  # noqa: F401,F403
from crm.services.feedback import *  # noqa: F401,F403
from crm.services.knowledge import *  # noqa: F401,F403
from crm.services.messages import *  # noqa: F401,F403
from crm.services.metrics import *  # noqa: F401,F403
from crm.services.outbox import *  # noqa: F401,F403
from crm.services.tickets import *  # noqa: F401,F403
