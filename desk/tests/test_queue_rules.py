"""The rules the queue runs on: the support groups, the atomic claim and SLA breaches.

They are crm's services and tasks seen from the desk; the queue's pages and staff
replies are tested in ``test_admin.py`` and ``test_staff_reply.py`` next to this file.
"""
from __future__ import annotations

import importlib
import smtplib
import threading
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group
from django.core.mail.backends.base import BaseEmailBackend
from django.db import close_old_connections, connection
from django.urls import reverse
from django.utils import timezone

from crm import services
from crm.errors import AlreadyClaimed
from crm.events import Topic
from crm.models import KnowledgeArticle, OutboxEvent, Ticket, TicketEvent, TicketStatus
from crm.tasks import mark_sla_breaches
from crm.tests.factories import TicketFactory, UserFactory

pytestmark = pytest.mark.django_db

STAFF, MANAGERS = "Support staff", "Support managers"


def _member(group: str, username: str):  # type: ignore[no-untyped-def]
    if not Group.objects.filter(name=group).exists():
        # A transactional test's flush removed the migration's groups; put them back.
        importlib.import_module("crm.migrations.0005_support_groups").create_groups(django_apps, None)
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name=group))
    return user


def _escalated(*, urgency: str = "normal", channel: str = "email", at=None, reason: str = "refund_request") -> Ticket:
    ticket = TicketFactory(conversation__initial_channel=channel)
    return services.ticket_escalate(ticket=ticket, reason=reason, urgency=urgency, summary="Needs a person.",
                                    now=at or timezone.now())


# --- Roles -------------------------------------------------------------------------------------


def test_migration_creates_both_groups_with_their_permissions():
    staff = set(Group.objects.get(name=STAFF).permissions.values_list("content_type__app_label", "codename"))
    managers = set(Group.objects.get(name=MANAGERS).permissions.values_list("content_type__app_label", "codename"))

    assert {("crm", "view_customer"), ("crm", "view_conversation"), ("crm", "view_message"), ("crm", "view_ticket"),
            ("crm", "view_escalatedticket"), ("crm", "change_escalatedticket")} <= staff
    forbidden = {("crm", "add_knowledgearticle"), ("crm", "change_knowledgearticle"),
                 ("crm", "delete_knowledgearticle"), ("crm", "view_channelconfig"), ("crm", "change_channelconfig"),
                 ("auth", "view_user"), ("auth", "change_user"), ("auth", "change_group")}
    assert not forbidden & staff
    assert staff < managers
    assert {("crm", "change_knowledgearticle"), ("crm", "add_knowledgearticle"), ("crm", "change_channelconfig"),
            ("auth", "change_user"), ("auth", "add_user")} <= managers


@pytest.fixture
def article():
    return KnowledgeArticle.objects.create(slug="refunds", title="Refunds", body="How refunds work.")


@pytest.mark.parametrize("url_name, args, method", [
    ("admin:crm_knowledgearticle_add", [], "get"),
    ("admin:crm_knowledgearticle_change", ["article"], "post"),  # readable, not changeable
    ("admin:crm_knowledgearticle_delete", ["article"], "get"),
    ("admin:crm_channelconfig_changelist", [], "get"),
    ("admin:crm_channelconfig_add", [], "get"),
    ("admin:auth_user_changelist", [], "get"),
    ("admin:auth_user_add", [], "get"),
    ("admin:auth_group_changelist", [], "get"),
])
def test_support_staff_cannot_change_knowledge_channels_or_users(client, article, url_name, args, method):
    client.force_login(_member(STAFF, "sam"))
    url = reverse(url_name, args=[article.pk if a == "article" else a for a in args])
    data = {"slug": "refunds", "title": "Hacked", "body": "x", "category": ""} if method == "post" else None
    response = getattr(client, method)(url, data) if data else getattr(client, method)(url)
    assert response.status_code == 403
    article.refresh_from_db()
    assert article.title == "Refunds"


@pytest.mark.parametrize("url_name", ["admin:crm_ticket_changelist", "admin:crm_customer_changelist",
                                      "admin:crm_conversation_changelist", "admin:crm_message_changelist",
                                      "admin:crm_knowledgearticle_changelist"])
def test_support_staff_see_customers_conversations_tickets_and_the_knowledge_base(client, url_name):
    client.force_login(_member(STAFF, "sam"))
    assert client.get(reverse(url_name)).status_code == 200


def test_support_staff_read_an_article_without_a_save_button(client, article):
    client.force_login(_member(STAFF, "sam"))
    page = client.get(reverse("admin:crm_knowledgearticle_change", args=[article.pk]))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()


