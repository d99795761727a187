"""Celery tasks of the agent. They take ids, claim their row, and are safe to run twice."""
from __future__ import annotations

import logging
import random

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction

from channels_app.enqueue import PROCESS_INBOUND_TASK
from crm import services

log = logging.getLogger(__name__)


def retry_countdown(retries: int) -> float:
    """Exponential back-off with jitter, capped: 2, 4, 8, … seconds up to the cap."""
    base = min(settings.CELERY_RETRY_BACKOFF_CAP, 2 ** (retries + 1))
    return base * random.uniform(0.75, 1.25)


@shared_task(bind=True, name=PROCESS_INBOUND_TASK, acks_late=True, reject_on_worker_lost=True,
             max_retries=None)
def process_inbound(self, message_id: int) -> str:  # type: ignore[no-untyped-def]
    """Run the agent for one inbound message, exactly once in effect.

    A duplicate delivery (Kafka redelivery, replay, a second bridge) finds the message
    already claimed or done and returns at once. A worker that dies mid-task leaves a
    lease that runs out; then the redelivered task claims it again, or, if Celery
    redelivered it too early and it was refused, ``requeue_stalled`` queues it anew.
    """
    from agent_app.pipeline import process_message

    try:
        claimed = services.message_claim(message_id=message_id)
    except (OperationalError, InterfaceError) as exc:
        # The database is away (restarting, failing over): nothing was claimed, so try
        # again shortly rather than end the task and leave the message waiting for a sweep.
        log.warning("message %s could not be claimed (%s); retrying", message_id, exc)
        raise self.retry(exc=exc, countdown=retry_countdown(min(self.request.retries, 3))) from exc
    if not claimed:
        return "duplicate"
    try:
        outcome = process_message(message_id=message_id)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        if self.request.retries >= settings.CELERY_TASK_MAX_RETRIES:
            log.error("message %s failed after %s retries: %s", message_id, self.request.retries, error)
            services.message_fail(
                message_id=message_id,
                error=error,
                dlq_record={"stage": "task", "message_id": message_id, "error": error[:2000],
                            "task": self.name, "retries": self.request.retries},
            )
            return "failed"
        services.message_record_error(message_id=message_id, error=error)
        log.warning("message %s attempt %s failed (%s); retrying", message_id, self.request.retries + 1, error)
        raise self.retry(exc=exc, countdown=retry_countdown(self.request.retries))
    return outcome


@shared_task(name="agent_app.requeue_stalled", acks_late=True)
def requeue_stalled() -> list[int]:
    """Periodic: queue again the messages whose worker died mid-task (lease run out), and
    those handed on more than ``RECEIVED_STALL_SECONDS`` ago that no worker ever claimed
    (their task was lost, e.g. by a broker that restarted empty).

    Nothing is changed on them: the queued task claims the message itself, and a sweep
    whose enqueue fails (broker down) leaves them to the next one. A message that has
    used all its attempts this way (one that kills its worker every time, say by running
    it out of memory) is failed instead: DLQ and a human.
    """
    from django.utils import timezone

    from channels_app.enqueue import enqueue_inbound
    from crm import selectors
    from crm.models import Message, ProcessingState

    stalled = selectors.stalled_message_ids()
    requeued = []
    unclaimed = selectors.unclaimed_message_ids(older_than_seconds=settings.RECEIVED_STALL_SECONDS)
    for message_id in unclaimed:
        try:
            enqueue_inbound(message_id)
        except Exception:  # noqa: BLE001 - the broker is down: the next sweep tries again
            log.warning("the broker did not take message %s; the next sweep tries again", message_id, exc_info=True)
            unclaimed = requeued[:]
            break
        requeued.append(message_id)
    with transaction.atomic():
        for message_id in stalled:
            # Locked, and still stalled: a redelivered task may have claimed it meanwhile.
            row = Message.objects.select_for_update().filter(
                pk=message_id, processing_state=ProcessingState.PROCESSING, claimed_until__lt=timezone.now(),
            ).values("attempts").first()
            if row is None:
                continue
            if row["attempts"] > settings.CELERY_TASK_MAX_RETRIES:
                error = "the worker processing it stopped every time (killed or out of memory)"
                services.message_fail(message_id=message_id, error=error,
                                      dlq_record={"stage": "task", "message_id": message_id, "error": error})
            else:
                requeued.append(message_id)
                transaction.on_commit(lambda message_id=message_id: enqueue_inbound(message_id))
    if requeued:
        log.warning("requeued %s message(s): %s whose worker died mid-task, %s never claimed",
                    len(requeued), len(requeued) - len(unclaimed), len(unclaimed))
    return requeued
