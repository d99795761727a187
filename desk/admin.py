"""The human desk: the escalation queue in Django admin.

Support staff spend their day on two pages:

- the queue (``/admin/crm/escalatedticket/``): escalated tickets only, most urgent first
  and then by SLA due time, with the SLA state as a coloured badge, filters for
  channel, reason, urgency, assignee (me / unassigned / anyone) and SLA state, and
  actions to assign to me, assign to someone, resolve, hand back to the AI and close;
- the ticket page: the escalation packet (reason, urgency, summary, what the agent
  tried, the knowledge sources), the customer's profile with identifiers and past
  tickets, the customer's whole conversation across channels in order, and a reply form.

Every change goes through a service (``crm.services`` or ``desk.staff_reply``);
the admin's own form never saves a ticket. Working the queue (claiming, replying,
resolving, …) needs the change permission on escalated tickets; a view-only user sees
the pages without the buttons and gets 403 from the endpoints.

Who may assign to whom: anyone who works the queue may assign a ticket to any member of
staff who works it too, including taking it over from a colleague ("assign to someone"
forces the assignment). Shifts hand over work this way; each assignment is recorded in
the ticket's audit trail with who did it and whether it was forced. "Assign to me" and
replying never take a ticket from someone else: that is the atomic claim.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from crm import services
from crm.errors import AlreadyClaimed, CRMError
from crm.models import HUMAN_STATUSES, Channel, EscalatedTicket, KnowledgeArticle, Message, Ticket, TicketStatus
from desk import staff_reply

DUE_SOON = timedelta(hours=1)
TRANSCRIPT_LIMIT = 300  # the customer's most recent messages shown on the ticket page
PAST_TICKETS_LIMIT = 20

SLA_COLOURS = {"overdue": "#ba2121", "due_soon": "#b45309", "on_track": "#1e7e34", "none": "#6c757d"}


# --- SLA state ---------------------------------------------------------------------------------


def sla_state(ticket: Ticket, now: datetime | None = None) -> str:
    """``overdue``, ``due_soon`` (within an hour), ``on_track`` or ``none`` (no due time)."""
    if ticket.sla_due_at is None:
        return "none"
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
    now = now or timezone.now()
    state = sla_state(ticket, now)
    if state == "none":
        label = "No SLA"
    elif state == "overdue":
        label = f"Overdue {human_duration(now - ticket.sla_due_at)}"
        if ticket.sla_breached_at:
            label += " · breached"
    else:
        label = f"Due in {human_duration(ticket.sla_due_at - now)}"
    return format_html(
        '<span class="fte-sla fte-sla-{}" title="{}" style="background:{};color:#fff;border-radius:3px;'
        'padding:1px 6px;white-space:nowrap;font-weight:600">{}</span>',
        state,
        f"Due {timezone.localtime(ticket.sla_due_at):%Y-%m-%d %H:%M %Z}" if ticket.sla_due_at else "",
        SLA_COLOURS[state],
        label,
    )


# --- Filters ---------------------------------------------------------------------------------


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
        return [("overdue", "Overdue"), ("due_soon", "Due within an hour"), ("on_track", "On track")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
        now = timezone.now()
        match self.value():
            case "overdue":
                return queryset.filter(sla_due_at__lte=now)
            case "due_soon":
                return queryset.filter(sla_due_at__gt=now, sla_due_at__lte=now + DUE_SOON)
            case "on_track":
                return queryset.filter(sla_due_at__gt=now + DUE_SOON)
        return queryset


# --- Forms ------------------------------------------------------------------------------------


def desk_staff() -> QuerySet:
    """Active staff who work the queue: superusers and holders of the change permission."""
    perm = Permission.objects.filter(content_type__app_label="crm", codename="change_escalatedticket")
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .filter(Q(is_superuser=True) | Q(groups__permissions__in=perm) | Q(user_permissions__in=perm))
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=get_user_model().objects.none(), label="Assign to")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = desk_staff()
        self.fields["assignee"].label_from_instance = lambda u: u.get_full_name() or u.get_username()


class ReplyForm(forms.Form):
    channel = forms.ChoiceField(choices=Channel.choices)
    text = forms.CharField(max_length=staff_reply.MAX_REPLY_CHARS, strip=True)


class NotesForm(forms.Form):
    notes = forms.CharField(required=False, max_length=5000, strip=True)


# --- The queue ---------------------------------------------------------------------------------


def queue_ticket_path(ticket_id: int) -> str:
    """The ticket's page on the desk; crm links here (``crm.links``, registered in ``DeskConfig.ready``)."""
    return reverse("admin:crm_escalatedticket_change", args=[ticket_id])



