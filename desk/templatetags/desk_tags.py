"""Template tags for the admin's frame: the desk's header badge and the admin home's counts."""
from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from desk.queue import DESK_COUNT_LINKS, desk_counts

register = template.Library()

MANAGERS_GROUP = "Support managers"
REPORTS_PATH = "/reports/"


def _works_the_desk(user: Any) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_staff
                and user.has_perm("crm.view_escalatedticket"))


@register.simple_tag(takes_context=True)
def desk_home(context: template.Context) -> dict[str, Any] | None:
    """The admin home's desk panel: the counts, each with its queue link, and the managers' links.

    None for users who do not work the desk.
    """
    request = context.get("request")
    user = getattr(request, "user", None)
    if not _works_the_desk(user):
        return None
    queue = reverse("admin:crm_escalatedticket_changelist")
    counts = desk_counts(user=user)
    cards = [
        {"key": key, "label": label, "count": getattr(counts, key), "url": f"{queue}?{DESK_COUNT_LINKS[key]}",
         "tone": tone}
        for key, label, tone in (
            ("mine", "Mine, needing a reply", ""),
            ("unassigned", "Unassigned", "warn" if counts.unassigned else ""),
            ("due_soon", "Due within an hour", "warn" if counts.due_soon else ""),
            ("breached", "Overdue", "alert" if counts.breached else ""),
            ("waiting", "Mine, waiting on the customer", ""),
        )
    ]
    is_manager = user.is_superuser or user.groups.filter(name=MANAGERS_GROUP).exists()
    return {"cards": cards, "queue_url": queue, "reports_url": REPORTS_PATH if is_manager else "",
            "macros_url": reverse("admin:desk_cannedreply_changelist")
            if user.has_perm("desk.view_cannedreply") else ""}


@register.simple_tag(takes_context=True)
def desk_badge(context: template.Context) -> dict[str, Any] | None:
    """The header badge: tickets that need a reply and are the user's or nobody's."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if not _works_the_desk(user):
        return None
    counts = desk_counts(user=user)
    queue = reverse("admin:crm_escalatedticket_changelist")
    return {"count": counts.needs_me, "url": f"{queue}?owner=me_or_unassigned&status=active"}
