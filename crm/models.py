"""The CRM data model: customers and how to reach them, conversations, messages,
tickets, the knowledge base, channel configuration, agent metrics and the outbox.

Important state (ticket status, message processing state) changes only through the
services in ``crm/services.py``; the models guard against a bare ``.save()`` that would
skip the transition rules and the audit trail.
"""
from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from pgvector.django import HnswIndex, VectorField


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    WHATSAPP = "whatsapp", "WhatsApp"
    WEB_FORM = "web_form", "Web form"


class Customer(models.Model):
    name = models.CharField(max_length=200, blank=True)
    # The primary email is the cross-channel key; it is also stored as an identifier.
    email = models.EmailField(max_length=254, null=True, blank=True, unique=True)
    company = models.CharField(max_length=200, blank=True)
    plan = models.CharField(max_length=50, blank=True)
    # IANA zone the support page's browser last reported; times we write to the customer
    # on any channel are given in it (UTC, named, when empty). Display only: the form
    # proves no identity, so nothing else may depend on it.
    time_zone = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name or self.email or f"Customer #{self.pk}"


class IdentifierKind(models.TextChoices):
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone / WhatsApp"


class CustomerIdentifier(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identifiers")
    kind = models.CharField(max_length=10, choices=IdentifierKind.choices)
    value = models.CharField(max_length=254)  # normalised: lower-case email, E.164 phone
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="identifier_unique_per_kind"),
            models.CheckConstraint(condition=Q(kind__in=IdentifierKind.values), name="identifier_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class ConversationStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"


class ResolutionType(models.TextChoices):
    AI = "ai", "Resolved by AI"
    HUMAN = "human", "Resolved by staff"
    ABANDONED = "abandoned", "Abandoned"


class Conversation(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="conversations")
    initial_channel = models.CharField(max_length=20, choices=Channel.choices)
    status = models.CharField(max_length=10, choices=ConversationStatus.choices, default=ConversationStatus.ACTIVE)
    sentiment = models.FloatField(null=True, blank=True, help_text="-1 (angry) … 1 (happy), last measured")
    resolution_type = models.CharField(max_length=10, choices=ResolutionType.choices, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    # Email threading: the Gmail thread this conversation lives in, when any.
    email_thread_id = models.CharField(max_length=200, blank=True, db_index=True)

    class Meta:
        ordering = ["-last_message_at"]
        indexes = [models.Index(fields=["customer", "status", "-last_message_at"], name="conv_customer_active")]
        constraints = [
            models.CheckConstraint(condition=Q(initial_channel__in=Channel.values), name="conversation_channel_valid"),
        ]

    def __str__(self) -> str:
        return f"Conversation #{self.pk} with {self.customer}"


class Direction(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"


class Author(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    AGENT = "agent", "AI agent"
    STAFF = "staff", "Staff"
    SYSTEM = "system", "System"


class ProcessingState(models.TextChoices):
    """Where an inbound message is in the pipeline."""

    RECEIVED = "received", "Received"  # stored, event in the outbox
    PROCESSING = "processing", "Processing"  # claimed by a worker (with a lease)
    PROCESSED = "processed", "Processed"
    SKIPPED = "skipped", "Skipped"  # e.g. a human owns the ticket
    FAILED = "failed", "Failed"  # out of retries, in the DLQ
    NOT_APPLICABLE = "", "—"  # outbound messages


class DeliveryStatus(models.TextChoices):
    """What happened to an outbound message. Twilio's states plus ours."""

    PENDING = "pending", "Pending"
    SANDBOX = "sandbox", "Sandbox — not sent"
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    READ = "read", "Read"
    FAILED = "failed", "Failed"
    UNDELIVERED = "undelivered", "Undelivered"
    NOT_APPLICABLE = "", "—"  # inbound messages


class Message(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    ticket = models.ForeignKey("Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="messages")
    channel = models.CharField(max_length=20, choices=Channel.choices)
    direction = models.CharField(max_length=10, choices=Direction.choices)
    author = models.CharField(max_length=10, choices=Author.choices)
    staff_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    # The inbound message an AI reply answers: one AI reply per inbound message, so a
    # retried task finds its earlier reply instead of writing a second one.
    reply_to = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replies")
    subject = models.CharField(max_length=300, blank=True)
    content = models.TextField(blank=True)
    # The provider's id (Gmail message id, Twilio MessageSid, web-form submission key):
    # the idempotency key of every inbound webhook.
    provider_id = models.CharField(max_length=200, null=True, blank=True)
    processing_state = models.CharField(max_length=12, choices=ProcessingState.choices, blank=True, default="")
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    delivery_status = models.CharField(max_length=12, choices=DeliveryStatus.choices, blank=True, default="")
    delivery_error_code = models.CharField(max_length=40, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    tokens_used = models.PositiveIntegerField(null=True, blank=True)
    tool_calls = models.JSONField(default=list, blank=True)
    metadata = models.JSONField(default=dict, blank=True)  # headers, attachments, media, thread ids
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "provider_id"],
                condition=Q(provider_id__isnull=False),
                name="message_provider_id_unique_per_channel",
            ),
            models.UniqueConstraint(
                fields=["reply_to", "author"], condition=Q(author="agent"), name="one_ai_reply_per_inbound"
            ),
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="message_channel_valid"),
            models.CheckConstraint(condition=Q(direction__in=Direction.values), name="message_direction_valid"),
        ]
        indexes = [
            models.Index(fields=["conversation", "created_at"], name="message_conversation_time"),
            models.Index(fields=["processing_state", "claimed_until"], name="message_processing"),
            # /health and the delivery sweep: replies still waiting to go out.
            models.Index(fields=["created_at"], condition=Q(delivery_status="pending"),
                         name="message_pending_delivery"),
            # /health: the last inbound message of each channel.
            models.Index(fields=["channel", "created_at"], condition=Q(direction="inbound"),
                         name="message_inbound_channel_time"),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.channel} message #{self.pk}"


class TicketStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    ESCALATED = "escalated", "Escalated"
    PENDING = "pending", "Waiting on customer"
    ON_HOLD = "on_hold", "On hold"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


# A person owns the conversation while its ticket is in one of these: the AI stays out and
# the customer's next message goes back to that person (crm.selectors.human_owns_conversation).
HUMAN_STATUSES: tuple[str, ...] = (TicketStatus.ESCALATED, TicketStatus.PENDING, TicketStatus.ON_HOLD)


class SLATarget(models.TextChoices):
    """Which clock ``Ticket.sla_due_at`` is counting (crm/sla.py)."""

    FIRST_RESPONSE = "first_response", "First response"
    RESOLUTION = "resolution", "Resolution"


class Priority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class Urgency(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


URGENCY_RANK = {Urgency.URGENT: 0, Urgency.HIGH: 1, Urgency.NORMAL: 2, Urgency.LOW: 3}

# The least urgency a ticket of a raised priority is escalated with: "high" chosen on the form
# (or given by the agent) is a floor under the urgency the escalation rules decide, never a
# ceiling. Medium is every ticket's default, so it and low leave the rules' urgency alone
# (a prompt injection stays low; a "low" security incident is still urgent).
PRIORITY_URGENCY = {Priority.HIGH: Urgency.HIGH, Priority.URGENT: Urgency.URGENT}


class EscalationReason(models.TextChoices):
    PRICING_INQUIRY = "pricing_inquiry", "Pricing inquiry"
    REFUND_REQUEST = "refund_request", "Refund request"
    LEGAL_LANGUAGE = "legal_language", "Legal language"
    NEGATIVE_SENTIMENT = "negative_sentiment", "Negative sentiment"
    EXPLICIT_HUMAN_REQUEST = "explicit_human_request", "Asked for a human"
    KNOWLEDGE_NOT_FOUND = "knowledge_not_found", "No answer in the knowledge base"
    SECURITY_INCIDENT = "security_incident", "Security incident"
    PROCESSING_FAILED = "processing_failed", "Automatic processing failed"
    DELIVERY_FAILED = "delivery_failed", "Reply could not be delivered"
    SLA_BREACH = "sla_breach", "SLA breached"
    CHANNEL_PAUSED = "channel_paused", "AI replies switched off for the channel"


# The seven reasons the agent may give (escalation-rules.md), strongest first: when several
# apply, the first one in this order is the ticket's reason. The others are the system's own.
REASON_PRECEDENCE: tuple[str, ...] = (
    EscalationReason.SECURITY_INCIDENT,
    EscalationReason.LEGAL_LANGUAGE,
    EscalationReason.REFUND_REQUEST,
    EscalationReason.PRICING_INQUIRY,
    EscalationReason.NEGATIVE_SENTIMENT,
    EscalationReason.EXPLICIT_HUMAN_REQUEST,
    EscalationReason.KNOWLEDGE_NOT_FOUND,
)


# Who works each reason (context/escalation-rules.md, "Handled by"): what the desk shows staff
# in plain words ("Refund request — Billing Operations").
REASON_TEAM: dict[str, str] = {
    EscalationReason.SECURITY_INCIDENT: "Trust & Security",
    EscalationReason.LEGAL_LANGUAGE: "Legal and Privacy",
    EscalationReason.REFUND_REQUEST: "Billing Operations",
    EscalationReason.PRICING_INQUIRY: "Billing Operations / Sales",
    EscalationReason.NEGATIVE_SENTIMENT: "Support Lead on duty",
    EscalationReason.EXPLICIT_HUMAN_REQUEST: "Support Specialists",
    EscalationReason.KNOWLEDGE_NOT_FOUND: "Support Specialists / Technical Support",
    EscalationReason.PROCESSING_FAILED: "Support Specialists",
    EscalationReason.DELIVERY_FAILED: "Support Specialists",
    EscalationReason.SLA_BREACH: "Support Lead on duty",
    EscalationReason.CHANNEL_PAUSED: "Support Specialists",
}


# Crockford's alphabet without I, L, O, U: easy to read out over the phone.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_ticket_reference() -> str:
    # 8 symbols of 32 = 40 bits from the OS's CSPRNG: not guessable, short enough to quote.
    return "TKT-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


class TicketStatusChangeError(RuntimeError):
    """Raised when code tries to change a ticket's status without going through a service."""


class Ticket(models.Model):
    reference = models.CharField(max_length=20, unique=True, default=new_ticket_reference, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="tickets")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="tickets")
    source_channel = models.CharField(max_length=20, choices=Channel.choices)
    subject = models.CharField(max_length=300, blank=True)
    category = models.CharField(max_length=40, blank=True)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.MEDIUM)
    status = models.CharField(max_length=12, choices=TicketStatus.choices, default=TicketStatus.OPEN, editable=False)
    escalation_reason = models.CharField(max_length=30, choices=EscalationReason.choices, blank=True)
    urgency = models.CharField(max_length=10, choices=Urgency.choices, blank=True)
    urgency_rank = models.PositiveSmallIntegerField(default=9, help_text="0 = urgent; for ordering the queue")
    escalation_summary = models.TextField(blank=True)
    # What the agent tried and the sources it found, for the human who picks it up.
    escalation_packet = models.JSONField(default=dict, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="assigned_tickets"
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    sla_due_at = models.DateTimeField(null=True, blank=True)
    sla_breached_at = models.DateTimeField(null=True, blank=True)
    # The clock sla_due_at belongs to: first human response after an escalation, then resolution.
    sla_target = models.CharField(max_length=20, choices=SLATarget.choices, blank=True)
    # Set while the clock is paused (waiting on the customer); resuming moves the due time on.
    sla_paused_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # The first reply a member of staff sent (first_response_at counts the AI's replies too).
    first_human_response_at = models.DateTimeField(null=True, blank=True)
    resolution_notes = models.TextField(blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=TicketStatus.values), name="ticket_status_valid"),
            models.CheckConstraint(condition=Q(source_channel__in=Channel.values), name="ticket_channel_valid"),
            models.CheckConstraint(
                condition=~Q(status="escalated") | ~Q(escalation_reason=""), name="ticket_escalated_has_reason"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "urgency_rank", "sla_due_at"], name="ticket_queue"),
            models.Index(fields=["conversation", "status"], name="ticket_conversation_status"),
        ]

    def __str__(self) -> str:
        return self.reference

    @classmethod
    def from_db(cls, db, field_names, values):  # type: ignore[no-untyped-def]
        instance = super().from_db(db, field_names, values)
        instance._loaded_status = instance.__dict__.get("status")
        return instance

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        # Status moves only through crm.services (legal transitions + audit events).
        loaded = getattr(self, "_loaded_status", None)
        if self.pk and loaded is not None and loaded != self.status and not getattr(self, "_status_by_service", False):
            raise TicketStatusChangeError(
                f"Ticket {self.reference}: change status with crm.services, not .save() ({loaded} → {self.status})"
            )
        super().save(*args, **kwargs)
        self._loaded_status = self.status
        self._status_by_service = False

    @property
    def is_escalated(self) -> bool:
        return self.escalated_at is not None


