"""Links to a ticket's page in what crm sends to staff (the SLA breach email).

crm cannot know the pages of the apps above it, and must not import them to find out:
an app that shows tickets better than crm's own admin registers how to link to them
(the desk does, in its ``AppConfig.ready``, for its escalation queue). Without one, a
link goes to the ticket's record in crm's admin.
"""
from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.urls import reverse

# Takes a ticket's id, returns the path of its page on this site.
TicketPathBuilder = Callable[[int], str]

_builder: TicketPathBuilder | None = None


def register_ticket_url(builder: TicketPathBuilder) -> TicketPathBuilder:
    """Make ``builder`` the way to a ticket's page. One app owns this; the last one registered wins.

    Returns ``builder``, so it can be used as a decorator.
    """
    global _builder
    _builder = builder
    return builder


def ticket_record_path(ticket_id: int) -> str:
    """The ticket's record in crm's admin: the page every ticket has."""
    return reverse("admin:crm_ticket_change", args=[ticket_id])


def ticket_page_registered() -> bool:
    """Whether an app above crm shows tickets (the desk): crm's raw ticket form then sends staff there."""
    return _builder is not None


def ticket_path(*, ticket_id: int) -> str:
    """The path of the ticket's page for staff on this site."""
    return (_builder or ticket_record_path)(ticket_id)


def ticket_url(*, ticket_id: int) -> str:
    """The absolute URL (under ``PUBLIC_BASE_URL``) of the ticket's page for staff."""
    return f"{settings.PUBLIC_BASE_URL}{ticket_path(ticket_id=ticket_id)}"
