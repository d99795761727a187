"""The customer's way back to a web-form ticket: signed links, the page's feedback buttons,
"find my request", and the ticket's status in the customer's words."""
from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing

from channels_app.support_links import LinkInvalid, ticket_token, ticket_token_check
from crm import services
from crm.models import Author, DeliveryStatus, Message, Ticket, TicketEvent, TicketStatus
from fte_project.celery import app as celery_app

pytestmark = pytest.mark.django_db

FORM = {"name": "Pat Lee", "email": "Pat@Example.com", "subject": "Forgot my password", "category": "account",
        "priority": "high", "message": "How do I reset my password? I forgot it."}


@pytest.fixture
def eager_celery():  # type: ignore[no-untyped-def]
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def submit(api, **change):  # type: ignore[no-untyped-def]
    response = api.post("/support/submit", data=json.dumps({**FORM, **change}), content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json()


def answer(reference: str) -> Message:
    ticket = Ticket.objects.get(reference=reference)
    inbound = Message.objects.get(ticket=ticket, author=Author.CUSTOMER)
    return services.outbound_message_record(ticket=ticket, channel="web_form", content="Choose Forgot password.",
                                            reply_to=inbound)


def test_the_submit_response_carries_a_token_that_opens_the_ticket(api) -> None:  # type: ignore[no-untyped-def]
    created = submit(api)
    reference, token = created["ticket_id"], created["token"]

    assert api.get(f"/support/ticket/{reference}?token={token}").status_code == 200
    # The reference alone (quoted in every reply) does not open the conversation.
    refused = api.get(f"/support/ticket/{reference}")
    assert refused.status_code == 403 and "Find my request" in refused.json()["detail"]
    # A token for another ticket does not open this one.
    other = submit(api, email="someone@example.com")
    assert api.get(f"/support/ticket/{reference}?token={other['token']}").status_code == 403


def test_an_expired_link_says_so(settings) -> None:  # type: ignore[no-untyped-def]
    settings.SUPPORT_LINK_MAX_AGE_DAYS = 1
    token = ticket_token(reference="TKT-ABCD1234")
    ticket_token_check(reference="tkt-abcd1234", token=token)  # the reference is not case-sensitive
    later = signing.time.time() + timedelta(days=2).total_seconds()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(signing.time, "time", lambda: later)
        with pytest.raises(LinkInvalid) as raised:
            ticket_token_check(reference="TKT-ABCD1234", token=token)
    assert raised.value.expired
    with pytest.raises(LinkInvalid):
        ticket_token_check(reference="TKT-ABCD1234", token=token[:-2] + "xx")


def test_the_page_with_a_link_opens_and_the_status_is_in_the_customers_words(api) -> None:  # type: ignore[no-untyped-def]
    created = submit(api)
    page = api.get(f"/support/?ticket={created['ticket_id']}&token={created['token']}")
    assert page.status_code == 200 and b"fte-support-root" in page.content
    assert b"<script>" not in page.content.replace(b"<script src=", b"")  # no inline script

    ticket = Ticket.objects.get(reference=created["ticket_id"])
    services.ticket_escalate(ticket=ticket, reason="knowledge_not_found", urgency="normal", summary="No article.")
    body = api.get(f"/support/ticket/{created['ticket_id']}?token={created['token']}").json()
    assert body["status"] == TicketStatus.ESCALATED and body["status_label"] == "With our support team"


def test_showing_a_reply_on_the_page_marks_it_delivered(api, mailoutbox) -> None:  # type: ignore[no-untyped-def]
    from channels_app.delivery import deliver_message

    created = submit(api)
    reply = answer(created["ticket_id"])
    assert deliver_message(message_id=reply.pk) == DeliveryStatus.SENT
    assert mailoutbox[0].to == ["pat@example.com"]  # the address typed into the form

    api.get(f"/support/ticket/{created['ticket_id']}?token={created['token']}")
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.DELIVERED


def test_feedback_buttons_resolve_or_escalate(api) -> None:  # type: ignore[no-untyped-def]
    created = submit(api)
    reply = answer(created["ticket_id"])
    url = f"/support/ticket/{created['ticket_id']}/feedback?token={created['token']}"

    response = api.post(url, data=json.dumps({"helped": False, "message_id": reply.pk}),
                        content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    assert body["status_label"] == "With our support team"
    assert body["messages"][-1]["feedback"] is False
    ticket = Ticket.objects.get(reference=created["ticket_id"])
    assert ticket.escalation_reason == "knowledge_not_found" and ticket.urgency == "high"  # the form said high

    response = api.post(url, data=json.dumps({"helped": True}), content_type="application/json")
    assert response.json()["status"] == TicketStatus.RESOLVED
    assert list(TicketEvent.objects.filter(ticket=ticket, kind="feedback").values_list("data__helped", flat=True)) == [
        False, True]


def test_feedback_needs_the_token_and_an_answer_of_this_ticket(api) -> None:  # type: ignore[no-untyped-def]
    created = submit(api)
    base = f"/support/ticket/{created['ticket_id']}/feedback"
    assert api.post(base, data=json.dumps({"helped": True}), content_type="application/json").status_code == 403
    no_answer = api.post(f"{base}?token={created['token']}", data=json.dumps({"helped": True}),
                         content_type="application/json")
    assert no_answer.status_code == 400 and "no answer from the AI" in json.dumps(no_answer.json())
    other = submit(api, email="other@example.com")
    foreign = answer(other["ticket_id"])
    wrong = api.post(f"{base}?token={created['token']}", data=json.dumps({"helped": True, "message_id": foreign.pk}),
                     content_type="application/json")
    assert wrong.status_code == 400 and "message_id" in wrong.json()["fields"]


def test_find_my_request_emails_the_links_of_open_tickets(api, mailoutbox, eager_celery) -> None:  # type: ignore[no-untyped-def]
    first = submit(api, subject="First problem")
    second = submit(api, subject="Second problem")
    services.ticket_close(ticket=Ticket.objects.get(reference=second["ticket_id"]))
    submit(api, email="somebody.else@example.com", subject="Not theirs")

    known = api.post("/support/lookup", data=json.dumps({"email": "PAT@example.com"}), content_type="application/json")
    unknown = api.post("/support/lookup", data=json.dumps({"email": "nobody@example.com"}),
                       content_type="application/json")

    # The same answer either way: nothing says whether the address has tickets.
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    [mail] = mailoutbox  # nothing is sent to an address without open tickets
    assert mail.to == ["pat@example.com"]
    assert first["ticket_id"] in mail.body and second["ticket_id"] not in mail.body and "Not theirs" not in mail.body
    link = next(line for line in mail.body.splitlines() if "/support/?ticket=" in line)
    query = parse_qs(urlsplit(link).query)
    assert api.get(f"/support/ticket/{query['ticket'][0]}?token={query['token'][0]}").status_code == 200


def test_find_my_request_is_throttled_like_submissions(api, settings, eager_celery) -> None:  # type: ignore[no-untyped-def]
    settings.WEBFORM_RATE_PER_EMAIL = "2/hour"
    codes = [api.post("/support/lookup", data=json.dumps({"email": "pat@example.com"}),
                      content_type="application/json").status_code for _ in range(3)]
    assert codes == [202, 202, 429]
    bad = api.post("/support/lookup", data=json.dumps({"email": "not an address"}), content_type="application/json")
    assert bad.status_code == 400


def test_the_browsers_time_zone_is_kept_for_replies(api) -> None:  # type: ignore[no-untyped-def]
    created = submit(api, time_zone="Europe/Madrid")
    message = Message.objects.get(ticket__reference=created["ticket_id"])
    assert message.metadata["time_zone"] == "Europe/Madrid" and message.metadata["email"] == "pat@example.com"
    odd = submit(api, time_zone="../../etc/passwd", email="x@example.com")
    assert "time_zone" not in Message.objects.get(ticket__reference=odd["ticket_id"]).metadata
