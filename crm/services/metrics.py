"""Agent metrics: one row per processed inbound message and its ``fte.metrics`` event."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from django.db import transaction
from django.utils import timezone

from crm.events import Topic
from crm.models import AgentMetric, Message, Outcome, Ticket
from crm.services.outbox import outbox_add


@dataclass(frozen=True)
class RunFigures:
    """What one agent run cost and found; everything a report needs besides the outcome."""

    latency_ms: int = 0
    tokens_used: int = 0
    model_name: str = ""
    end_to_end_ms: int | None = None
    tool_call_count: int = 0
    knowledge_hits: int = 0
    top_score: float | None = None
    sentiment: float | None = None


@transaction.atomic
def agent_metric_record(
    *, message: Message, ticket: Ticket | None, outcome: str, escalation_reason: str = "",
    figures: RunFigures = RunFigures(),
) -> AgentMetric:
    """Record how processing ``message`` ended, once, and announce it on ``fte.metrics``.

    A message has one row. A later success (a DLQ replay) replaces a failed row and is
    announced again; any other second call changes nothing, so retries count once.
    """
    values = dict(ticket=ticket, channel=message.channel, outcome=outcome,
                  escalation_reason=escalation_reason or "", **asdict(figures))
    metric, created = AgentMetric.objects.get_or_create(message=message, defaults=values)
    if not created and metric.outcome == Outcome.FAILED and outcome != Outcome.FAILED:
        AgentMetric.objects.filter(pk=metric.pk).update(**values)
        metric.refresh_from_db()
        created = True
    if created:
        outbox_add(topic=Topic.METRICS, key=str(message.conversation.customer_id), payload={
            "event": "message.failed" if outcome == Outcome.FAILED else "message.processed",
            "message_id": message.pk, "ticket": ticket.reference if ticket else "", "channel": message.channel,
            "outcome": outcome, "escalation_reason": metric.escalation_reason, "latency_ms": figures.latency_ms,
            "end_to_end_ms": figures.end_to_end_ms, "tokens_used": figures.tokens_used,
            "model": figures.model_name, "at": timezone.now().isoformat(),
        })
    return metric


def agent_metric_reply_sent(*, reply: Message) -> None:
    """The first reply to an inbound message went out: its metric learns the end-to-end time."""
    if reply.reply_to_id is None or reply.sent_at is None:
        return
    inbound = Message.objects.filter(pk=reply.reply_to_id).values("created_at").first()
    if inbound is None:
        return
    elapsed = int((reply.sent_at - inbound["created_at"]).total_seconds() * 1000)
    AgentMetric.objects.filter(message_id=reply.reply_to_id, end_to_end_ms__isnull=True).update(
        end_to_end_ms=max(elapsed, 0))
