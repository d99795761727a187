"""Handing work to Celery by task name: the intake side does not import the agent, and
every sender of a reply hands it to the one delivery task the same way."""
from __future__ import annotations

import logging

from fte_project.celery import app

log = logging.getLogger(__name__)

# The task that answers an inbound message. The name is ours (the intake's): the agent app
# registers its task under it, so the intake hands work up without importing the agent.
PROCESS_INBOUND_TASK = "agent_app.process_inbound"

# The task that folds ``fte.metrics`` events into the reports' rollups when there is no Kafka
# (with Kafka, reporting's own consumer reads the topic). Named here for the same reason:
# the relay hands the events up by name; the reporting app registers its task under it.
METRICS_EVENTS_TASK = "reporting.apply_metrics_events"

#: How a producer retries a broker that did not take a message: about two seconds,
#: then the error is raised to the caller (which must not acknowledge its own input).
PUBLISH_RETRY_POLICY = {"max_retries": 3, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 2}


def enqueue_inbound(message_id: int) -> None:
    """Queue the agent for one inbound message. Raises if the broker did not take it."""
    app.send_task(PROCESS_INBOUND_TASK, args=[message_id], retry=True, retry_policy=PUBLISH_RETRY_POLICY)


def enqueue_metrics_events(events: list[dict]) -> None:
    """Queue ``fte.metrics`` events for the reports. Raises if the broker did not take them."""
    app.send_task(METRICS_EVENTS_TASK, args=[events], retry=True, retry_policy=PUBLISH_RETRY_POLICY)


def enqueue_delivery(message_id: int) -> None:
    """Hand one recorded outbound message to the delivery task.

    Never raises: a reply the broker did not take stays "pending" in the database, and
    the ``deliver_stalled`` sweep hands it over again.
    """
    from channels_app.tasks import deliver_message_task  # the task module imports this one

    try:
        # Through the task object, so tests and ``CELERY_TASK_ALWAYS_EAGER`` run it in-process.
        deliver_message_task.apply_async(args=[message_id], retry=True, retry_policy=PUBLISH_RETRY_POLICY)
    except Exception:  # noqa: BLE001 - any broker failure; the sweep is the safety net
        log.warning("reply %s: the delivery task could not be queued; the sweep will retry", message_id,
                    exc_info=True)
