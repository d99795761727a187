"""Django admin as the CRM. Thin: reads, and actions that call services."""
from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from crm import links
from crm.models import (
    AgentMetric,
    ChannelConfig,
    Conversation,
    Customer,
    CustomerIdentifier,
    KnowledgeArticle,
    KnowledgeChunk,
    Message,
    OutboxEvent,
    Ticket,
    TicketEvent,
)


class IdentifierInline(admin.TabularInline):
    model = CustomerIdentifier
    extra = 0
    fields = ("kind", "value", "created_at")
    readonly_fields = ("created_at",)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("__str__", "email", "company", "plan", "created_at")
    search_fields = ("name", "email", "identifiers__value", "company")
    list_filter = ("plan",)
    inlines = [IdentifierInline]
    readonly_fields = ("created_at", "updated_at", "ticket_list")

    @admin.display(description="Tickets")
    def ticket_list(self, obj: Customer) -> str:
        tickets = obj.tickets.order_by("-created_at")[:20]
        return format_html_join(
            "", '<div><a href="{}">{}</a> — {} — {}</div>',
            ((links.ticket_path(ticket_id=t.pk), t.reference, t.get_status_display(), t.subject or "(no subject)")
             for t in tickets),
        ) or "—"


def transcript_html(messages: QuerySet[Message] | list[Message]) -> str:
    """A read-only transcript; content is escaped, never rendered as HTML."""
    rows = format_html_join(
        "",
        '<div class="fte-msg fte-{}"><div class="fte-meta"><strong>{}</strong> · {} · {}{}</div>'
        '<div style="white-space:pre-wrap">{}</div></div>',
        (
            (
                m.author,
                m.get_author_display() + (f" ({m.staff_user})" if m.staff_user_id else ""),
                m.get_channel_display(),
                m.created_at.strftime("%Y-%m-%d %H:%M:%S %Z"),
                f" · {m.get_delivery_status_display()}" if m.delivery_status else "",
                m.content,
            )
            for m in messages
        ),
    )
    style = mark_safe(  # a constant, no user input
        "<style>.fte-msg{border-left:3px solid #ccc;margin:6px 0;padding:4px 8px;max-width:60em}"
        ".fte-customer{border-color:#2a7ae2}.fte-agent{border-color:#28a745}.fte-staff{border-color:#d97706}"
        ".fte-meta{color:#666;font-size:11px}</style>"
    )
    # format_html, not "+": SafeString + str is a plain str, which the admin escapes,
    # showing the CSS as text (a conversation without messages has rows == "").
    return format_html("{}{}", style, rows or "—")


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    can_delete = False
    fields = ("created_at", "channel", "author", "content", "delivery_status", "processing_state")
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("id", "customer", "initial_channel", "status", "started_at", "last_message_at")
    list_filter = ("status", "initial_channel")
    list_select_related = ("customer",)
    search_fields = ("customer__email", "customer__identifiers__value", "customer__name")
    raw_id_fields = ("customer",)
    readonly_fields = ("transcript",)
    fields = ("customer", "initial_channel", "status", "sentiment", "resolution_type", "started_at",
              "last_message_at", "ended_at", "email_thread_id", "transcript")

    @admin.display(description="Transcript")
    def transcript(self, obj: Conversation) -> str:
        return transcript_html(obj.messages.select_related("staff_user").order_by("created_at", "id"))

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Conversations are a record of what was said: readable, not editable.
        return False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("id", "created_at", "channel", "direction", "author", "short_content", "processing_state",
                    "delivery_status", "latency_ms")
    list_filter = ("channel", "direction", "author", "processing_state", "delivery_status")
    list_select_related = ("conversation", "ticket")
    search_fields = ("content", "provider_id", "ticket__reference")
    raw_id_fields = ("conversation", "ticket", "staff_user")

    @admin.display(description="Content")
    def short_content(self, obj: Message) -> str:
        return obj.content[:80]

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class TicketEventInline(admin.TabularInline):
    model = TicketEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "kind", "from_status", "to_status", "actor", "data")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class EscalatedFilter(admin.SimpleListFilter):
    title = "escalated"
    parameter_name = "escalated"

    def lookups(self, request, model_admin):  # type: ignore[no-untyped-def]
        return (("yes", "Escalated at some point"), ("no", "Never escalated"))

    def queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        if self.value() == "yes":
            return queryset.filter(escalated_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(escalated_at__isnull=True)
        return queryset


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Every ticket, to find one; never edited here.

    A ticket changes only through services (``crm.services``: the lifecycle, its events
    and its rules), so there is no change form to get around them: editing the raw
    fields let staff clear an escalated ticket's reason (a check constraint, then a 500)
    or move it to another customer than its conversation's, unaudited. Opening a ticket
    goes to its page for staff (the desk's, through ``crm.links``); without one, this
    admin shows the record read-only.
    """

    list_display = ("reference", "customer", "source_channel", "priority", "status", "escalation_reason",
                    "assignee", "created_at")
    list_filter = ("status", "source_channel", "priority", EscalatedFilter, "escalation_reason")
    list_select_related = ("customer", "assignee")
    search_fields = ("reference", "customer__email", "customer__identifiers__value", "subject")
    raw_id_fields = ("customer", "conversation", "assignee")
    inlines = [TicketEventInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tickets are opened by the agent and the intake, through services

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # the audit trail and the reports need every ticket

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict | None = None) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        if links.ticket_page_registered() and object_id.isdigit():
            return HttpResponseRedirect(links.ticket_path(ticket_id=int(object_id)))
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(KnowledgeArticle)
class KnowledgeArticleAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "category", "updated_at")
    list_filter = ("category",)
    search_fields = ("title", "slug", "body")
    prepopulated_fields = {"slug": ("title",)}


@admin.register(KnowledgeChunk)
class KnowledgeChunkAdmin(admin.ModelAdmin):
    list_display = ("article", "position", "heading", "embedding_model")
    list_select_related = ("article",)
    search_fields = ("heading", "text", "article__slug")
    exclude = ("embedding",)
    raw_id_fields = ("article",)

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # chunks are derived from articles by ingestion


@admin.register(ChannelConfig)
class ChannelConfigAdmin(admin.ModelAdmin):
    list_display = ("channel", "enabled", "max_words", "max_chars", "updated_at")


@admin.register(AgentMetric)
class AgentMetricAdmin(admin.ModelAdmin):
    list_display = ("created_at", "channel", "outcome", "escalation_reason", "latency_ms", "tokens_used",
                    "model_name")
    list_filter = ("channel", "outcome", "escalation_reason")
    raw_id_fields = ("message", "ticket")


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    list_display = ("id", "topic", "key", "created_at", "published_at", "attempts", "last_error")
    list_filter = ("topic",)


# --- Users: managers may add staff and put them in the support groups, never more -------------

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.exceptions import PermissionDenied  # noqa: E402

SUPPORT_GROUPS = ("Support staff", "Support managers")
User = get_user_model()


def _beyond_support_roles(user: object) -> bool:
    """True for an account with powers a support manager cannot grant: a superuser, a
    member of another group, or a holder of single permissions."""
    if getattr(user, "is_superuser", False):
        return True
    if getattr(user, "pk", None) is None:
        return False
    return (user.groups.exclude(name__in=SUPPORT_GROUPS).exists()  # type: ignore[attr-defined]
            or user.user_permissions.exists())  # type: ignore[attr-defined]


class SupportUserAdmin(DjangoUserAdmin):
    """The stock user admin, except that only superusers grant superuser status, single
    permissions or groups other than the two support groups. Without this, anyone with
    ``change_user`` (the Support managers) could make themselves a superuser.

    For the same reason a non-superuser changes and deletes only accounts whose powers
    they could have granted: setting another account's password is logging in as it, and
    deleting a superuser locks the owners out (``auth.delete_user`` alone allowed both,
    single and bulk "delete selected")."""

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> tuple[str, ...]:
        readonly = tuple(super().get_readonly_fields(request, obj))
        if request.user.is_superuser:
            return readonly
        return readonly + ("is_superuser", "user_permissions")

    def formfield_for_manytomany(self, db_field, request, **kwargs):  # type: ignore[no-untyped-def]
        if db_field.name == "groups" and not request.user.is_superuser:
            kwargs["queryset"] = Group.objects.filter(name__in=SUPPORT_GROUPS)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # A superuser's account is changed only by superusers (the password form too:
        # Django's user_change_password asks this method).
        if obj is not None and not request.user.is_superuser and _beyond_support_roles(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Asked per object by the delete page and, through get_deleted_objects, for each
        # row of the bulk "delete selected" action, which then refuses the whole batch.
        if obj is not None and not request.user.is_superuser and _beyond_support_roles(obj):
            return False
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        # The last line of defence should a future action reach here without the checks above.
        if not request.user.is_superuser and any(_beyond_support_roles(user) for user in queryset):
            raise PermissionDenied("Only superusers delete accounts with more than support roles.")
        super().delete_queryset(request, queryset)


admin.site.unregister(User)
admin.site.register(User, SupportUserAdmin)
