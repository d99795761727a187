"""Reads of the CRM. No writes here."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Min, Q, QuerySet
from django.utils import timezone

from crm.events import Topic
from crm.models import (
    HUMAN_STATUSES,
    Author,
    Channel,
    ChannelConfig,
    DeliveryStatus,
    Direction,
    KnowledgeChunk,
    Message,
    OutboxEvent,
    ProcessingState,
    Ticket,
    TicketEvent,
    TicketStatus,
)


def customer_history(*, customer_id: int, limit: int | None = None) -> list[dict[str, Any]]:
    """The customer's messages on every channel, newest first, at most ``limit``."""
    limit = min(limit or settings.HISTORY_LIMIT, 200)
    messages = (
        Message.objects.filter(conversation__customer_id=customer_id)
        .select_related("ticket")
        .order_by("-created_at", "-id")[:limit]
    )
    return [
        {
            "message_id": m.pk,
            "conversation_id": m.conversation_id,
            "ticket": m.ticket.reference if m.ticket else None,
            "ticket_status": m.ticket.status if m.ticket else None,
            "channel": m.channel,
            "direction": m.direction,
            "author": m.author,
            "subject": m.subject,
            "content": m.content[:2000],
            "created_at": m.created_at.isoformat(),
        }
        for m in messages
    ]


def customer_tickets(*, customer_id: int, limit: int = 20) -> QuerySet[Ticket]:
    return Ticket.objects.filter(customer_id=customer_id).order_by("-created_at")[:limit]


def ticket_by_reference(*, reference: str) -> Ticket | None:
    return Ticket.objects.select_related("customer").filter(reference=reference.strip().upper()).first()


def ticket_public_messages(*, ticket: Ticket) -> list[dict[str, Any]]:
    """What the web-form customer may see of a ticket: the form's messages and replies, in order.

    Only the web-form channel: whoever holds the reference proved no identity, so a
    WhatsApp or email message that joined this ticket (the same customer, as far as the
    form's claim goes) is not shown here; it was answered on its own channel.

    Each AI answer carries ``feedback``: what the customer last said about it (``True``
    helped, ``False`` did not, ``None`` nothing yet).
    """
    messages = Message.objects.filter(
        ticket=ticket, channel=Channel.WEB_FORM, author__in=[Author.CUSTOMER, Author.AGENT, Author.STAFF]
    ).order_by("created_at", "id")
    feedback = {event.data.get("message_id"): event.data.get("helped") for event in TicketEvent.objects.filter(
        ticket=ticket, kind=TicketEvent.Kind.FEEDBACK).order_by("created_at", "id")}
    return [
        {"id": m.pk, "author": m.author, "channel": m.channel, "content": m.content,
         "created_at": m.created_at.isoformat(),
         **({"feedback": feedback.get(m.pk)} if m.author == Author.AGENT else {})}
        for m in messages
    ]


def web_form_address(*, ticket: Ticket) -> str:
    """The email address typed into the form that opened ``ticket`` (where its replies are
    emailed); the customer's address for a submission stored before the form kept it."""
    first = Message.objects.filter(ticket=ticket, channel=Channel.WEB_FORM, direction=Direction.INBOUND).order_by(
        "created_at", "id").first()
    typed = str((first.metadata or {}).get("email") or "") if first is not None else ""
    return typed or (ticket.customer.email or "")


def web_form_open_tickets(*, email: str, limit: int = 20) -> list[Ticket]:
    """The web-form tickets submitted with this address that are still open, newest first.

    Matched on the address typed into the form (what the reply emails go to), not on the
    customer record, which the form's claim may have matched by phone.
    """
    tickets = (Ticket.objects.filter(source_channel=Channel.WEB_FORM)
               .exclude(status__in=[TicketStatus.RESOLVED, TicketStatus.CLOSED])
               .filter(Q(messages__metadata__email=email, messages__channel=Channel.WEB_FORM)
                       | Q(customer__email=email, messages__channel=Channel.WEB_FORM) & ~Q(
                           messages__metadata__has_key="email"))
               .distinct().order_by("-created_at"))
    return list(tickets[:limit])


def human_owns_conversation(*, conversation_id: int, except_escalated_by: int | None = None) -> bool:
    """True while a person owns a ticket in the conversation: the AI stays out.

    Escalated, waiting on the customer (pending) and on hold all count: the customer's
    answer to a member of staff goes back to that person (``ticket_customer_replied``
    has already put the ticket back in their queue by the time the pipeline asks).

    ``except_escalated_by``: a message whose own processing escalated the ticket still
    gets its escalation notice delivered (on a retry, say); every other message, and
    that one's other replies if someone else escalated meanwhile, are held.
    """
    packets = Ticket.objects.filter(conversation_id=conversation_id, status__in=HUMAN_STATUSES).values_list(
        "escalation_packet", flat=True)
    return any(except_escalated_by is None or (packet or {}).get("message_id") != except_escalated_by
               for packet in packets)


def stalled_message_ids(*, now: datetime | None = None, limit: int = 100) -> list[int]:
    """Inbound messages whose processing lease ran out: their worker died mid-task.

    A pool process killed (OOM, SIGKILL) has its task requeued by Celery at once, while
    the lease is still live, so that delivery is refused as a duplicate and nothing else
    would pick the message up again. ``message_claim`` accepts an expired lease, so
    queueing the task again is all it takes.
    """
    return list(Message.objects.filter(
        direction=Direction.INBOUND, processing_state=ProcessingState.PROCESSING,
        claimed_until__lt=now or timezone.now(),
    ).order_by("claimed_until").values_list("pk", flat=True)[:limit])


