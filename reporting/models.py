"""What reporting stores of its own: hourly rollups, the metrics events it has applied,
the daily reports, knowledge-gap vectors and the help-centre drafts started from them.

Rollups are *derived* rows: each (hour, channel) row is recomputed from the CRM, never
incremented, so a duplicate, late or replayed event cannot count twice. The CRM stays the
source of truth; ``manage.py rebuild_rollups`` recreates every row from it.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from pgvector.django import VectorField

from crm.models import Channel


class HourlyRollup(models.Model):
    """The figures of one hour on one channel (the hour a message, ticket or run started in).

    Histograms are sparse ``{bucket: count}`` maps of :mod:`reporting.histograms` buckets,
    so percentiles over any range are read by adding hours together.
    """

    hour = models.DateTimeField()
    channel = models.CharField(max_length=20, choices=Channel.choices)
    # Volumes
    inbound_messages = models.PositiveIntegerField(default=0)
    ai_replies = models.PositiveIntegerField(default=0)
    staff_replies = models.PositiveIntegerField(default=0)
    conversations_started = models.PositiveIntegerField(default=0)
    # Agent runs (one per processed inbound message, from AgentMetric)
    runs = models.PositiveIntegerField(default=0)
    runs_answered = models.PositiveIntegerField(default=0)
    runs_escalated = models.PositiveIntegerField(default=0)
    runs_failed = models.PositiveIntegerField(default=0)
    tokens_by_model = models.JSONField(default=dict)  # {model name: tokens}
    ai_first_response = models.JSONField(default=dict)  # histogram of received → AI reply sent
    sentiment_sum = models.FloatField(default=0.0)
    sentiment_count = models.PositiveIntegerField(default=0)
    # Tickets opened in this hour, as they stand now
    tickets_opened = models.PositiveIntegerField(default=0)
    tickets_escalated = models.PositiveIntegerField(default=0)
    escalations_by_reason = models.JSONField(default=dict)  # {reason: tickets}
    ai_resolved_confirmed = models.PositiveIntegerField(default=0)
    ai_resolved_assumed = models.PositiveIntegerField(default=0)
    ai_resolved_pending = models.PositiveIntegerField(default=0)
    ai_reopened = models.PositiveIntegerField(default=0)
    human_first_response = models.JSONField(default=dict)  # histogram of escalated → first staff reply
    resolution_time = models.JSONField(default=dict)  # histogram of opened → resolved
    sla_by_urgency = models.JSONField(default=dict)  # {urgency: {"met": n, "breached": n}}
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["hour", "channel"], name="rollup_hour_channel_unique")]
        indexes = [models.Index(fields=["hour"], name="rollup_hour")]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H:00} {self.channel}"


class AppliedMetricsEvent(models.Model):
    """An ``fte.metrics`` event already applied: a redelivery is recognised and skipped.

    The key is the event's message id and kind ("message.processed", "message.failed"): a
    DLQ replay that turns a failed run into a processed one is a new event, applied again.
    """

    key = models.CharField(max_length=80, unique=True)
    applied_at = models.DateTimeField(default=timezone.now, db_index=True)


class GapVector(models.Model):
    """The embedded question of a ticket escalated as ``knowledge_not_found``."""

    ticket_id = models.BigIntegerField(unique=True)  # crm.Ticket, by id: reporting never writes crm rows
    text = models.TextField()
    embedding_model = models.CharField(max_length=100)
    embedding = VectorField(dimensions=settings.EMBEDDING_DIMENSION)
    created_at = models.DateTimeField(default=timezone.now)


class ArticleDraft(models.Model):
    """A help-centre article started from a knowledge gap, reviewed in admin before ingestion."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft — being written"
        APPROVED = "approved", "Approved — ingest_kb loads it"
        REJECTED = "rejected", "Rejected"

    title = models.CharField(max_length=300)
    slug = models.SlugField(max_length=120, unique=True)
    category = models.CharField(max_length=40, blank=True, default="faq")
    body = models.TextField(help_text="Markdown. '###' headings split it into sections.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    source_ticket_ids = models.JSONField(default=list, blank=True, help_text="The escalated tickets it answers")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "help-centre article draft"

    def __str__(self) -> str:
        return self.title


class DailyReport(models.Model):
    """The report of one day (in TIME_ZONE), as built and as mailed."""

    date = models.DateField(unique=True)
    html = models.TextField()
    figures = models.JSONField(default=dict)
    unusual = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    emailed_to = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"Daily report {self.date:%Y-%m-%d}"
