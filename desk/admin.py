"""The human desk in Django admin: the queue, the ticket page and canned replies.

Support staff spend their day on two pages:

- the queue (``/admin/crm/escalatedticket/``): every ticket a person owns (escalated,
  on hold, waiting on the customer), those that need us first, then by urgency and SLA
  due time, with the SLA state as a coloured badge, filters for status, channel,
  reason, urgency, assignee and SLA state, and actions to assign, resolve, hand back to
  the AI and close;
- the ticket page, for *any* ticket (also resolved or closed ones, read-only then): the
  conversation across channels with internal notes, and the reply box with canned
  replies, an AI draft and the status the ticket moves to, above the fold; beside it the
  packet in plain words (``desk.packet``), the customer and the ticket's history.

Every change goes through a service (``crm.services`` or ``desk.staff_reply``); the
admin's own form never saves a ticket (``crm``'s raw ticket form redirects here).
Working the desk (claiming, replying, notes, …) needs the change permission on escalated
tickets; a view-only user sees the pages without the buttons and gets 403 from the
endpoints.

Who may assign to whom: anyone who works the queue may assign a ticket to any member of
staff who works it too, including taking it over from a colleague ("assign to someone"
forces the assignment). Shifts hand over work this way; each assignment is recorded in
the ticket's audit trail with who did it and whether it was forced. "Assign to me" and
replying never take a ticket from someone else: that is the atomic claim.
"""
from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    JsonResponse,
)
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from crm import services
from crm.errors import AlreadyClaimed, CRMError
from crm.models import (
    HUMAN_STATUSES,
    Channel,
    EscalatedTicket,
    KnowledgeArticle,
    Message,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from crm.services.tickets import STAFF_NEXT_STATUSES
from desk import drafts, presence, staff_reply
from desk.models import CannedReply
from desk.packet import packet_in_words
from desk.queue import (  # noqa: F401 - sla_state and DUE_SOON are part of this module's interface
    DUE_SOON,
    AssigneeFilter,
    SLAStateFilter,
    StatusFilter,
    human_duration,
    sla_badge_html,
    sla_state,
)

TRANSCRIPT_LIMIT = 300  # the customer's most recent messages shown on the ticket page
PAST_TICKETS_LIMIT = 20
EVENTS_LIMIT = 200

# How the reply form words the status a ticket moves to after a reply.
AFTER_REPLY_LABELS = {
    TicketStatus.PENDING: "Waiting on customer",
    TicketStatus.ON_HOLD: "On hold",
    TicketStatus.ESCALATED: "Still needs a reply from us",
    TicketStatus.RESOLVED: "Resolved",
}
# What the desk calls a status (the customer never sees these).
STATUS_WORDS = {
    TicketStatus.ESCALATED: "Needs a reply",
    TicketStatus.PENDING: "Waiting on customer",
    TicketStatus.ON_HOLD: "On hold",
    TicketStatus.OPEN: "With the AI",
    TicketStatus.IN_PROGRESS: "With the AI",
    TicketStatus.RESOLVED: "Resolved",
    TicketStatus.CLOSED: "Closed",
}


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
    assignee = forms.ModelChoiceField(queryset=get_user_model().objects.none(), label="Assign to",
                                      empty_label="Colleague…")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = desk_staff()
        self.fields["assignee"].label_from_instance = lambda u: u.get_full_name() or u.get_username()


class ReplyForm(forms.Form):
    channel = forms.ChoiceField(choices=Channel.choices, required=False)
    text = forms.CharField(max_length=staff_reply.MAX_REPLY_CHARS, strip=True)
    # Absent (an older page, a script): waiting on the customer, the default.
    after = forms.ChoiceField(choices=[(s, AFTER_REPLY_LABELS[s]) for s in STAFF_NEXT_STATUSES], required=False)


class NotesForm(forms.Form):
    notes = forms.CharField(required=False, max_length=5000, strip=True)


# --- The queue ---------------------------------------------------------------------------------


def queue_ticket_path(ticket_id: int) -> str:
    """The ticket's page on the desk; crm links here (``crm.links``, registered in ``DeskConfig.ready``)."""
    return reverse("admin:crm_escalatedticket_change", args=[ticket_id])


@admin.register(EscalatedTicket)
class EscalatedTicketAdmin(admin.ModelAdmin):
    list_display = ("ticket_cell", "sla_badge", "urgency_display", "status_display", "reason_display",
                    "customer_display", "assignee_display", "age")
    list_display_links = ("ticket_cell",)
    list_filter = (StatusFilter, AssigneeFilter, SLAStateFilter, "urgency", "source_channel", "escalation_reason")
    list_select_related = ("customer", "assignee")
    search_fields = ("reference", "subject", "customer__email", "customer__name", "customer__identifiers__value")
    list_per_page = 50
    actions = ["assign_to_me", "assign_to_someone", "resolve", "hand_back", "close"]
    change_list_template = "admin/desk/change_list.html"
    change_form_template = "admin/desk/change_form.html"
    assign_template = "admin/desk/assign.html"

    class Media:
        css = {"all": ["desk/desk.css"]}
        js = ["desk/desk.js"]

    # --- The list ---

    def get_queryset(self, request: HttpRequest) -> QuerySet[Ticket]:
        # Tickets that need us come first, then those waiting on the customer.
        queryset = self.model._default_manager.get_queryset().filter(status__in=HUMAN_STATUSES).annotate(
            desk_rank=Case(When(status=TicketStatus.PENDING, then=Value(1)), default=Value(0),
                           output_field=IntegerField()))
        return queryset.order_by(*self.get_ordering(request))

    def get_ordering(self, request: HttpRequest) -> list[str]:
        return ["desk_rank", "urgency_rank", "sla_due_at", "id"]

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Ticket | None:
        # Every ticket opens in the desk's view, also one that has left the queue.
        try:
            return EscalatedTicket.objects.select_related("customer", "assignee").get(pk=int(object_id))
        except (ValueError, TypeError, EscalatedTicket.DoesNotExist):
            return None

    @admin.display(description="Ticket", ordering="reference")
    def ticket_cell(self, obj: Ticket) -> str:
        return format_html('<span class="fte-ref">{}</span><span class="fte-subject" title="{}">{}</span>',
                           obj.reference, obj.subject, obj.subject or "(no subject)")

    @admin.display(description="SLA", ordering="sla_due_at")
    def sla_badge(self, obj: Ticket) -> str:
        return sla_badge_html(obj)

    @admin.display(description="Urgency", ordering="urgency_rank")
    def urgency_display(self, obj: Ticket) -> str:
        return format_html('<span class="fte-urgency fte-urgency-{}">{}</span>', obj.urgency or "none",
                           obj.get_urgency_display() or "—")

    @admin.display(description="Status", ordering="status")
    def status_display(self, obj: Ticket) -> str:
        return STATUS_WORDS.get(obj.status, obj.get_status_display())

    @admin.display(description="Reason", ordering="escalation_reason")
    def reason_display(self, obj: Ticket) -> str:
        return obj.get_escalation_reason_display() or "—"

    @admin.display(description="Customer", ordering="customer__name")
    def customer_display(self, obj: Ticket) -> str:
        return format_html('<span class="fte-customer-cell" title="{}">{}</span><span class="fte-sub">{}</span>',
                           obj.customer.email or "",
                           obj.customer.name or obj.customer.email or f"Customer #{obj.customer_id}",
                           obj.get_source_channel_display())

    @admin.display(description="Assignee", ordering="assignee__username")
    def assignee_display(self, obj: Ticket) -> str:
        if not obj.assignee_id:
            return "—"
        return obj.assignee.get_full_name() or obj.assignee.get_username()

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
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/reply/", view(self.reply_view), name="%s_%s_reply" % info),
            path("<path:object_id>/note/", view(self.note_view), name="%s_%s_note" % info),
            path("<path:object_id>/presence/", view(self.presence_view), name="%s_%s_presence" % info),
            path("<path:object_id>/draft/", view(self.draft_view), name="%s_%s_draft" % info),
            path("<path:object_id>/desk/<slug:verb>/", view(self.desk_action_view), name="%s_%s_desk" % info),
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
            context["title"] = f"{obj.reference} — {obj.subject or '(no subject)'}"
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _timeline(self, ticket: Ticket) -> tuple[list[dict[str, Any]], bool]:
        """The customer's messages on every channel and this ticket's internal notes, in time order."""
        recent = list(
            Message.objects.filter(conversation__customer_id=ticket.customer_id)
            .select_related("ticket", "staff_user")
            .order_by("-created_at", "-id")[: TRANSCRIPT_LIMIT + 1]
        )
        truncated = len(recent) > TRANSCRIPT_LIMIT
        items: list[dict[str, Any]] = [{"at": m.created_at, "message": m} for m in recent[:TRANSCRIPT_LIMIT]]
        oldest = items[-1]["at"] if truncated else None
        notes = TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.NOTE).select_related("actor")
        if oldest is not None:
            notes = notes.filter(created_at__gte=oldest)
        items += [{"at": n.created_at, "note": n, "text": str((n.data or {}).get("text", ""))} for n in notes]
        items.sort(key=lambda i: i["at"])
        return items, truncated

    def _customer_values(self, ticket: Ticket, user: Any) -> dict[str, str]:
        name = ticket.customer.name or ""
        return {"first_name": name.split()[0] if name.split() else "", "name": name, "ticket": ticket.reference,
                "agent_first_name": (getattr(user, "first_name", "") or "").split(" ")[0]}

    def _desk_context(self, request: HttpRequest, ticket: Ticket) -> dict[str, Any]:
        now = timezone.now()
        customer = ticket.customer
        timeline, truncated = self._timeline(ticket)
        words = packet_in_words(ticket)
        article_ids = dict(KnowledgeArticle.objects.filter(slug__in=[a["slug"] for a in words.articles])
                           .values_list("slug", "pk"))
        for article in words.articles:
            pk = article_ids.get(article["slug"])
            article["url"] = reverse("admin:crm_knowledgearticle_change", args=[pk]) if pk else ""
        on_desk = ticket.status in HUMAN_STATUSES
        can_work = on_desk and self.has_change_permission(request, ticket)
        channels = staff_reply.reply_channels(ticket=ticket) if can_work else []
        values = self._customer_values(ticket, request.user)
        macros = [{"title": m.title, "body": m.render(values)}
                  for m in CannedReply.objects.filter(is_active=True)] if can_work else []
        events = list(TicketEvent.objects.filter(ticket=ticket).exclude(kind=TicketEvent.Kind.NOTE)
                      .select_related("actor").order_by("-created_at", "-id")[:EVENTS_LIMIT])
        urls = {verb: reverse("admin:crm_escalatedticket_desk", args=[ticket.pk, verb])
                for verb in ("claim", "assign", "retry", "resolve", "hand_back", "close", "pending", "on_hold",
                             "reopen")}
        return {
            "ticket": ticket,
            "status_words": STATUS_WORDS.get(ticket.status, ticket.get_status_display()),
            "on_desk": on_desk,
            "sla_badge": sla_badge_html(ticket, now),
            "waiting": human_duration(now - (ticket.escalated_at or ticket.created_at)),
            "mine": ticket.assignee_id == request.user.pk,
            "customer": customer,
            "identifiers": list(customer.identifiers.order_by("kind", "value")),
            "past_tickets": list(customer.tickets.order_by("-created_at")[:PAST_TICKETS_LIMIT]),
            "timeline": timeline,
            "transcript_truncated": truncated,
            "words": words,
            "events": [(e, _event_words(e)) for e in events],
            "can_work": can_work,
            "reply_channels": [(c, Channel(c).label) for c in channels],
            "default_channel": staff_reply.default_reply_channel(ticket=ticket) if can_work else "",
            "after_choices": [(s, AFTER_REPLY_LABELS[s]) for s in STAFF_NEXT_STATUSES],
            "macros": macros,
            "assign_form": AssignForm(initial={"assignee": ticket.assignee_id}) if can_work else None,
            "pending_staff_replies": sum(1 for i in timeline if "message" in i and i["message"].ticket_id == ticket.pk
                                         and i["message"].author == "staff"
                                         and i["message"].delivery_status == "pending"),
            "reply_url": reverse("admin:crm_escalatedticket_reply", args=[ticket.pk]),
            "note_url": reverse("admin:crm_escalatedticket_note", args=[ticket.pk]),
            "presence_url": reverse("admin:crm_escalatedticket_presence", args=[ticket.pk]),
            "draft_url": reverse("admin:crm_escalatedticket_draft", args=[ticket.pk]),
            "desk_urls": urls,
            "queue_url": self._queue_url(),
        }

    def _ticket_for_work(self, request: HttpRequest, object_id: str) -> Ticket:
        ticket = self.get_object(request, unquote(object_id))
        if ticket is None or ticket.status not in HUMAN_STATUSES:
            raise Http404("No ticket with that id on the desk (it may have been resolved, handed back or closed).")
        if not self.has_change_permission(request, ticket):
            raise PermissionDenied
        return ticket

    def _change_url(self, ticket: Ticket) -> str:
        return queue_ticket_path(ticket.pk)

    @staticmethod
    def _queue_url() -> str:
        return reverse("admin:crm_escalatedticket_changelist")

    def reply_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """POST: send a staff reply (claims the ticket if it is unassigned) and move the ticket on."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        ticket = self._ticket_for_work(request, object_id)
        form = ReplyForm(request.POST)
        if not form.is_valid():
            for field, errors in form.errors.items():
                self.message_user(request, f"Reply not sent — {field}: {' '.join(errors)}", messages.ERROR)
            return HttpResponseRedirect(self._change_url(ticket))
        after = form.cleaned_data["after"] or TicketStatus.PENDING
        try:
            message = staff_reply.staff_reply_send(ticket=ticket, user=request.user, text=form.cleaned_data["text"],
                                                   channel=form.cleaned_data["channel"] or None, status=after)
        except CRMError as exc:
            self.message_user(request, f"Reply not sent: {exc.message}", messages.ERROR)
            return HttpResponseRedirect(self._change_url(ticket))
        presence.presence_leave(ticket_id=ticket.pk, user=request.user)
        message.refresh_from_db()  # delivery may already have moved it on
        status = message.get_delivery_status_display()
        moved = f" The ticket is now {AFTER_REPLY_LABELS[after].lower()}."
        if message.delivery_status == "failed":
            self.message_user(request, f"The reply was recorded but could not be delivered ({status}: "
                              f"{message.metadata.get('delivery_error', message.delivery_error_code)}). "
                              "Contact the customer another way.", messages.ERROR)
        elif message.delivery_status == "pending":
            error = message.metadata.get("last_send_error", "")
            self.message_user(request, f"Reply recorded; it is being sent by {message.get_channel_display()}"
                              f"{' (last attempt: ' + error + ')' if error else ''}. Its delivery state shows "
                              "in the conversation below." + moved, messages.INFO)
        else:
            self.message_user(request, f"Reply sent by {message.get_channel_display()} ({status})." + moved,
                              messages.SUCCESS)
        if after == TicketStatus.RESOLVED:
            return HttpResponseRedirect(self._queue_url())
        return HttpResponseRedirect(self._change_url(ticket))

    def note_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """POST: add an internal note (never sent to the customer)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        ticket = self._ticket_for_work(request, object_id)
        try:
            services.ticket_note_add(ticket=ticket, actor=request.user, text=request.POST.get("text", ""))
        except CRMError as exc:
            self.message_user(request, f"Note not saved: {exc.message}", messages.ERROR)
        else:
            self.message_user(request, "Internal note saved. The customer does not see it.", messages.SUCCESS)
        return HttpResponseRedirect(self._change_url(ticket) + "#fte-conversation")

    def presence_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """POST ``typing=0|1``: I have this ticket open; JSON: who else has, and who is typing."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        ticket = self.get_object(request, unquote(object_id))
        if ticket is None:
            raise Http404
        if not self.has_view_permission(request, ticket):
            raise PermissionDenied
        others = presence.presence_report(ticket_id=ticket.pk, user=request.user,
                                          typing=request.POST.get("typing") == "1")
        return JsonResponse({"others": others})

    def draft_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """POST ``channel``: an AI draft of the reply, grounded in the help centre (JSON)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        ticket = self._ticket_for_work(request, object_id)
        channel = request.POST.get("channel") or staff_reply.default_reply_channel(ticket=ticket)
        if channel not in Channel.values:
            return JsonResponse({"error": "Unknown channel."}, status=400)
        draft = drafts.draft_reply(ticket=ticket, channel=channel)
        return JsonResponse({"text": draft.text, "articles": draft.articles, "note": draft.note})

    def desk_action_view(self, request: HttpRequest, object_id: str, verb: str) -> HttpResponse:
        """POST: claim, assign, set the status, resolve, hand back, close or retry pending replies."""
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
                    self.message_user(request, f"{ticket.reference}: {STATUS_WORDS[status].lower()}.",
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
        # The ticket has left the queue: back to the list, with a way to the ticket.
        self.message_user(
            request,
            format_html('{} {}. <a href="{}">Open it</a>.', ticket.reference, done, self._change_url(ticket)),
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self._queue_url())


def _event_words(event: TicketEvent) -> str:
    """One line of the ticket's history, in words."""
    data = event.data or {}
    match event.kind:
        case TicketEvent.Kind.STATUS:
            to = STATUS_WORDS.get(event.to_status, event.to_status)
            why = " (the customer replied)" if data.get("reason") == "customer replied" else \
                " (automatically)" if data.get("auto") else ""
            return f"Status: {STATUS_WORDS.get(event.from_status, event.from_status)} → {to}{why}"
        case TicketEvent.Kind.ESCALATED:
            return f"Escalated: {data.get('reason', '').replace('_', ' ')}, {data.get('urgency', '')} urgency" + \
                (" (more context)" if data.get("again") else "")
        case TicketEvent.Kind.ASSIGNED:
            return "Assigned" + (" (taken over)" if data.get("force") else "")
        case TicketEvent.Kind.REPLIED:
            return f"Reply recorded ({data.get('author', '')}, {str(data.get('channel', '')).replace('_', ' ')})"
        case TicketEvent.Kind.SLA:
            change = data.get("change")
            if change == "target":
                met = "met" if data.get("first_response_met") else "missed"
                return f"First response {met}; resolution target started"
            return f"SLA clock {change}"
        case TicketEvent.Kind.SLA_BREACHED:
            return f"SLA breached; urgency raised to {data.get('urgency', '')}"
        case TicketEvent.Kind.HANDED_BACK:
            return "Handed back to the AI"
        case TicketEvent.Kind.OPENED:
            return f"Opened ({str(data.get('channel', '')).replace('_', ' ')})"
        case TicketEvent.Kind.FEEDBACK:
            return "Customer said the answer " + ("helped" if data.get("helped") else "did not help")
    return event.get_kind_display()


# --- Canned replies ---------------------------------------------------------------------------


class CannedReplyForm(forms.ModelForm):
    class Meta:
        model = CannedReply
        fields = ("title", "body", "is_active")
        widgets = {"body": forms.Textarea(attrs={"rows": 10, "cols": 80})}


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    form = CannedReplyForm
    list_display = ("title", "is_active", "updated_at")
    list_filter = ("is_active",)
    search_fields = ("title", "body")

    def save_model(self, request: HttpRequest, obj: CannedReply, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