@admin.register(EscalatedTicket)
class EscalatedTicketAdmin(admin.ModelAdmin):
    list_display = ("reference", "sla_badge", "urgency_display", "escalation_reason", "source_channel", "customer",
                    "assignee_display", "age", "subject")
    list_display_links = ("reference",)
    list_filter = ("source_channel", "escalation_reason", "urgency", AssigneeFilter, SLAStateFilter)
    list_select_related = ("customer", "assignee")
    search_fields = ("reference", "subject", "customer__email", "customer__name", "customer__identifiers__value")
    ordering = ("urgency_rank", "sla_due_at", "id")
    list_per_page = 50
    actions = ["assign_to_me", "assign_to_someone", "resolve", "hand_back", "close"]
    change_form_template = "admin/desk/change_form.html"
    assign_template = "admin/desk/assign.html"

    # --- The list ---

    def get_queryset(self, request: HttpRequest) -> QuerySet[Ticket]:
        return super().get_queryset(request).filter(status__in=HUMAN_STATUSES)

    @admin.display(description="SLA", ordering="sla_due_at")
    def sla_badge(self, obj: Ticket) -> str:
        return sla_badge_html(obj)

    @admin.display(description="Urgency", ordering="urgency_rank")
    def urgency_display(self, obj: Ticket) -> str:
        return obj.get_urgency_display() or "—"

    @admin.display(description="Assignee", ordering="assignee__username")
    def assignee_display(self, obj: Ticket) -> str:
        return str(obj.assignee) if obj.assignee_id else "—"

    @admin.display(description="Waiting", ordering="escalated_at")
    def age(self, obj: Ticket) -> str:
        since = obj.escalated_at or obj.created_at
        return human_duration(timezone.now() - since)

    # The desk never adds or deletes tickets, and its form never saves one.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        raise PermissionDenied("Tickets change on the desk only through its actions and replies.")

    # --- Actions on the list ---

    def _each(self, request: HttpRequest, queryset: QuerySet[Ticket], verb: str, act: Any) -> None:
        done, problems = [], []
        for ticket in queryset.order_by("pk"):  # a fixed order: rows are locked one at a time
            try:
                act(ticket)
                done.append(ticket.reference)
            except CRMError as exc:
                problems.append(exc.message)
        if done:
            self.message_user(request, f"{verb}: {', '.join(done)}.", messages.SUCCESS)
        for problem in problems:
            self.message_user(request, problem, messages.WARNING)

    @admin.action(description="Assign to me", permissions=["change"])
    def assign_to_me(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        def claim(ticket: Ticket) -> None:
            if ticket.assignee_id == request.user.pk:
                raise CRMError(f"{ticket.reference} is already yours.")
            services.ticket_assign(ticket=ticket, assignee=request.user, actor=request.user)

        self._each(request, queryset, "Assigned to you", claim)

    @admin.action(description="Assign to someone…", permissions=["change"])
    def assign_to_someone(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> HttpResponse | None:
        form = AssignForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            assignee = form.cleaned_data["assignee"]
            self._each(request, queryset, f"Assigned to {assignee}",
                       lambda t: services.ticket_assign(ticket=t, assignee=assignee, actor=request.user, force=True))
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Assign tickets",
            "opts": self.opts,
            "tickets": queryset.select_related("customer", "assignee"),
            "form": form,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "action_name": "assign_to_someone",
        }
        return TemplateResponse(request, self.assign_template, context)

    @admin.action(description="Resolve", permissions=["change"])
    def resolve(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        self._each(request, queryset, "Resolved", lambda t: services.ticket_resolve(ticket=t, actor=request.user))

    @admin.action(description="Hand back to the AI", permissions=["change"])
    def hand_back(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        self._each(request, queryset, "Handed back to the AI",
                   lambda t: services.ticket_hand_back(ticket=t, actor=request.user))

    @admin.action(description="Close", permissions=["change"])
    def close(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        self._each(request, queryset, "Closed", lambda t: services.ticket_close(ticket=t, actor=request.user))

    # --- The ticket page ---

    def get_urls(self) -> list:
        info = self.opts.app_label, self.opts.model_name
        return [
            path("<path:object_id>/reply/", self.admin_site.admin_view(self.reply_view), name="%s_%s_reply" % info),
            path("<path:object_id>/desk/<slug:verb>/", self.admin_site.admin_view(self.desk_action_view),
                 name="%s_%s_desk" % info),
            *super().get_urls(),
        ]

    def changeform_view(self, request: HttpRequest, object_id: str | None = None, form_url: str = "",
                        extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        return super().changeform_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request: HttpRequest, context: dict[str, Any], add: bool = False,
                           change: bool = False, form_url: str = "", obj: Ticket | None = None) -> HttpResponse:
        if obj is not None:
            context["desk"] = self._desk_context(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _desk_context(self, request: HttpRequest, ticket: Ticket) -> dict[str, Any]:
        now = timezone.now()
        customer = ticket.customer
        recent = list(
            Message.objects.filter(conversation__customer_id=customer.pk)
            .select_related("ticket", "staff_user")
            .order_by("-created_at", "-id")[: TRANSCRIPT_LIMIT + 1]
        )
        truncated = len(recent) > TRANSCRIPT_LIMIT
        transcript = list(reversed(recent[:TRANSCRIPT_LIMIT]))
        packet = ticket.escalation_packet or {}
        sources = [s for s in packet.get("sources") or [] if isinstance(s, dict)]
        article_ids = dict(
            KnowledgeArticle.objects.filter(slug__in=[s.get("slug") for s in sources]).values_list("slug", "pk")
        )
        for source in sources:
            pk = article_ids.get(source.get("slug"))
            source["url"] = reverse("admin:crm_knowledgearticle_change", args=[pk]) if pk else ""
        can_work = self.has_change_permission(request, ticket)
        channels = staff_reply.reply_channels(ticket=ticket)
        default_channel = staff_reply.default_reply_channel(ticket=ticket)
        return {
            "ticket": ticket,
            "sla_badge": sla_badge_html(ticket, now),
            "waiting": human_duration(now - (ticket.escalated_at or ticket.created_at)),
            "mine": ticket.assignee_id == request.user.pk,
            "customer": customer,
            "identifiers": list(customer.identifiers.order_by("kind", "value")),
            "past_tickets": list(customer.tickets.order_by("-created_at")[:PAST_TICKETS_LIMIT]),
            "transcript": transcript,
            "transcript_truncated": truncated,
            "packet": packet,
            "tried": [t for t in packet.get("tried") or [] if isinstance(t, str)],
            "searches": [s for s in packet.get("searches") or [] if isinstance(s, dict)],
            "sources": sources,
            "delivery_failures": [f for f in packet.get("delivery_failures") or [] if isinstance(f, dict)],
            "can_work": can_work,
            "reply_channels": [(c, Channel(c).label) for c in channels],
            "default_channel": default_channel,
            "assign_form": AssignForm(initial={"assignee": ticket.assignee_id}) if can_work else None,
            "pending_staff_replies": sum(1 for m in transcript if m.ticket_id == ticket.pk and m.author == "staff"
                                         and m.delivery_status == "pending"),
            "reply_url": reverse("admin:crm_escalatedticket_reply", args=[ticket.pk]),
            "desk_urls": {verb: reverse("admin:crm_escalatedticket_desk", args=[ticket.pk, verb])
                          for verb in ("claim", "assign", "retry", "resolve", "hand_back", "close")},
            "ticket_record_url": reverse("admin:crm_ticket_change", args=[ticket.pk]),
        }

    def _ticket_for_work(self, request: HttpRequest, object_id: str) -> Ticket:
        ticket = self.get_object(request, unquote(object_id))
        if ticket is None:
            raise Http404("No escalated ticket with that id (it may have been resolved, handed back or closed).")
        if not self.has_change_permission(request, ticket):
            raise PermissionDenied
        return ticket

    def _change_url(self, ticket: Ticket) -> str:
        return queue_ticket_path(ticket.pk)

    @staticmethod
    def _queue_url() -> str:
        return reverse("admin:crm_escalatedticket_changelist")

    def reply_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """POST: send a staff reply (claims the ticket if it is unassigned)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        ticket = self._ticket_for_work(request, object_id)
        form = ReplyForm(request.POST)
        if not form.is_valid():
            for field, errors in form.errors.items():
                self.message_user(request, f"Reply not sent — {field}: {' '.join(errors)}", messages.ERROR)
            return HttpResponseRedirect(self._change_url(ticket))
        try:
            message = staff_reply.staff_reply_send(ticket=ticket, user=request.user, text=form.cleaned_data["text"],
                                                   channel=form.cleaned_data["channel"])
        except CRMError as exc:
            self.message_user(request, f"Reply not sent: {exc.message}", messages.ERROR)
            return HttpResponseRedirect(self._change_url(ticket))
        message.refresh_from_db()  # delivery may already have moved it on
        status = message.get_delivery_status_display()
        if message.delivery_status == "failed":
            self.message_user(request, f"The reply was recorded but could not be delivered ({status}: "
                              f"{message.metadata.get('delivery_error', message.delivery_error_code)}). "
                              "Contact the customer another way.", messages.ERROR)
        elif message.delivery_status == "pending":
            error = message.metadata.get("last_send_error", "")
            self.message_user(request, f"Reply recorded; it is being sent by {message.get_channel_display()}"
                              f"{' (last attempt: ' + error + ')' if error else ''}. Its delivery state shows "
                              "in the conversation below.", messages.INFO)
        else:
            self.message_user(request, f"Reply sent by {message.get_channel_display()} ({status}).", messages.SUCCESS)
        return HttpResponseRedirect(self._change_url(ticket))

    def desk_action_view(self, request: HttpRequest, object_id: str, verb: str) -> HttpResponse:
        """POST: claim, assign, resolve, hand back, close or retry pending replies, from the ticket page."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        ticket = self._ticket_for_work(request, object_id)
        user = request.user
        notes_form = NotesForm(request.POST)
        notes = notes_form.cleaned_data["notes"] if notes_form.is_valid() else ""
        try:
            match verb:
                case "claim":
                    services.ticket_assign(ticket=ticket, assignee=user, actor=user)
                    self.message_user(request, f"{ticket.reference} is yours.", messages.SUCCESS)
                    return HttpResponseRedirect(self._change_url(ticket))
                case "assign":
                    form = AssignForm(request.POST)
                    if not form.is_valid():
                        self.message_user(request, "Choose a member of staff to assign to.", messages.ERROR)
                        return HttpResponseRedirect(self._change_url(ticket))
                    assignee = form.cleaned_data["assignee"]
                    services.ticket_assign(ticket=ticket, assignee=assignee, actor=user, force=True)
                    self.message_user(request, f"{ticket.reference} assigned to {assignee}.", messages.SUCCESS)
                    return HttpResponseRedirect(self._change_url(ticket))
                case "retry":
                    handed = staff_reply.staff_reply_retry(ticket=ticket)
                    self.message_user(request, f"{len(handed)} pending repl{'y' if len(handed) == 1 else 'ies'} "
                                      "handed to delivery again.", messages.SUCCESS)
                    return HttpResponseRedirect(self._change_url(ticket))
                case "pending" | "on_hold" | "reopen":
                    status = {"pending": TicketStatus.PENDING, "on_hold": TicketStatus.ON_HOLD,
                              "reopen": TicketStatus.ESCALATED}[verb]
                    services.ticket_set_status(ticket=ticket, status=status, actor=user)
                    self.message_user(request, f"{ticket.reference}: {TicketStatus(status).label.lower()}.",
                                      messages.SUCCESS)
                    return HttpResponseRedirect(self._change_url(ticket))
                case "resolve":
                    services.ticket_resolve(ticket=ticket, notes=notes, actor=user)
                    done = "resolved"
                case "hand_back":
                    services.ticket_hand_back(ticket=ticket, actor=user)
                    done = "handed back to the AI"
                case "close":
                    services.ticket_close(ticket=ticket, notes=notes, actor=user)
                    done = "closed"
                case _:
                    raise Http404(f"Unknown desk action {verb!r}.")
        except AlreadyClaimed as exc:
            self.message_user(request, exc.message, messages.WARNING)
            return HttpResponseRedirect(self._change_url(ticket))
        except CRMError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(self._change_url(ticket))
        # The ticket has left the queue: back to the list, with a way to its full record.
        self.message_user(
            request,
            format_html('{} {}. <a href="{}">Open its record</a>.', ticket.reference, done,
                        reverse("admin:crm_ticket_change", args=[ticket.pk])),
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self._queue_url())
