"""Admin for what reporting stores: help-centre drafts (reviewed here) and the daily reports."""
from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from reporting.drafts import article_draft_review
from reporting.models import ArticleDraft, DailyReport


@admin.register(ArticleDraft)
class ArticleDraftAdmin(admin.ModelAdmin):
    list_display = ("title", "status", "created_by", "created_at", "reviewed_by", "reviewed_at")
    list_filter = ("status",)
    list_select_related = ("created_by", "reviewed_by")
    search_fields = ("title", "slug", "body")
    fields = ("title", "slug", "category", "body", "status", "source_ticket_ids", "created_by", "created_at",
              "reviewed_by", "reviewed_at")
    readonly_fields = ("status", "source_ticket_ids", "created_by", "created_at", "reviewed_by", "reviewed_at")
    actions = ["approve", "reject"]

    @admin.action(description="Approve: the next ingest_kb loads them into the knowledge base")
    def approve(self, request: HttpRequest, queryset: QuerySet[ArticleDraft]) -> None:
        for draft in queryset:
            article_draft_review(draft=draft, approve=True, user=request.user)
        self.message_user(request, f"{queryset.count()} draft(s) approved; run manage.py ingest_kb to load them.",
                          messages.SUCCESS)

    @admin.action(description="Reject")
    def reject(self, request: HttpRequest, queryset: QuerySet[ArticleDraft]) -> None:
        for draft in queryset:
            article_draft_review(draft=draft, approve=False, user=request.user)
        self.message_user(request, f"{queryset.count()} draft(s) rejected.", messages.SUCCESS)


@admin.register(DailyReport)
class DailyReportAdmin(admin.ModelAdmin):
    list_display = ("date", "unusual_count", "emailed_at", "page")
    readonly_fields = ("date", "created_at", "updated_at", "emailed_at", "emailed_to", "unusual", "page")
    exclude = ("html", "figures")

    @admin.display(description="Unusual")
    def unusual_count(self, obj: DailyReport) -> int:
        return len(obj.unusual or [])

    @admin.display(description="Report")
    def page(self, obj: DailyReport) -> str:
        return format_html('<a href="{}">Open</a>', reverse("reporting:daily", args=[obj.date.isoformat()]))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
