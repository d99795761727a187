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


class RollupFigures(models.Model):
    """The figures a rollup row holds, for one channel over an hour or a day.

    Histograms are sparse ``{bucket: count}`` maps of :mod:`reporting.histograms` buckets,
    so percentiles over any range are read by adding rows together.
    """

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
        abstract = True


class HourlyRollup(RollupFigures):
    """One hour (UTC) on one channel: the hour a message, ticket or run started in."""

    hour = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["hour", "channel"], name="rollup_hour_channel_unique")]
        indexes = [models.Index(fields=["hour"], name="rollup_hour")]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H:00} {self.channel}"


class DailyRollup(RollupFigures):
    """The hourly rows of one local day (``TIME_ZONE``) added up: what ranges of whole days read.

    Rebuilt from the hourly rows whenever one of its hours is (``rollups_store``); after a
    change of ``TIME_ZONE`` run ``manage.py rebuild_rollups``.
    """

    day = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "channel"], name="rollup_day_channel_unique")]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.channel}"


class AppliedMetricsEvent(models.Model):
    """An ``fte.metrics`` event already applied: a redelivery is recognised and skipped.

    The key is the event's message id and kind ("message.processed", "message.failed"): a
    DLQ replay that turns a failed run into a processed one is a new event, applied again.
    """

    key = models.CharField(max_length=80, unique=True)
    applied_at = models.DateTimeField(default=timezone.now, db_index=True)


class GapCluster(models.Model):
    """A group of knowledge-gap questions alike in meaning, grown one question at a time.

    A new question joins the cluster whose centroid it is closest to when it is alike enough,
    else starts one (``reporting.gap_vectors``). Clusters are global; pages count their
    questions per range.
    """

    label = models.TextField(help_text="The question that started it")
    embedding_model = models.CharField(max_length=100)
    centroid = VectorField(dimensions=settings.EMBEDDING_DIMENSION)
    size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.label[:80]


class GapVector(models.Model):
    """The embedded question of a ticket escalated as ``knowledge_not_found``, and its cluster."""

    ticket_id = models.BigIntegerField(unique=True)  # crm.Ticket, by id: reporting never writes crm rows
    text = models.TextField()
    embedding_model = models.CharField(max_length=100)
    embedding = VectorField(dimensions=settings.EMBEDDING_DIMENSION)
    cluster = models.ForeignKey(GapCluster, on_delete=models.SET_NULL, null=True, blank=True, related_name="questions")
    # Copied from the ticket, so the gaps page counts a range from this table alone.
    ticket_created_at = models.DateTimeField(null=True, db_index=True)
    channel = models.CharField(max_length=20, choices=Channel.choices, blank=True)
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


class StaffDailyRollup(models.Model):
    """One member of staff's work on one local day and channel: what the people page sums."""

    day = models.DateField()
    user_id = models.BigIntegerField()  # auth user, by id: a deleted account's work still adds up
    channel = models.CharField(max_length=20, choices=Channel.choices)
    claimed = models.PositiveIntegerField(default=0)
    replies = models.PositiveIntegerField(default=0)
    handled = models.PositiveIntegerField(default=0)
    handle_time = models.JSONField(default=dict)  # histogram of claim → resolved by the same person
    sla_breaches = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "user_id", "channel"], name="staff_rollup_unique")]
