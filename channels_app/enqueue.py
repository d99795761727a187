"""Handing work to Celery by task name, so the intake side does not import the agent."""
from __future__ import annotations

from fte_project.celery import app

PROCESS_INBOUND_TASK = "agent_app.process_inbound"

#: How a producer retries a broker that did not take a message: about two seconds,
#: then the error is raised to the caller (which must not acknowledge its own input).
PUBLISH_RETRY_POLICY = {"max_retries": 3, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 2}


def enqueue_inbound(message_id: int) -> None:
    """Queue the agent for one inbound message. Raises if the broker did not take it."""
    app.send_task(PROCESS_INBOUND_TASK, args=[message_id], retry=True, retry_policy=PUBLISH_RETRY_POLICY)
