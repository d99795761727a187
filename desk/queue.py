"""The queue's reading of tickets: SLA state and badge, the list filters, and the counts
on the admin home and in the header badge."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib import admin
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html

from crm.models import HUMAN_STATUSES, Ticket, TicketStatus

DUE_SOON = timedelta(hours=1)
# The clock runs (so a ticket can be due or overdue) while a person owns it and it is not paused.
RUNNING = Q(status__in=HUMAN_STATUSES, sla_paused_at__isnull=True, sla_due_at__isnull=False)
# What needs us now: escalated, or on hold (the customer is still waiting on us).
NEEDS_US = Q(status__in=[TicketStatus.ESCALATED, TicketStatus.ON_HOLD])


def sla_state(ticket: Ticket, now: datetime | None = None) -> str:
    """``overdue``, ``due_soon`` (within an hour), ``on_track``, ``paused`` or ``none`` (no clock)."""
    if ticket.sla_due_at is None or (ticket.status and ticket.status not in HUMAN_STATUSES):
        return "none"
    if ticket.sla_paused_at is not None:
        return "paused"
    now = now or timezone.now()
    if ticket.sla_due_at <= now:
        return "overdue"
    if ticket.sla_due_at <= now + DUE_SOON:
        return "due_soon"
    return "on_track"


def human_duration(delta: timedelta) -> str:
    """3d 4h, 2h 5m, 12m, <1m."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m" if minutes else "<1m"


def sla_badge_html(ticket: Ticket, now: datetime | None = None) -> str:
    """The SLA as a coloured badge (colours in desk/static/desk/desk.css: no inline styles)."""
    now = now or timezone.now()
    state = sla_state(ticket, now)
    target = "reply" if ticket.sla_target != "resolution" else "resolve"
    if state == "none":
        label = "No SLA"
    elif state == "paused":
        left = ticket.sla_due_at - ticket.sla_paused_at
        label = f"Paused · {human_duration(left)} left" if left > timedelta(0) else "Paused · overdue"
    elif state == "overdue":
        label = f"Overdue {human_duration(now - ticket.sla_due_at)}"
        if ticket.sla_breached_at:
            label += " · breached"
    else:
        label = f"{'Reply' if target == 'reply' else 'Resolve'} in {human_duration(ticket.sla_due_at - now)}"
    title = ""
    if ticket.sla_due_at and state != "none":
        title = f"{'First response' if target == 'reply' else 'Resolution'} due " \
                f"{timezone.localtime(ticket.sla_due_at):%Y-%m-%d %H:%M %Z}"
    return format_html('<span class="fte-sla fte-sla-{}" title="{}">{}</span>', state, title, label)


# --- Filters ---------------------------------------------------------------------------------


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("active", "Needs us (escalated or on hold)"), ("escalated", "Needs a reply"),
                ("on_hold", "On hold"), ("pending", "Waiting on customer")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
        match self.value():
            case "active":
                return queryset.filter(NEEDS_US)
            case "escalated" | "on_hold" | "pending" as status:
                return queryset.filter(status=status)
        return queryset


class AssigneeFilter(admin.SimpleListFilter):
    title = "assignee"
    parameter_name = "owner"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("me", "Me"), ("unassigned", "Unassigned"), ("me_or_unassigned", "Me or unassigned"),
                ("others", "Someone else")]

    def choices(self, changelist):  # type: ignore[no-untyped-def]
        for choice in super().choices(changelist):
            if choice.get("display") == "All":
                choice["display"] = "Anyone"
            yield choice

    def queryset(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
        me = request.user.pk
        match self.value():
            case "me":
                return queryset.filter(assignee_id=me)
            case "unassigned":
                return queryset.filter(assignee__isnull=True)
            case "me_or_unassigned":
                return queryset.filter(Q(assignee_id=me) | Q(assignee__isnull=True))
            case "others":
                return queryset.filter(assignee__isnull=False).exclude(assignee_id=me)
        return queryset


class SLAStateFilter(admin.SimpleListFilter):
    title = "SLA state"
    parameter_name = "sla"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("overdue", "Overdue"), ("due_soon", "Due within an hour"), ("on_track", "On track"),
                ("paused", "Paused")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
        now = timezone.now()
        match self.value():
            case "overdue":
                return queryset.filter(RUNNING, sla_due_at__lte=now)
            case "due_soon":
                return queryset.filter(RUNNING, sla_due_at__gt=now, sla_due_at__lte=now + DUE_SOON)
            case "on_track":
                return queryset.filter(RUNNING, sla_due_at__gt=now + DUE_SOON)
            case "paused":
                return queryset.filter(status__in=HUMAN_STATUSES, sla_paused_at__isnull=False)
        return queryset


# --- Counts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeskCounts:
    mine: int
    unassigned: int
    due_soon: int
    breached: int
    waiting: int

    @property
    def needs_me(self) -> int:
        """The header badge: tickets that need a reply and are mine or nobody's."""
        return self.mine + self.unassigned


def desk_counts(*, user: AbstractBaseUser, now: datetime | None = None) -> DeskCounts:
    """The admin home's figures, in one query. Each matches a queue link (``desk_count_links``)."""
    now = now or timezone.now()
    row = Ticket.objects.filter(status__in=HUMAN_STATUSES).aggregate(
        mine=Count("pk", filter=NEEDS_US & Q(assignee_id=user.pk)),
        unassigned=Count("pk", filter=NEEDS_US & Q(assignee__isnull=True)),
        due_soon=Count("pk", filter=RUNNING & Q(sla_due_at__gt=now, sla_due_at__lte=now + DUE_SOON)),
        breached=Count("pk", filter=RUNNING & Q(sla_due_at__lte=now)),
        waiting=Count("pk", filter=Q(status=TicketStatus.PENDING, assignee_id=user.pk)),
    )
    return DeskCounts(**row)


# The queue's query string for each count above.
DESK_COUNT_LINKS = {
    "mine": "owner=me&status=active",
    "unassigned": "owner=unassigned&status=active",
    "due_soon": "sla=due_soon",
    "breached": "sla=overdue",
    "waiting": "owner=me&status=pending",
}
