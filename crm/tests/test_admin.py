from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm import services
from crm.tests.factories import CustomerFactory, TicketFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_superuser=True))
    return client


def _seed(n: int) -> None:
    staff = UserFactory(username="agent-smith")
    for i in range(n):
        result = services.inbound_message_accept(
            channel=["email", "whatsapp", "web_form"][i % 3], provider_id=f"seed-{n}-{i}", content=f"hello {i}",
            email=f"seed{n}-{i}@example.com", phone=f"+1415555{n:02d}{i:02d}"[:12] if i % 3 == 1 else None,
        )
        ticket = TicketFactory(conversation=result.message.conversation)
        if i % 2:
            services.ticket_assign(ticket=ticket, assignee=staff)


@pytest.mark.parametrize("name", ["crm_ticket_changelist", "crm_customer_changelist",
                                  "crm_conversation_changelist", "crm_message_changelist"])
def test_list_pages_do_not_grow_queries_with_rows(admin_client, name):
    url = reverse(f"admin:{name}")
    _seed(3)
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(url).status_code == 200
    _seed(12)
    with CaptureQueriesContext(connection) as many:
        assert admin_client.get(url).status_code == 200
    assert len(many) == len(few), f"{name}: {len(few)} queries for 3 rows, {len(many)} for 15"


def test_ticket_search_by_email_phone_and_reference(admin_client):
    result = services.inbound_message_accept(channel="whatsapp", provider_id="wa-1", content="hi",
                                             phone="+14155550199", email="find.me@example.com")
    ticket = TicketFactory(conversation=result.message.conversation, subject="Findable")
    url = reverse("admin:crm_ticket_changelist")
    for term in ["find.me@example.com", "+14155550199", ticket.reference]:
        page = admin_client.get(url, {"q": term}).content.decode()
        assert ticket.reference in page, term
    assert ticket.reference not in admin_client.get(url, {"q": "nobody@example.com"}).content.decode()


def test_ticket_filters(admin_client):
    ticket = TicketFactory()
    services.ticket_escalate(ticket=ticket, reason="pricing_inquiry", urgency="normal", summary="price?")
    other = TicketFactory()
    url = reverse("admin:crm_ticket_changelist")
    page = admin_client.get(url, {"escalated": "yes"}).content.decode()
    assert ticket.reference in page and other.reference not in page
    page = admin_client.get(url, {"status__exact": "open"}).content.decode()
    assert other.reference in page and ticket.reference not in page


def test_conversation_transcript_is_read_only_and_escaped(admin_client):
    result = services.inbound_message_accept(channel="email", provider_id="x", content="<script>alert(1)</script>",
                                             email="x@example.com")
    page = admin_client.get(reverse("admin:crm_conversation_change", args=[result.message.conversation_id]))
    body = page.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<script>alert(1)</script>" not in body


def test_transcript_of_a_conversation_without_messages_renders_its_style_not_css_text(admin_client):
    conversation = services.conversation_for(customer=CustomerFactory(), channel="email")
    body = admin_client.get(reverse("admin:crm_conversation_change", args=[conversation.pk])).content.decode()

    assert "<style>.fte-msg{" in body
    assert "&lt;style&gt;" not in body
