"""The overview page: volumes, AI resolution, escalations, response times, SLA, sentiment, backlog."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings

from crm.models import URGENCY_RANK, Channel, EscalationReason
from reporting import histograms
from reporting.figures.backlog import Backlog, backlog
from reporting.figures.rows import by_day, merged_map, range_rows, ratio, total
from reporting.ranges import ReportRange


@dataclass(frozen=True)
class Percentiles:
    count: int
    p50: float | None
    p95: float | None

    @classmethod
    def of(cls, histogram: dict[str, int]) -> "Percentiles":
        return cls(histograms.count(histogram), histograms.percentile(histogram, 50),
                   histograms.percentile(histogram, 95))


@dataclass(frozen=True)
class ChannelFigures:
    channel: str
    label: str
    inbound_messages: int
    replies: int
    conversations: int
    tickets: int
    escalated: int
    escalation_rate: float | None
    ai_resolved: int
    ai_first_response: Percentiles
    sentiment: float | None

    @property
    def over_target(self) -> bool:
        return self.escalation_rate is not None and self.escalation_rate > settings.ESCALATION_RATE_TARGET


@dataclass(frozen=True)
class Overview:
    days: list[date]
    channels: list[str]
    # {day: {channel: n}}
    conversations_per_day: dict[date, dict[str, int]]
    messages_per_day: dict[date, dict[str, int]]
    sentiment_per_day: dict[date, float | None]
    per_channel: list[ChannelFigures]
    tickets: int
    escalated: int
    escalation_rate: float | None
    escalation_target: float
    escalations_by_reason: list[tuple[str, str, int]]  # (code, label, tickets)
    ai_confirmed: int
    ai_assumed: int
    ai_pending: int
    ai_reopened: int
    ai_resolution_rate: float | None
    ai_first_response: Percentiles
    human_first_response: Percentiles
    resolution_time: Percentiles
    sla: list[dict[str, Any]]  # urgency, met, breached, attainment
    sentiment: float | None
    backlog: Backlog
    quiet_days: int = field(default_factory=lambda: settings.AI_RESOLUTION_QUIET_DAYS)


def channel_figures(rows: list[dict[str, Any]], channel: str) -> ChannelFigures:
    mine = [r for r in rows if r["channel"] == channel]
    tickets, escalated = total(mine, "tickets_opened"), total(mine, "tickets_escalated")
    return ChannelFigures(
        channel=channel, label=Channel(channel).label,
        inbound_messages=total(mine, "inbound_messages"),
        replies=total(mine, "ai_replies") + total(mine, "staff_replies"),
        conversations=total(mine, "conversations_started"),
        tickets=tickets, escalated=escalated, escalation_rate=ratio(escalated, tickets),
        ai_resolved=total(mine, "ai_resolved_confirmed") + total(mine, "ai_resolved_assumed"),
        ai_first_response=Percentiles.of(merged_map(mine, "ai_first_response")),
        sentiment=ratio(sum(r["sentiment_sum"] for r in mine), total(mine, "sentiment_count")),
    )


def sla_table(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    merged: dict[str, dict[str, int]] = {}
    for r in rows:
        for urgency, counts in (r["sla_by_urgency"] or {}).items():
            into = merged.setdefault(urgency, {"met": 0, "breached": 0})
            into["met"] += int(counts.get("met", 0))
            into["breached"] += int(counts.get("breached", 0))
    return [{"urgency": u, "met": c["met"], "breached": c["breached"],
             "attainment": ratio(c["met"], c["met"] + c["breached"])}
            for u, c in sorted(merged.items(), key=lambda item: URGENCY_RANK.get(item[0], 9))]


def overview(rng: ReportRange) -> Overview:
    rows = range_rows(rng)
    channels = [rng.channel] if rng.channel else list(Channel.values)
    daily = by_day(rows)
    conversations_per_day = {d: {c: total([r for r in daily.get(d, []) if r["channel"] == c],
                                          "conversations_started") for c in channels} for d in rng.days}
    messages_per_day = {d: {c: sum(r["inbound_messages"] + r["ai_replies"] + r["staff_replies"]
                                   for r in daily.get(d, []) if r["channel"] == c) for c in channels}
                        for d in rng.days}
    sentiment_per_day = {d: ratio(sum(r["sentiment_sum"] for r in daily.get(d, [])),
                                  total(daily.get(d, []), "sentiment_count")) for d in rng.days}
    tickets, escalated = total(rows, "tickets_opened"), total(rows, "tickets_escalated")
    reasons = merged_map(rows, "escalations_by_reason")
    labels = dict(EscalationReason.choices)
    confirmed, assumed = total(rows, "ai_resolved_confirmed"), total(rows, "ai_resolved_assumed")
    return Overview(
        days=rng.days, channels=channels,
        conversations_per_day=conversations_per_day, messages_per_day=messages_per_day,
        sentiment_per_day=sentiment_per_day,
        per_channel=[channel_figures(rows, c) for c in channels],
        tickets=tickets, escalated=escalated, escalation_rate=ratio(escalated, tickets),
        escalation_target=settings.ESCALATION_RATE_TARGET,
        escalations_by_reason=sorted(((code, labels.get(code, code), n) for code, n in reasons.items()),
                                     key=lambda item: (-item[2], item[0])),
        ai_confirmed=confirmed, ai_assumed=assumed, ai_pending=total(rows, "ai_resolved_pending"),
        ai_reopened=total(rows, "ai_reopened"), ai_resolution_rate=ratio(confirmed + assumed, tickets),
        ai_first_response=Percentiles.of(merged_map(rows, "ai_first_response")),
        human_first_response=Percentiles.of(merged_map(rows, "human_first_response")),
        resolution_time=Percentiles.of(merged_map(rows, "resolution_time")),
        sla=sla_table(rows),
        sentiment=ratio(sum(r["sentiment_sum"] for r in rows), total(rows, "sentiment_count")),
        backlog=backlog(channel=rng.channel, now=rng.now),
    )