class TicketEvent(models.Model):
    """The audit trail of a ticket: every transition, assignment, reply and breach.

    Reports (time to first response, time in queue, reopen rate) are computed from it.
    """

    class Kind(models.TextChoices):
        OPENED = "opened"
        STATUS = "status"
        ESCALATED = "escalated"
        ASSIGNED = "assigned"
        HANDED_BACK = "handed_back"
        REPLIED = "replied"
        SLA_BREACHED = "sla_breached"
        NOTE = "note"
        FEEDBACK = "feedback"  # the customer said an answer helped or not: data {"helped": bool, "channel"}
        SLA = "sla"  # the SLA clock changed: data {"change": "target" | "paused" | "resumed", ...}

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]


class KnowledgeArticle(models.Model):
    slug = models.SlugField(max_length=120, unique=True)
    title = models.CharField(max_length=300)
    category = models.CharField(max_length=40, blank=True, db_index=True)
    body = models.TextField()
    source = models.CharField(max_length=300, blank=True, help_text="File it was ingested from")
    content_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category", "title"]

    def __str__(self) -> str:
        return self.title


class KnowledgeChunk(models.Model):
    article = models.ForeignKey(KnowledgeArticle, on_delete=models.CASCADE, related_name="chunks")
    position = models.PositiveIntegerField()
    heading = models.CharField(max_length=300, blank=True)
    text = models.TextField()
    content_hash = models.CharField(max_length=64)
    embedding_model = models.CharField(max_length=100, blank=True)
    embedding = VectorField(dimensions=settings.EMBEDDING_DIMENSION, null=True, blank=True)
    # Kept by PostgreSQL itself, so no code path can forget to update it.
    search_vector = models.GeneratedField(
        expression=SearchVector("heading", weight="A", config="english")
        + SearchVector("text", weight="B", config="english"),
        output_field=SearchVectorField(),
        db_persist=True,
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["article_id", "position"]
        constraints = [models.UniqueConstraint(fields=["article", "position"], name="chunk_position_unique")]
        indexes = [
            HnswIndex(
                name="chunk_embedding_hnsw",
                fields=["embedding"],
                m=16,
                ef_construction=64,
                opclasses=["vector_cosine_ops"],
            ),
            GinIndex(fields=["search_vector"], name="chunk_search_vector_gin"),
        ]


class ChannelConfig(models.Model):
    channel = models.CharField(max_length=20, choices=Channel.choices, unique=True)
    enabled = models.BooleanField(default=True)
    response_style = models.CharField(max_length=200, blank=True)
    max_words = models.PositiveIntegerField(null=True, blank=True)
    max_chars = models.PositiveIntegerField(null=True, blank=True)
    settings = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.get_channel_display()


class Outcome(models.TextChoices):
    ANSWERED = "answered", "Answered by AI"
    ESCALATED = "escalated", "Escalated"
    SKIPPED = "skipped", "Skipped (human owns it)"
    FAILED = "failed", "Failed"


class AgentMetric(models.Model):
    """One row per processed inbound message: what reports and SLOs are built from."""

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="metric")
    ticket = models.ForeignKey(Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="metrics")
    channel = models.CharField(max_length=20, choices=Channel.choices)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    escalation_reason = models.CharField(max_length=30, blank=True)
    model_name = models.CharField(max_length=100, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)  # agent run, claim to reply stored
    end_to_end_ms = models.PositiveIntegerField(null=True, blank=True)  # inbound received to reply sent
    tokens_used = models.PositiveIntegerField(default=0)
    tool_call_count = models.PositiveSmallIntegerField(default=0)
    knowledge_hits = models.PositiveSmallIntegerField(default=0)
    top_score = models.FloatField(null=True, blank=True)
    sentiment = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["channel", "created_at"], name="metric_channel_time")]


class OutboxEvent(models.Model):
    topic = models.CharField(max_length=100)
    key = models.CharField(max_length=200)
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["id"], condition=Q(published_at__isnull=True), name="outbox_unpublished"),
            models.Index(fields=["published_at"], condition=Q(published_at__isnull=False), name="outbox_published"),
        ]

    def __str__(self) -> str:
        return f"{self.topic} #{self.pk}"


class EscalatedTicket(Ticket):
    """The human desk's view of tickets: the escalation queue in admin."""

    class Meta:
        proxy = True
        verbose_name = "ticket on the desk"
        verbose_name_plural = "tickets on the desk"