@pytest.mark.parametrize("url_name, args", [
    ("admin:crm_knowledgearticle_add", []),
    ("admin:crm_knowledgearticle_change", ["article"]),
    ("admin:crm_channelconfig_changelist", []),
    ("admin:crm_channelconfig_add", []),
    ("admin:auth_user_changelist", []),
    ("admin:auth_user_add", []),
    ("admin:crm_ticket_changelist", []),
])
def test_support_managers_may(client, article, url_name, args):
    client.force_login(_member(MANAGERS, "maya"))
    assert client.get(reverse(url_name, args=[article.pk if a == "article" else a for a in args])).status_code == 200


def test_a_manager_edits_the_knowledge_base(client, article):
    client.force_login(_member(MANAGERS, "maya"))
    response = client.post(reverse("admin:crm_knowledgearticle_change", args=[article.pk]),
                           {"slug": "refunds", "title": "Refunds and credits", "body": "Updated.", "category": ""})
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.title == "Refunds and credits"


# --- The atomic claim ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_staff_claiming_at_once_only_one_wins():
    ticket = _escalated()
    first, second = _member(STAFF, "ana"), _member(STAFF, "ben")
    barrier = threading.Barrier(2)
    results: dict[str, str] = {}

    def claim(user) -> None:  # type: ignore[no-untyped-def]
        try:
            barrier.wait(timeout=10)
            services.ticket_assign(ticket=ticket, assignee=user, actor=user)
            results[user.username] = "won"
        except AlreadyClaimed:
            results[user.username] = "lost"
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=claim, args=(u,)) for u in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert sorted(results.values()) == ["lost", "won"]
    winner = next(name for name, result in results.items() if result == "won")
    ticket.refresh_from_db()
    assert ticket.assignee.username == winner
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.ASSIGNED).count() == 1


# --- SLA breaches -------------------------------------------------------------------------------


def test_breaches_are_marked_once_urgency_raised_and_staff_emailed(mailoutbox, settings):
    settings.STAFF_NOTIFY_EMAIL = "leads@loomline.example"
    long_ago = timezone.now() - timedelta(hours=30)
    late_email = _escalated(urgency="normal", channel="email", at=long_ago)  # due after 8h
    late_whatsapp = _escalated(urgency="high", channel="whatsapp", at=long_ago)  # due after 2h
    in_time = _escalated(urgency="low", channel="email")  # due in 24h
    resolved = services.ticket_resolve(ticket=_escalated(at=long_ago))  # left the queue: no breach

    marked = mark_sla_breaches()

    assert sorted(marked) == sorted([late_email.reference, late_whatsapp.reference])
    for ticket, raised in ((late_email, "high"), (late_whatsapp, "urgent")):
        ticket.refresh_from_db()
        assert ticket.sla_breached_at is not None
        assert ticket.urgency == raised
        assert ticket.status == TicketStatus.ESCALATED
        assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.SLA_BREACHED).count() == 1
    for ticket in (in_time, resolved):
        ticket.refresh_from_db()
        assert ticket.sla_breached_at is None
    events = OutboxEvent.objects.filter(topic=Topic.ESCALATIONS, payload__event="ticket.sla_breached")
    assert sorted(e.payload["reference"] for e in events) == sorted(marked)

    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["leads@loomline.example"]
    assert "2 escalated tickets" in mail.subject
    assert late_email.reference in mail.body and late_whatsapp.reference in mail.body
    assert in_time.reference not in mail.body

    # Idempotent: a second run finds nothing new and sends nothing.
    assert mark_sla_breaches() == []
    assert len(mailoutbox) == 1
    assert events.count() == 2


def test_the_breach_email_links_each_ticket_to_its_page_in_the_queue(mailoutbox, settings):
    settings.PUBLIC_BASE_URL = "https://support.loomline.example"
    late = _escalated(at=timezone.now() - timedelta(days=2))
    mark_sla_breaches()
    [mail] = mailoutbox
    queue_page = reverse("admin:crm_escalatedticket_change", args=[late.pk])
    assert f"https://support.loomline.example{queue_page}" in mail.body


def test_no_breach_no_email(mailoutbox):
    _escalated(urgency="urgent")
    assert mark_sla_breaches() == []
    assert mailoutbox == []


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):  # type: ignore[no-untyped-def]
        raise smtplib.SMTPServerDisconnected("mail server went away")


def test_a_failed_email_is_retried_for_the_same_tickets(mailoutbox, settings):
    late = _escalated(at=timezone.now() - timedelta(days=2))
    settings.EMAIL_BACKEND = "desk.tests.test_queue_rules.RefusingBackend"
    with pytest.raises(smtplib.SMTPException):
        mark_sla_breaches()  # called directly, Celery's retry re-raises
    late.refresh_from_db()
    assert late.sla_breached_at is not None  # marked even though the mail failed

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert mark_sla_breaches(notify_ids=[late.pk]) == []  # nothing newly marked …
    assert len(mailoutbox) == 1 and late.reference in mailoutbox[0].body  # … but the email went out
