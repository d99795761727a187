"""The escalation queue in admin: what support staff see and the actions they take."""
from __future__ import annotations

import importlib
import itertools
import threading
from datetime import datetime, timedelta

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group, Permission
from django.db import close_old_connections, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm import services
from crm.models import KnowledgeArticle, Message, Ticket, TicketEvent, TicketStatus
from crm.tests.factories import UserFactory
from desk.admin import human_duration, sla_badge_html, sla_state

pytestmark = pytest.mark.django_db

QUEUE = "admin:crm_escalatedticket_changelist"
_ids = itertools.count(1)


def ensure_groups() -> None:
    """The support groups come from a data migration; a transactional test's flush removes
    them (permissions come back with post_migrate, groups do not), so put them back."""
    if Group.objects.filter(name__in=["Support staff", "Support managers"]).count() < 2:
        importlib.import_module("crm.migrations.0005_support_groups").create_groups(django_apps, None)
        importlib.import_module("desk.migrations.0002_canned_reply_permissions").grant(django_apps, None)


def member(group: str = "Support staff", username: str | None = None, **fields):  # type: ignore[no-untyped-def]
    ensure_groups()
    user = UserFactory(username=username or f"desk{next(_ids)}", **fields)
    user.groups.add(Group.objects.get(name=group))
    return user


def escalated_ticket(
    *,
    channel: str = "email",
    email: str | None = None,
    phone: str | None = None,
    name: str = "Dana Reyes",
    content: str = "I was charged twice, please refund one of them.",
    urgency: str = "normal",
    reason: str = "refund_request",
    at: datetime | None = None,
    packet: dict | None = None,
) -> Ticket:
    """A ticket the way the pipeline makes one: an inbound message, its ticket, the escalation."""
    n = next(_ids)
    metadata = {}
    thread = ""
    if channel == "email":
        email = email or f"dana{n}@example.com"
        thread = f"thread-{n}"
        metadata = {"from": email, "message_id_header": f"<m{n}@mail.example>", "thread_id": thread}
    elif channel == "whatsapp":
        phone = phone or f"+1415555{n:04d}"
        metadata = {"from": f"whatsapp:{phone}"}
    else:
        email = email or f"dana{n}@example.com"
    at = at or timezone.now()
    inbound = services.inbound_message_accept(
        channel=channel, provider_id=f"desk-{channel}-{n}", content=content, email=email, phone=phone, name=name,
        subject="Charged twice" if channel != "whatsapp" else "", metadata=metadata, email_thread_id=thread,
        received_at=at,
    ).message
    ticket, _ = services.ticket_for_conversation(conversation=inbound.conversation, channel=channel,
                                                 subject=inbound.subject)
    Message.objects.filter(pk=inbound.pk).update(ticket=ticket)
    return services.ticket_escalate(
        ticket=ticket, reason=reason, urgency=urgency, now=at,
        summary="Customer wants a refund for a duplicate charge.",
        packet=packet or {"tried": ["create_ticket", "get_customer_history", "search_knowledge_base"],
                          "searches": [{"query": "refund duplicate charge", "hits": ["refunds"]}],
                          "sources": [{"slug": "refunds", "title": "Refunds and credits", "score": 0.71}],
                          "message_id": inbound.pk},
    )


