"""Delivering one recorded outbound message through its channel's sender.

The reply is stored first (``crm.services.outbound_message_record``, status
"pending"), then ``deliver_message`` sends it — outside any transaction, because a
network call inside one would hold row locks for as long as Twilio or Gmail take —
and records what happened with ``crm.services.message_delivery_update``.

- Idempotent: a message that is no longer "pending" is not sent again; its status is
  returned. Two workers delivering the same message at once are kept apart by a
  PostgreSQL advisory lock held for the send (a session lock, so no transaction stays
  open); the loser returns without sending.
- Permanent failure: the message is marked failed and the ticket goes to a human with
  reason ``delivery_failed`` (urgency high), so the customer is not left waiting.
- Transient failure: ``SendError(permanent=False)`` propagates for the Celery caller to
  retry with back-off; the message stays "pending".
"""
from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

from channels_app.enqueue import enqueue_delivery
from channels_app.senders import SendError, get_sender
from crm import services
from crm.errors import InvalidInput
from crm.models import DeliveryStatus, Direction, EscalationReason, Message

log = logging.getLogger(__name__)

_LOCK_NAMESPACE = 7_340_100  # advisory lock: (namespace, message id)


@contextmanager
def _delivery_lock(message_id: int) -> Iterator[bool]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_LOCK_NAMESPACE, message_id % 2**31])
        acquired = bool(cursor.fetchone()[0])
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_NAMESPACE, message_id % 2**31])


def deliver_message(*, message_id: int) -> str:
    """Send one pending outbound message; returns its delivery status afterwards.

    Raises ``SendError(permanent=False)`` on a transient failure (retry later) and
    ``InvalidInput`` for a message that is not outbound.
    """
    message = Message.objects.filter(pk=message_id).first()
    if message is None:
        raise InvalidInput(f"Message {message_id} does not exist.", field="message_id")
    if message.direction != Direction.OUTBOUND:
        raise InvalidInput(f"Message {message_id} is not an outbound message.", field="message_id")
    if message.delivery_status != DeliveryStatus.PENDING:
        return message.delivery_status
    with _delivery_lock(message.pk) as acquired:
        if not acquired:
            log.info("message %s is being delivered by another worker", message_id)
            return DeliveryStatus.PENDING
        # Re-read under the lock: the other worker may have finished just before.
        message = Message.objects.select_related("ticket", "conversation__customer").get(pk=message_id)
        if message.delivery_status != DeliveryStatus.PENDING:
            return message.delivery_status
        sender = get_sender(message.channel)
        try:
            result = sender.send(message)
        except SendError as exc:
            if not exc.permanent:
                log.warning("message %s: transient %s failure: %s", message_id, sender.name, exc)
                services.message_delivery_update(
                    message=message, status=DeliveryStatus.PENDING,
                    metadata={"last_send_error": str(exc)[:500], "last_send_error_code": exc.code},
                )
                raise
            log.error("message %s: permanent %s failure: %s", message_id, sender.name, exc)
            delivery_failed(message=message, error=exc.message, code=exc.code or "permanent")
            return DeliveryStatus.FAILED
        services.message_delivery_update(
            message=message,
            status=result.status,
            provider_id=result.provider_id or None,
            metadata={**result.metadata, "sender": sender.name},
        )
        return result.status


def delivery_failed(*, message: Message, error: str, code: str, status: str = DeliveryStatus.FAILED) -> None:
    """Mark an outbound message failed (or undelivered) and hand its ticket to a human.

    An already escalated ticket keeps its original reason (the human still needs to
    know why it was escalated); the failure is added to its summary and packet.
    """
    services.message_delivery_update(
        message=message, status=status, error_code=code,
        metadata={"delivery_error": error[:1000]},
    )
    if message.ticket is None:
        return
    note = (f"The {message.get_channel_display()} reply (message #{message.pk}) could not be delivered: "
            f"{error[:300]} [{code}]. Contact the customer another way.")
    failure = {"message_id": message.pk, "channel": message.channel, "error": error[:1000], "error_code": code}
    services.ticket_flag_failure(ticket=message.ticket, reason=EscalationReason.DELIVERY_FAILED, note=note,
                                 failure=failure, packet_key="delivery_failures")


# After a first attempt fails (a channel down, slow or refusing), the next replies go straight
# to the delivery task for this long, so that an outage costs the agent's workers nothing.
INLINE_PAUSE_SECONDS = 60.0
_inline_paused_until = 0.0


def deliver_now(message_id: int) -> None:
    """Deliver a reply the agent just recorded from the agent's own worker, once; anything
    short of that hands it to the delivery task and its retries.

    Queued, the delivery task waits behind every message already in the queue: under a
    backlog of 1,000 messages a reply ready in 0.1 s reached the customer two and a half
    minutes later (bench/bench_make_run_drain.py). Call it after the run's transaction
    has committed. Never raises.
    """
    global _inline_paused_until
    if time.monotonic() >= _inline_paused_until:
        try:
            deliver_message(message_id=message_id)
            return
        except Exception as exc:  # noqa: BLE001 - any failure: the task retries it properly
            _inline_paused_until = time.monotonic() + INLINE_PAUSE_SECONDS
            log.warning("reply %s: first delivery attempt failed (%s: %s); the delivery task takes over",
                        message_id, type(exc).__name__, exc)
    enqueue_delivery(message_id)