def unclaimed_message_ids(*, older_than_seconds: int, limit: int = 200) -> list[int]:
    """Inbound messages handed on long ago (their event left the outbox) that no worker ever claimed.

    Their task was lost on the way: a broker that restarted empty (Redis keeps nothing on
    disk here), a task that failed before it could claim (the database restarting). A
    message whose event still waits in the outbox is not lost, only waiting for the relay
    (or for Kafka), and is left alone. ``created_at`` is when the customer wrote, which may
    be earlier than when we stored it (a mail found by a full sync): such a message is
    queued once more than needed, which the claim makes harmless.
    """
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    candidates = list(Message.objects.filter(
        direction=Direction.INBOUND, processing_state=ProcessingState.RECEIVED, created_at__lt=cutoff,
    ).order_by("created_at").values_list("pk", flat=True)[:limit])
    if not candidates:
        return []
    waiting = set(OutboxEvent.objects.filter(
        published_at__isnull=True, topic=Topic.TICKETS_INCOMING, payload__message_id__in=candidates,
    ).values_list("payload__message_id", flat=True))
    return [pk for pk in candidates if pk not in waiting]


def greeting_name(*, ticket: Ticket, channel: str) -> str:
    """The name a reply on ``channel`` greets the customer by.

    On the web form, the name typed into that submission: the page shows the reply to
    whoever sent it, and the customer record it matched may be someone else's.
    """
    first = Message.objects.filter(ticket=ticket, channel=Channel.WEB_FORM, direction=Direction.INBOUND).order_by(
        "id").first() if channel == Channel.WEB_FORM else None
    return typed_name(first) if first is not None else ticket.customer.name


def typed_name(message: Message) -> str:
    """The name sent with a web-form message (the form always sends one); otherwise the customer's."""
    metadata = message.metadata or {}
    return str(metadata.get("name") or "") if "name" in metadata else message.conversation.customer.name


def stalled_reply_ids(*, older_than_seconds: int, limit: int = 500) -> list[int]:
    """Outbound messages recorded that long ago and still waiting to be handed to a channel."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    return list(Message.objects.filter(direction=Direction.OUTBOUND, delivery_status=DeliveryStatus.PENDING,
                                       created_at__lt=cutoff).order_by("created_at").values_list("pk", flat=True)[:limit])


def channel_config(*, channel: str) -> ChannelConfig | None:
    """What a manager configured for a channel in admin, if anything."""
    return ChannelConfig.objects.filter(channel=channel).first()


def _age_seconds(oldest: datetime | None, now: datetime) -> float | None:
    return round(max(0.0, (now - oldest).total_seconds()), 1) if oldest else None


def pipeline_backlog(*, dead_letter_window: timedelta, now: datetime | None = None) -> dict[str, Any]:
    """What is waiting in the pipeline, and how long the oldest of each kind has waited.

    - ``unprocessed``: inbound messages stored but not yet answered or handed over
      (received, or claimed by a worker that is still on it or died);
    - ``outbox``: events not yet published to Kafka (or handed to Celery);
    - ``replies_pending``: replies recorded but not yet handed to their channel;
    - ``dead_lettered``: inbound messages that failed after every retry (the DLQ), in the
      last ``dead_letter_window`` and in all.

    Four indexed queries; ages in seconds, ``None`` when nothing waits.
    """
    now = now or timezone.now()
    unprocessed = Message.objects.filter(
        direction=Direction.INBOUND, processing_state__in=[ProcessingState.RECEIVED, ProcessingState.PROCESSING],
    ).aggregate(count=Count("id"), oldest=Min("created_at"))
    outbox = OutboxEvent.objects.filter(published_at__isnull=True).aggregate(count=Count("id"),
                                                                             oldest=Min("created_at"))
    pending = Message.objects.filter(delivery_status=DeliveryStatus.PENDING).aggregate(
        count=Count("id"), oldest=Min("created_at"))
    failed = Message.objects.filter(direction=Direction.INBOUND, processing_state=ProcessingState.FAILED)
    return {
        "unprocessed": unprocessed["count"],
        "oldest_unprocessed_age_s": _age_seconds(unprocessed["oldest"], now),
        "outbox_unpublished": outbox["count"],
        "oldest_unpublished_age_s": _age_seconds(outbox["oldest"], now),
        "replies_pending": pending["count"],
        "oldest_pending_reply_age_s": _age_seconds(pending["oldest"], now),
        "dead_lettered_recently": failed.filter(processed_at__gte=now - dead_letter_window).count(),
        "dead_lettered_total": failed.count(),
    }


def last_inbound_at(*, channel: str) -> datetime | None:
    """When a customer last wrote to us on ``channel``."""
    return Message.objects.filter(channel=channel, direction=Direction.INBOUND).aggregate(
        last=Max("created_at"))["last"]


def ai_answer_before(*, ticket_id: int, before: datetime, exclude_ids: list[int] | None = None) -> Message | None:
    """The AI's latest answer on a ticket written before ``before`` (what a customer's
    "that worked" or "didn't help" is about), leaving out ``exclude_ids`` (this run's replies)."""
    return (Message.objects.filter(ticket_id=ticket_id, direction=Direction.OUTBOUND, author=Author.AGENT,
                                   created_at__lt=before)
            .exclude(pk__in=exclude_ids or []).order_by("-created_at", "-id").first())


def help_centre_texts() -> list[str]:
    """Every Help Centre passage's text."""
    return list(KnowledgeChunk.objects.order_by("pk").values_list("text", flat=True))


def help_centre_fingerprint() -> tuple[int, int]:
    """How many passages and the newest id: changes whenever the Help Centre is ingested again, so
    callers keep what they derive from its texts until it does."""
    stats = KnowledgeChunk.objects.aggregate(n=Count("pk"), last=Max("pk"))
    return stats["n"] or 0, stats["last"] or 0