def rows(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.status_code
    return [t.reference for t in response.context["cl"].result_list]


@pytest.fixture
def staff_client(client):
    user = member(username="sam", first_name="Sam")
    client.force_login(user)
    client.user = user
    return client


# --- The list ------------------------------------------------------------------------------------


def test_queue_shows_escalated_tickets_most_urgent_first_then_by_due_time(staff_client):
    now = timezone.now()
    normal = escalated_ticket(urgency="normal", at=now - timedelta(hours=1))
    urgent = escalated_ticket(urgency="urgent", at=now - timedelta(minutes=5))
    high_later = escalated_ticket(urgency="high", at=now - timedelta(minutes=10))
    high_sooner = escalated_ticket(urgency="high", at=now - timedelta(hours=2))
    resolved = services.ticket_resolve(ticket=escalated_ticket(urgency="urgent"))
    handed_back = services.ticket_hand_back(ticket=escalated_ticket(urgency="urgent"))

    listed = rows(staff_client.get(reverse(QUEUE)))

    assert listed == [urgent.reference, high_sooner.reference, high_later.reference, normal.reference]
    assert resolved.reference not in listed and handed_back.reference not in listed


def test_sla_state_and_badge():
    now = timezone.now()
    ticket = Ticket(status="escalated", sla_due_at=now - timedelta(minutes=90))
    assert sla_state(ticket, now) == "overdue"
    assert "Overdue 1h 30m" in sla_badge_html(ticket, now)
    ticket.sla_breached_at = now
    assert "breached" in sla_badge_html(ticket, now)
    ticket = Ticket(status="escalated", sla_due_at=now + timedelta(minutes=40))
    assert sla_state(ticket, now) == "due_soon"
    assert "Reply in 40m" in sla_badge_html(ticket, now)
    ticket = Ticket(status="escalated", sla_due_at=now + timedelta(hours=5), sla_target="resolution")
    assert sla_state(ticket, now) == "on_track" and "fte-sla-on_track" in sla_badge_html(ticket, now)
    assert "Resolve in 5h" in sla_badge_html(ticket, now)
    paused = Ticket(status="pending", sla_due_at=now + timedelta(hours=3), sla_paused_at=now - timedelta(hours=1))
    assert sla_state(paused, now) == "paused" and "Paused · 4h 0m left" in sla_badge_html(paused, now)
    assert sla_state(Ticket(status="escalated"), now) == "none"
    assert sla_state(Ticket(status="resolved", sla_due_at=now), now) == "none"
    assert "style=" not in sla_badge_html(ticket, now)  # colours come from the stylesheet (CSP)
    assert human_duration(timedelta(days=2, hours=3, minutes=4)) == "2d 3h"


def test_queue_page_shows_the_sla_badge(staff_client):
    escalated_ticket(urgency="normal", at=timezone.now() - timedelta(hours=9))  # overdue by an hour
    escalated_ticket(urgency="urgent", at=timezone.now() - timedelta(minutes=20))  # due in 40 minutes
    page = staff_client.get(reverse(QUEUE)).content.decode()
    assert "fte-sla-overdue" in page and "Overdue 1h" in page
    assert "fte-sla-due_soon" in page


@pytest.fixture
def mixed_queue(staff_client):  # type: ignore[no-untyped-def]
    now = timezone.now()
    colleague = member(username="colleague")
    t = {
        "email_overdue": escalated_ticket(channel="email", urgency="normal", reason="refund_request",
                                          at=now - timedelta(hours=10)),
        "whatsapp_soon": escalated_ticket(channel="whatsapp", urgency="high", reason="negative_sentiment",
                                          at=now - timedelta(hours=1, minutes=30)),  # due after 2h
        "webform_later": escalated_ticket(channel="web_form", urgency="low", reason="pricing_inquiry"),
    }
    services.ticket_assign(ticket=t["email_overdue"], assignee=staff_client.user)
    services.ticket_assign(ticket=t["whatsapp_soon"], assignee=colleague)
    return t


@pytest.mark.parametrize("params, expected", [
    ({"source_channel__exact": "whatsapp"}, {"whatsapp_soon"}),
    ({"source_channel__exact": "web_form"}, {"webform_later"}),
    ({"escalation_reason__exact": "refund_request"}, {"email_overdue"}),
    ({"urgency__exact": "low"}, {"webform_later"}),
    ({"owner": "me"}, {"email_overdue"}),
    ({"owner": "unassigned"}, {"webform_later"}),
    ({"owner": "me_or_unassigned"}, {"email_overdue", "webform_later"}),
    ({"owner": "others"}, {"whatsapp_soon"}),
    ({}, {"email_overdue", "whatsapp_soon", "webform_later"}),
    ({"sla": "overdue"}, {"email_overdue"}),
    ({"sla": "due_soon"}, {"whatsapp_soon"}),
    ({"sla": "on_track"}, {"webform_later"}),
    ({"sla": "overdue", "owner": "me"}, {"email_overdue"}),
])
def test_queue_filters(staff_client, mixed_queue, params, expected):
    listed = set(rows(staff_client.get(reverse(QUEUE), params)))
    assert listed == {mixed_queue[name].reference for name in expected}


def test_assignee_filter_offers_anyone_me_and_unassigned(staff_client, mixed_queue):
    page = staff_client.get(reverse(QUEUE)).content.decode()
    for label in ("Anyone", "Me", "Unassigned", "Someone else"):
        assert label in page


def test_search_by_reference_email_and_phone(staff_client):
    by_mail = escalated_ticket(channel="email", email="find.me@example.com")
    by_phone = escalated_ticket(channel="whatsapp", phone="+14155550123")
    assert rows(staff_client.get(reverse(QUEUE), {"q": "find.me@example.com"})) == [by_mail.reference]
    assert rows(staff_client.get(reverse(QUEUE), {"q": "+14155550123"})) == [by_phone.reference]
    assert rows(staff_client.get(reverse(QUEUE), {"q": by_phone.reference})) == [by_phone.reference]


def test_queue_queries_do_not_grow_with_rows(staff_client):
    def seed(n: int) -> None:
        for i in range(n):
            ticket = escalated_ticket(channel=["email", "whatsapp", "web_form"][i % 3])
            if i % 2:
                services.ticket_assign(ticket=ticket, assignee=member())

    seed(3)
    with CaptureQueriesContext(connection) as few:
        assert staff_client.get(reverse(QUEUE)).status_code == 200
    seed(12)
    with CaptureQueriesContext(connection) as many:
        assert staff_client.get(reverse(QUEUE)).status_code == 200
    assert len(many) == len(few), f"{len(few)} queries for 3 rows, {len(many)} for 15"


def test_ticket_page_queries_do_not_grow_with_messages(staff_client):
    ticket = escalated_ticket(channel="email", email="chatty@example.com")
    url = reverse("admin:crm_escalatedticket_change", args=[ticket.pk])

    def more(n: int) -> None:
        for _ in range(n):
            services.inbound_message_accept(channel="email", provider_id=f"more-{next(_ids)}", content="and another",
                                            email="chatty@example.com")
            services.outbound_message_record(ticket=ticket, channel="email", content="Answer", author="staff",
                                             staff_user=staff_client.user)

    more(2)
    staff_client.get(url)  # warm the per-process caches (content types)
    with CaptureQueriesContext(connection) as few:
        assert staff_client.get(url).status_code == 200
    more(10)
    with CaptureQueriesContext(connection) as many:
        assert staff_client.get(url).status_code == 200
    assert len(many) == len(few), "\n".join(q["sql"][:150] for q in few.captured_queries) + "\n----\n" + "\n".join(
        q["sql"][:150] for q in many.captured_queries)


# --- Actions on the list -------------------------------------------------------------------------


def _act(client, action: str, tickets: list[Ticket], **extra):  # type: ignore[no-untyped-def]
    data = {"action": action, "_selected_action": [t.pk for t in tickets], "index": 0, **extra}
    return client.post(reverse(QUEUE), data, follow=True)


def test_assign_to_me_claims_free_tickets_and_reports_the_ones_held(staff_client):
    free = escalated_ticket()
    held = escalated_ticket()
    services.ticket_assign(ticket=held, assignee=member(username="bea"))

    page = _act(staff_client, "assign_to_me", [free, held]).content.decode()

    free.refresh_from_db()
    held.refresh_from_db()
    assert free.assignee == staff_client.user
    assert held.assignee.username == "bea"
    assert f"Assigned to you: {free.reference}" in page
    assert "already assigned to bea" in page


def test_assign_to_someone_asks_whom_then_assigns(staff_client):
    ticket = escalated_ticket()
    services.ticket_assign(ticket=ticket, assignee=staff_client.user)
    colleague = member(username="cleo", first_name="Cleo", last_name="Park")
    UserFactory(username="not-on-the-desk")  # staff without the queue permission: not offered

    form = staff_client.post(reverse(QUEUE), {"action": "assign_to_someone", "_selected_action": [ticket.pk],
                                              "index": 0})
    assert form.status_code == 200
    body = form.content.decode()
    assert "Cleo Park" in body and "not-on-the-desk" not in body and ticket.reference in body

    done = staff_client.post(reverse(QUEUE), {"action": "assign_to_someone", "_selected_action": [ticket.pk],
                                              "assignee": colleague.pk, "apply": "Assign"}, follow=True)
    assert done.status_code == 200
    ticket.refresh_from_db()
    assert ticket.assignee == colleague
    event = TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.ASSIGNED).last()
    assert event.actor == staff_client.user and event.data["force"] is True


