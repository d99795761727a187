"""Report tables: what each page shows, each chart's data table, and each CSV export, from one place.

A page builds a list of :class:`Table`; the template renders each (and its chart, drawn in the
browser from the same numbers), and ``/reports/export/<name>.csv`` writes the same rows raw.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any


from crm.models import Channel, Urgency
from reporting.figures.cost import Cost
from reporting.figures.gaps import Gaps
from reporting.figures.overview import Overview
from reporting.figures.people import StaffFigures

# Column kinds: how a raw value is shown in HTML (CSV keeps it raw).
INT, PCT, SECONDS, USD, TEXT, DAY, FLOAT = "int", "pct", "seconds", "usd", "text", "day", "float"

CHANNEL_COLOURS = {Channel.EMAIL: "#2a7ae2", Channel.WHATSAPP: "#25a244", Channel.WEB_FORM: "#d97706"}


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = INT


@dataclass
class Table:
    name: str  # the CSV file name and the HTML id
    caption: str
    columns: list[Column]
    rows: list[list[Any]]
    chart: dict[str, Any] | None = None  # Chart.js type, labels, datasets (reporting/static/reporting/reports.js)
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _day(d: date) -> str:
    return d.isoformat()


def _channel_label(channel: str) -> str:
    return Channel(channel).label


def overview_tables(ov: Overview) -> list[Table]:
    labels = [_day(d) for d in ov.days]
    msg_cols = [Column("Day", DAY)] + [Column(_channel_label(c)) for c in ov.channels]
    urgency_labels = dict(Urgency.choices)
    sla_rows = [[urgency_labels.get(s["urgency"], s["urgency"]), s["met"], s["breached"], s["attainment"]]
                for s in ov.sla]
    times = [
        ["AI first response", ov.ai_first_response.count, ov.ai_first_response.p50, ov.ai_first_response.p95],
        ["People's first response (after escalation)", ov.human_first_response.count, ov.human_first_response.p50,
         ov.human_first_response.p95],
        ["Time to resolution", ov.resolution_time.count, ov.resolution_time.p50, ov.resolution_time.p95],
    ]
    return [
        Table("messages-per-day", "Messages per channel per day (inbound and replies)", msg_cols,
              [[d] + [ov.messages_per_day[d][c] for c in ov.channels] for d in ov.days],
              chart={"type": "bar", "stacked": True, "labels": labels,
                     "datasets": [{"label": _channel_label(c), "colour": CHANNEL_COLOURS[c],
                                   "data": [ov.messages_per_day[d][c] for d in ov.days]} for c in ov.channels]}),
        Table("conversations-per-day", "Conversations started per channel per day", msg_cols,
              [[d] + [ov.conversations_per_day[d][c] for c in ov.channels] for d in ov.days],
              chart={"type": "line", "labels": labels,
                     "datasets": [{"label": _channel_label(c), "colour": CHANNEL_COLOURS[c],
                                   "data": [ov.conversations_per_day[d][c] for d in ov.days]} for c in ov.channels]}),
        Table("ai-resolution", "AI resolutions of the tickets opened in the range",
              [Column("Outcome", TEXT), Column("Tickets"), Column("Share of tickets opened", PCT)],
              [[label, n, (n / ov.tickets) if ov.tickets else None] for label, n in (
                  ("Confirmed (the customer said it helped)", ov.ai_confirmed),
                  (f"Assumed (no reply, no reopen within {ov.quiet_days} days)", ov.ai_assumed),
                  (f"Waiting (answered less than {ov.quiet_days} days ago)", ov.ai_pending),
                  ("Reopened (counted against the AI)", ov.ai_reopened))],
              chart={"type": "doughnut", "labels": ["Confirmed", "Assumed", "Waiting", "Reopened"],
                     "datasets": [{"label": "Tickets", "colours": ["#15803d", "#86efac", "#cbd5e1", "#dc2626"],
                                   "data": [ov.ai_confirmed, ov.ai_assumed, ov.ai_pending, ov.ai_reopened]}]}),
        Table("escalation-rate", f"Escalation rate by channel (target at most {ov.escalation_target:.0%})",
              [Column("Channel", TEXT), Column("Tickets"), Column("Escalated"), Column("Rate", PCT),
               Column("Target", PCT)],
              [[f.label, f.tickets, f.escalated, f.escalation_rate, ov.escalation_target] for f in ov.per_channel]
              + ([["All channels", ov.tickets, ov.escalated, ov.escalation_rate, ov.escalation_target]]
                 if len(ov.per_channel) > 1 else []),
              chart={"type": "bar", "percent": True, "labels": [f.label for f in ov.per_channel],
                     "datasets": [{"label": "Escalation rate", "colour": "#7c3aed",
                                   "data": [f.escalation_rate or 0 for f in ov.per_channel]},
                                  {"label": "Target", "type": "line", "colour": "#dc2626",
                                   "data": [ov.escalation_target for _ in ov.per_channel]}]}),
        Table("escalation-reasons", "Escalations by reason",
              [Column("Reason", TEXT), Column("Tickets"), Column("Share", PCT)],
              [[label, n, n / ov.escalated if ov.escalated else None] for _code, label, n in ov.escalations_by_reason],
              chart={"type": "bar", "horizontal": True, "labels": [label for _c, label, _n in ov.escalations_by_reason],
                     "datasets": [{"label": "Tickets", "colour": "#7c3aed",
                                   "data": [n for _c, _l, n in ov.escalations_by_reason]}]}),
        Table("response-times", "Response and resolution times",
              [Column("Measure", TEXT), Column("Count"), Column("Median (p50)", SECONDS), Column("p95", SECONDS)],
              times,
              chart={"type": "bar", "seconds": True, "labels": [t[0] for t in times],
                     "datasets": [{"label": "p50", "colour": "#2a7ae2", "data": [t[2] or 0 for t in times]},
                                  {"label": "p95", "colour": "#93c5fd", "data": [t[3] or 0 for t in times]}]},
              note="Percentiles are read from histograms with 5 % wide buckets: at most 5 % (or 1 s) above "
                   "the exact value."),
        Table("sla", "SLA attainment per urgency (escalated tickets whose first staff reply is due or done)",
              [Column("Urgency", TEXT), Column("Met"), Column("Breached"), Column("Attainment", PCT)], sla_rows,
              chart={"type": "bar", "stacked": True, "labels": [r[0] for r in sla_rows],
                     "datasets": [{"label": "Met", "colour": "#15803d", "data": [r[1] for r in sla_rows]},
                                  {"label": "Breached", "colour": "#dc2626", "data": [r[2] for r in sla_rows]}]}),
        Table("sentiment", "Average customer sentiment per day (-1 angry … 1 happy)",
              [Column("Day", DAY), Column("Average sentiment", FLOAT)],
              [[d, ov.sentiment_per_day[d]] for d in ov.days],
              chart={"type": "line", "labels": labels, "min": -1, "max": 1,
                     "datasets": [{"label": "Sentiment", "colour": "#0891b2",
                                   "data": [ov.sentiment_per_day[d] for d in ov.days]}]}),
    ]


def gaps_tables(g: Gaps) -> list[Table]:
    top = g.clusters[:15]
    return [Table(
        "knowledge-gaps", "Questions the knowledge base could not answer, grouped by meaning",
        [Column("Question (most typical)", TEXT), Column("Tickets"), Column("Example tickets", TEXT)],
        [[c.label, c.count, " ".join(e.reference for e in c.examples)] for c in g.clusters],
        chart={"type": "bar", "horizontal": True, "labels": [c.label[:60] for c in top],
               "datasets": [{"label": "Tickets", "colour": "#d97706", "data": [c.count for c in top]}]},
    )]


def people_tables(staff: list[StaffFigures]) -> list[Table]:
    return [Table(
        "people", "Staff: tickets claimed, replies, median handle time, SLA breaches",
        [Column("Staff member", TEXT), Column("Tickets claimed"), Column("Replies"),
         Column("Median handle time (claim → resolved)", SECONDS), Column("Tickets resolved after claiming"),
         Column("SLA breaches")],
        [[s.name, s.claimed, s.replies, s.median_handle_seconds, s.handled, s.sla_breaches] for s in staff],
        chart={"type": "bar", "labels": [s.name for s in staff],
               "datasets": [{"label": "Replies", "colour": "#2a7ae2", "data": [s.replies for s in staff]},
                            {"label": "Tickets claimed", "colour": "#d97706", "data": [s.claimed for s in staff]},
                            {"label": "SLA breaches", "colour": "#dc2626", "data": [s.sla_breaches for s in staff]}]},
    )]


def cost_tables(c: Cost) -> list[Table]:
    return [
        Table("cost-per-day", "Model tokens and estimated cost per day",
              [Column("Day", DAY), Column("Tokens"), Column("Estimated cost", USD)],
              [[d, c.tokens_per_day[d], c.cost_per_day[d]] for d in c.days],
              chart={"type": "bar", "labels": [_day(d) for d in c.days], "usd": True,
                     "datasets": [{"label": "Estimated cost (USD)", "colour": "#0f766e",
                                   "data": [round(c.cost_per_day[d], 4) for d in c.days]}]}),
        Table("cost-by-model", "Tokens and cost by model",
              [Column("Model", TEXT), Column("Tokens"), Column("USD per million tokens", USD),
               Column("Estimated cost", USD)],
              [list(row) for row in c.by_model],
              note="Prices come from MODEL_PRICES_USD_PER_MTOK; a model not listed there (the offline model) "
                   "costs nothing."),
        Table("cost-summary", "Cost against the plan",
              [Column("Figure", TEXT), Column("Value", USD)],
              [["Estimated cost in the range", c.cost],
               ["Cost per AI-resolved ticket", c.cost_per_ai_resolution],
               ["Yearly projection at this rate", c.yearly_projection],
               ["Yearly target", c.yearly_target]],
              chart={"type": "bar", "usd": True, "labels": ["Yearly projection", "Yearly target"],
                     "datasets": [{"label": "USD per year", "colours": [
                         "#dc2626" if c.over_target else "#15803d", "#64748b"],
                         "data": [round(c.yearly_projection, 2), c.yearly_target]}]}),
    ]


TICKET_COLUMNS = ["reference", "created_at", "channel", "status", "priority", "category", "urgency",
                  "escalation_reason", "escalated_at", "assignee", "sla_due_at", "sla_breached_at",
                  "first_response_at", "resolved_at", "closed_at", "customer_email", "subject", "resolution_type"]



