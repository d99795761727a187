"""The desk's pages beyond the queue: the admin home, every ticket in the desk view (and
crm's raw form that no longer edits), canned replies, notes, presence and the AI draft."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from crm import services
from crm.models import Customer, Ticket, TicketEvent, TicketStatus
from crm.tests.factories import CustomerFactory, UserFactory
from desk import presence
from desk.models import CannedReply, fill_placeholders
from desk.tests.test_admin import escalated_ticket, member

pytestmark = pytest.mark.django_db

PAGE = "admin:crm_escalatedticket_change"


@pytest.fixture
def sam(client):  # type: ignore[no-untyped-def]
    user = member(username="sam", first_name="Sam", last_name="Hale")
    client.force_login(user)
    client.user = user
    return client


# --- The admin home and the badge ------------------------------------------------------------


def test_the_admin_home_shows_the_desks_counts_linked_to_the_queue(sam):
    now = timezone.now()
    mine = escalated_ticket()
    services.ticket_assign(ticket=mine, assignee=sam.user)
    escalated_ticket(at=now - timedelta(hours=10))  # unassigned and overdue
    escalated_ticket(urgency="urgent", at=now - timedelta(minutes=30))  # unassigned, due within the hour
    services.ticket_assign(ticket=escalated_ticket(), assignee=member(username="other"))

    page = sam.get(reverse("admin:index")).content.decode()

    def count(key: str) -> str:
        start = page.index(f'id="fte-card-{key}"')
        return page[page.index('class="fte-count">', start) + 18:page.index("</span>", start)]

    assert (count("mine"), count("unassigned"), count("due_soon"), count("breached")) == ("1", "2", "1", "1")
    assert "?owner=me&amp;status=active" in page and "?sla=overdue" in page
    # The header badge: mine or nobody's, needing a reply.
    assert 'class="fte-badge-count">3<' in page
    assert 'id="fte-reports-link"' not in page  # staff, not managers
    queue = reverse("admin:crm_escalatedticket_changelist")
    listed = sam.get(queue, {"owner": "unassigned", "status": "active"}).context["cl"].result_list
    assert len(listed) == 2


def test_managers_and_superusers_get_the_reports_link(client):
    for user in (member("Support managers", username="lead"), UserFactory(username="root", is_superuser=True)):
        client.force_login(user)
        page = client.get(reverse("admin:index")).content.decode()
        assert 'href="/reports/" id="fte-reports-link"' in page


def test_staff_without_the_desk_see_no_desk_panel(client):
    client.force_login(UserFactory(username="nodesk", is_superuser=False))
    page = client.get(reverse("admin:index")).content.decode()
    assert "fte-home" not in page and "fte-badge" not in page


def test_the_queue_has_its_total_at_the_top_and_puts_waiting_tickets_last(sam):
    waiting = escalated_ticket(urgency="urgent")
    services.ticket_set_status(ticket=waiting, status=TicketStatus.PENDING, actor=sam.user)
    low = escalated_ticket(urgency="low")
    response = sam.get(reverse("admin:crm_escalatedticket_changelist"))
    body = response.content.decode()
    assert [t.reference for t in response.context["cl"].result_list] == [low.reference, waiting.reference]
    assert body.index('id="fte-total"') < body.index('id="result_list"')
    assert "2 tickets" in body and "Waiting on customer" in body and "Paused" in body


# --- Every ticket in the desk view; crm's raw form never edits ----------------------------------


def test_a_ticket_off_the_desk_opens_in_the_desk_view_read_only(sam):
    ticket = escalated_ticket()
    services.ticket_resolve(ticket=ticket, notes="Refunded.", actor=sam.user)
    page = sam.get(reverse(PAGE, args=[ticket.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "I was charged twice" in body and "This ticket is resolved" in body
    assert 'name="text"' not in body and "Assign to me" not in body
    assert sam.post(reverse("admin:crm_escalatedticket_reply", args=[ticket.pk]),
                    {"text": "Hi"}).status_code == 404


def test_crms_ticket_record_redirects_to_the_desk_view(sam):
    ticket = escalated_ticket()
    response = sam.get(reverse("admin:crm_ticket_change", args=[ticket.pk]))
    assert response.status_code == 302 and response.url == reverse(PAGE, args=[ticket.pk])


def test_the_raw_ticket_form_cannot_break_the_model(client):
    """Issue 14, finding 3: clearing the reason of an escalated ticket was a 500, and moving a
    ticket to another customer was accepted unaudited."""
    admin_user = UserFactory(username="root", is_superuser=True)
    client.force_login(admin_user)
    ticket = escalated_ticket()
    stranger = CustomerFactory()
    url = reverse("admin:crm_ticket_change", args=[ticket.pk])
    for change in ({"escalation_reason": ""}, {"customer": stranger.pk}):
        response = client.post(url, {"customer": ticket.customer_id, "conversation": ticket.conversation_id,
                                      "source_channel": ticket.source_channel, "priority": "medium",
                                      "escalation_reason": "refund_request", **change})
        assert response.status_code == 405
    ticket.refresh_from_db()
    assert ticket.escalation_reason == "refund_request" and ticket.customer_id != stranger.pk
    assert Customer.objects.get(pk=stranger.pk).tickets.count() == 0
    assert client.get(reverse("admin:crm_ticket_add")).status_code == 403
    assert client.post(reverse("admin:crm_ticket_delete", args=[ticket.pk]), {"post": "yes"}).status_code == 403


def test_crms_ticket_admin_without_a_desk_shows_the_record_read_only(client, monkeypatch):
    from crm import links

    monkeypatch.setattr(links, "_builder", None)
    client.force_login(UserFactory(username="root", is_superuser=True))
    ticket = escalated_ticket()
    page = client.get(reverse("admin:crm_ticket_change", args=[ticket.pk])).content.decode()
    assert ticket.reference in page and 'name="escalation_reason"' not in page


# --- Canned replies ---------------------------------------------------------------------------


def test_canned_replies_fill_their_placeholders_on_the_ticket_page(sam):
    CannedReply.objects.create(title="Refund issued", body="Hi {first_name}, {ticket} is refunded. — {agent_first_name}")
    CannedReply.objects.create(title="Old one", body="Unused", is_active=False)
    ticket = escalated_ticket(name="Dana Reyes")
    body = sam.get(reverse(PAGE, args=[ticket.pk])).content.decode()
    assert f'data-body="Hi Dana, {ticket.reference} is refunded. — Sam"' in body
    assert "Old one" not in body


def test_canned_replies_refuse_unknown_placeholders_and_never_evaluate_them():
    reply = CannedReply(title="Bad", body="Hello {first_nme}")
    with pytest.raises(ValidationError, match="first_nme"):
        reply.full_clean()
    assert fill_placeholders("{first_name.__class__} {first_name}", {"first_name": "Dana"}) == \
        "{first_name.__class__} Dana"


def test_managers_manage_canned_replies_and_staff_only_read_them(client):
    url = reverse("admin:desk_cannedreply_add")
    client.force_login(member("Support managers", username="lead"))
    response = client.post(url, {"title": "Thanks", "body": "Thanks, {first_name}!", "is_active": "on"})
    assert response.status_code == 302
    assert CannedReply.objects.get(title="Thanks").created_by.username == "lead"
    client.force_login(member("Support staff", username="agent"))
    assert client.get(url).status_code == 403
    assert client.get(reverse("admin:desk_cannedreply_changelist")).status_code == 200


# --- Notes, presence, draft -------------------------------------------------------------------


def test_an_internal_note_from_the_page_is_shown_and_never_sent(sam):
    ticket = escalated_ticket()
    response = sam.post(reverse("admin:crm_escalatedticket_note", args=[ticket.pk]),
                        {"text": "Checked Stripe: two charges.", "channel": "email"}, follow=True)
    body = response.content.decode()
    assert "Internal note saved" in body and "Checked Stripe: two charges." in body and "fte-note" in body
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.NOTE, actor=sam.user).count() == 1
    assert not ticket.messages.filter(author="staff").exists()
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.ESCALATED  # a note changes nothing else


def test_presence_reports_who_else_has_the_ticket_open_and_who_types(sam, client):
    ticket = escalated_ticket()
    url = reverse("admin:crm_escalatedticket_presence", args=[ticket.pk])
    assert sam.post(url, {"typing": "1"}).json() == {"others": []}
    from django.test import Client

    leo = Client()
    leo.force_login(member(username="leo", first_name="Leo", last_name="Brandt"))
    assert leo.post(url, {"typing": "0"}).json() == {"others": [{"name": "Sam Hale", "typing": True}]}
    assert sam.post(url, {"typing": "0"}).json()["others"] == [{"name": "Leo Brandt", "typing": False}]
    assert sam.get(url).status_code == 405


def test_presence_forgets_people_who_left():
    ticket_id = 987654
    sam, leo = member(username="p1", first_name="Sam"), member(username="p2", first_name="Leo")
    presence.presence_report(ticket_id=ticket_id, user=sam, typing=True, now=1000.0)
    assert presence.presence_report(ticket_id=ticket_id, user=leo, typing=False, now=1020.0) == \
        [{"name": "Sam", "typing": False}]  # still there, no longer typing
    assert presence.presence_report(ticket_id=ticket_id, user=leo, typing=False, now=1000.0 +
                                    presence.PRESENCE_TTL + 1) == []


def test_the_ai_draft_is_grounded_in_the_help_centre(sam, help_centre):
    ticket = escalated_ticket(channel="email", content="How do I reset my password? I forgot it.")
    data = sam.post(reverse("admin:crm_escalatedticket_draft", args=[ticket.pk]), {"channel": "email"}).json()
    assert data["text"] and data["articles"]
    assert "password" in data["text"].lower()
    assert not ticket.messages.filter(direction="outbound").exists()  # a draft is never sent


def test_the_ai_draft_says_so_when_the_help_centre_has_nothing(sam, help_centre):
    ticket = escalated_ticket(channel="email", content="Zxqv blorf quantum llama invoices from Neptune?")
    data = sam.post(reverse("admin:crm_escalatedticket_draft", args=[ticket.pk]), {"channel": "email"}).json()
    assert data["text"] == "" and "write the reply yourself" in data["note"]


def test_a_reply_form_status_choice_moves_the_ticket(sam, django_capture_on_commit_callbacks, celery_eager):
    ticket = escalated_ticket(channel="web_form")
    with django_capture_on_commit_callbacks(execute=True):
        response = sam.post(reverse("admin:crm_escalatedticket_reply", args=[ticket.pk]),
                            {"text": "Done, refunded.", "channel": "web_form", "after": "resolved"})
    assert response.status_code == 302 and response.url == reverse("admin:crm_escalatedticket_changelist")
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.RESOLVED