@pytest.mark.parametrize("action, status", [("resolve", TicketStatus.RESOLVED), ("hand_back", TicketStatus.IN_PROGRESS),
                                            ("close", TicketStatus.CLOSED)])
def test_resolve_hand_back_and_close_take_tickets_off_the_queue(staff_client, action, status):
    ticket = escalated_ticket()
    other = escalated_ticket()
    response = _act(staff_client, action, [ticket])
    ticket.refresh_from_db()
    assert ticket.status == status
    assert rows(response) == [other.reference]
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.STATUS, to_status=status,
                                      actor=staff_client.user).exists()


def test_hand_back_releases_the_conversation_to_the_ai(staff_client):
    from crm.selectors import human_owns_conversation

    ticket = escalated_ticket()
    assert human_owns_conversation(conversation_id=ticket.conversation_id)
    _act(staff_client, "hand_back", [ticket])
    assert not human_owns_conversation(conversation_id=ticket.conversation_id)


# --- The ticket page ---------------------------------------------------------------------------


def test_ticket_page_shows_packet_profile_past_tickets_and_the_cross_channel_conversation(staff_client):
    KnowledgeArticle.objects.create(slug="refunds", title="Refunds and credits", body="…")
    earlier = escalated_ticket(channel="email", email="dana@example.com", content="Old question about invoices",
                               at=timezone.now() - timedelta(days=3))
    services.ticket_resolve(ticket=earlier)
    # The same customer, later, on WhatsApp: linked by their phone on the web form.
    services.customer_resolve(email="dana@example.com", phone="+14155550188")
    ticket = escalated_ticket(channel="whatsapp", phone="+14155550188",
                              content="Still charged twice!! <script>alert(1)</script>")

    page = staff_client.get(reverse("admin:crm_escalatedticket_change", args=[ticket.pk]))
    body = page.content.decode()

    assert page.status_code == 200
    # the packet, in plain words: no codes, no scores
    assert "Customer wants a refund for a duplicate charge." in body
    assert "Refund request — Billing Operations" in body
    assert "Searched the help centre for “refund duplicate charge”: found “Refunds and credits”" in body
    assert "search_knowledge_base" not in body and "refund_request" not in body and "0.71" not in body
    # the profile
    assert "dana@example.com" in body and "+14155550188" in body
    assert earlier.reference in body and ticket.reference in body
    # the conversation, both channels, in order, escaped
    old = body.index("Old question about invoices")
    new = body.index("Still charged twice!!")
    assert old < new
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>alert(1)</script>" not in body
    assert 'name="text"' in body  # the reply form


def test_the_desk_form_itself_never_saves(staff_client):
    ticket = escalated_ticket()
    response = staff_client.post(reverse("admin:crm_escalatedticket_change", args=[ticket.pk]),
                                 {"subject": "changed"})
    assert response.status_code == 405
    ticket.refresh_from_db()
    assert ticket.subject == "Charged twice"


def test_claim_resolve_from_the_ticket_page(staff_client):
    ticket = escalated_ticket()
    desk = lambda verb: reverse("admin:crm_escalatedticket_desk", args=[ticket.pk, verb])  # noqa: E731
    assert staff_client.post(desk("claim")).status_code == 302
    ticket.refresh_from_db()
    assert ticket.assignee == staff_client.user

    response = staff_client.post(desk("resolve"), {"notes": "Refunded the duplicate."})
    assert response.status_code == 302 and response.url == reverse(QUEUE)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.RESOLVED and ticket.resolution_notes == "Refunded the duplicate."
    # No longer in the queue: its desk page is gone, its record stays.
    assert staff_client.post(desk("close")).status_code == 404


def test_claiming_a_ticket_someone_holds_is_refused_on_the_page(staff_client):
    ticket = escalated_ticket()
    services.ticket_assign(ticket=ticket, assignee=member(username="dev"))
    page = staff_client.post(reverse("admin:crm_escalatedticket_desk", args=[ticket.pk, "claim"]), follow=True)
    assert "already assigned to dev" in page.content.decode()
    ticket.refresh_from_db()
    assert ticket.assignee.username == "dev"


# --- Permissions ------------------------------------------------------------------------------------


def test_support_staff_and_managers_work_the_queue(client):
    ticket = escalated_ticket()
    for user in (member("Support staff"), member("Support managers")):
        client.force_login(user)
        assert client.get(reverse(QUEUE)).status_code == 200
        assert client.get(reverse("admin:crm_escalatedticket_change", args=[ticket.pk])).status_code == 200


def test_view_only_users_see_the_queue_but_cannot_work_it(client):
    ticket = escalated_ticket()
    viewer = UserFactory(username="auditor")
    viewer.user_permissions.add(Permission.objects.get(codename="view_escalatedticket"))
    client.force_login(viewer)

    listing = client.get(reverse(QUEUE))
    assert listing.status_code == 200 and "assign_to_me" not in listing.content.decode()
    page = client.get(reverse("admin:crm_escalatedticket_change", args=[ticket.pk])).content.decode()
    assert 'name="text"' not in page and "Assign to me" not in page

    reply = client.post(reverse("admin:crm_escalatedticket_reply", args=[ticket.pk]),
                        {"channel": "email", "text": "Hello"})
    claim = client.post(reverse("admin:crm_escalatedticket_desk", args=[ticket.pk, "claim"]))
    assert reply.status_code == 403 and claim.status_code == 403
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert not Message.objects.filter(ticket=ticket, author="staff").exists()


def test_staff_without_a_desk_role_get_403(client):
    client.force_login(UserFactory(username="intern"))
    assert client.get(reverse(QUEUE)).status_code == 403


# --- The atomic claim, through the desk -------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_staff_clicking_assign_to_me_at_once_only_one_gets_it():
    ticket = escalated_ticket()
    people = [member(username="ana"), member(username="ben")]
    barrier = threading.Barrier(2)
    pages: dict[str, str] = {}

    def click(user) -> None:  # type: ignore[no-untyped-def]
        try:
            browser = Client()
            browser.force_login(user)
            barrier.wait(timeout=10)
            response = browser.post(reverse("admin:crm_escalatedticket_desk", args=[ticket.pk, "claim"]), follow=True)
            pages[user.username] = response.content.decode()
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=click, args=(user,)) for user in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    ticket.refresh_from_db()
    winner = ticket.assignee.username
    loser = next(u.username for u in people if u.username != winner)
    assert f"{ticket.reference} is yours." in pages[winner]
    assert f"already assigned to {winner}" in pages[loser]
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.ASSIGNED).count() == 1
