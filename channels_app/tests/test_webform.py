"""The web support form: POST /support/submit, GET /support/ticket/<id>, GET /support/."""
from __future__ import annotations

import json

import pytest

from channels_app.support_links import ticket_token
from crm import services
from crm.models import Author, Channel, Message, OutboxEvent, Ticket, TicketStatus

pytestmark = pytest.mark.django_db

VALID = {
    "name": "Ana Díaz",
    "email": "Ana.Diaz@Example.com",
    "subject": "Cannot reset my password",
    "category": "account",
    "priority": "high",
    "message": "The reset email never arrives. I checked the spam folder too.",
}


def ticket_url(reference: str) -> str:
    """The ticket's API URL with the signed token the page would hold."""
    return f"/support/ticket/{reference}?token={ticket_token(reference=reference)}"


def submit(client, payload=None, **extra):  # type: ignore[no-untyped-def]
    body = json.dumps(VALID if payload is None else payload)
    return client.post("/support/submit", data=body, content_type="application/json", **extra)


def test_submission_opens_a_ticket_with_the_message(api) -> None:  # type: ignore[no-untyped-def]
    response = submit(api)

    assert response.status_code == 201
    reference = response.json()["ticket_id"]
    ticket = Ticket.objects.get(reference=reference)
    assert (ticket.source_channel, ticket.category, ticket.priority, ticket.status) == (
        "web_form", "account", "high", "open")
    assert ticket.subject == "Cannot reset my password"
    message = Message.objects.get(ticket=ticket)
    assert message.channel == Channel.WEB_FORM and message.author == Author.CUSTOMER
    assert message.content == VALID["message"]
    assert ticket.customer.email == "ana.diaz@example.com" and ticket.customer.name == "Ana Díaz"
    # The agent is queued through the outbox in the same transaction.
    assert OutboxEvent.objects.filter(topic="fte.tickets.incoming", payload__message_id=message.pk).exists()


def test_a_phone_typed_next_to_a_known_address_is_not_linked_to_that_customer(api) -> None:  # type: ignore[no-untyped-def]
    # Ana is known by email. Someone types her address and their own number into the form:
    # their later WhatsApp messages must not become Ana's (and read her history).
    ana = services.inbound_message_accept(channel="email", provider_id="g-1", content="Hello",
                                          email="ana.diaz@example.com", name="Ana Díaz").message.conversation.customer
    response = submit(api, {**VALID, "name": "Mallory", "phone": "+1 415 555 0199"})
    assert response.status_code == 201

    ticket = Ticket.objects.get(reference=response.json()["ticket_id"])
    assert ticket.customer == ana  # the claim finds the customer, like any contact ...
    assert not ana.identifiers.filter(kind="phone").exists()  # ... but adds nothing to them
    ana.refresh_from_db()
    assert ana.name == "Ana Díaz"
    assert Message.objects.get(ticket=ticket).metadata["phone"] == "+14155550199"  # kept for staff
    later = services.inbound_message_accept(channel="whatsapp", provider_id="SM-later", content="hi",
                                            phone="+14155550199").message
    assert later.conversation.customer != ana


def test_an_address_typed_next_to_a_known_phone_is_not_linked_either(api) -> None:  # type: ignore[no-untyped-def]
    known = services.inbound_message_accept(channel="whatsapp", provider_id="SM-1", content="hi",
                                            phone="+14155550123").message.conversation.customer
    response = submit(api, {**VALID, "email": "mallory@example.com", "phone": "+1 415 555 0123"})
    assert response.status_code == 201
    assert not known.identifiers.filter(kind="email").exists()
    assert services.customer_resolve(email="mallory@example.com") != known


def test_the_ticket_page_shows_only_the_forms_messages(api) -> None:  # type: ignore[no-untyped-def]
    reference = submit(api, {**VALID, "phone": "+1 415 555 0123"}).json()["ticket_id"]
    ticket = Ticket.objects.get(reference=reference)
    # A WhatsApp message from the number typed in the form joins the same conversation and ticket.
    services.inbound_message_accept(channel="whatsapp", provider_id="SM-2", content="my other secret question",
                                    phone="+14155550123", ticket=ticket)
    page = api.get(ticket_url(reference)).json()
    assert [m["channel"] for m in page["messages"]] == ["web_form"]
    assert "secret" not in json.dumps(page)


def test_form_encoded_submission_works_too(api) -> None:  # type: ignore[no-untyped-def]
    from urllib.parse import urlencode

    response = api.post("/support/submit", data=urlencode(VALID), content_type="application/x-www-form-urlencoded")
    assert response.status_code == 201
    # Multipart (file uploads) is not accepted: the form has no files.
    assert api.post("/support/submit", data=VALID).status_code == 415


def test_optional_phone_links_the_customer_across_channels(api) -> None:  # type: ignore[no-untyped-def]
    response = submit(api, {**VALID, "phone": "+1 415 555 0123"})
    assert response.status_code == 201
    ticket = Ticket.objects.get(reference=response.json()["ticket_id"])
    assert set(ticket.customer.identifiers.values_list("kind", "value")) == {
        ("email", "ana.diaz@example.com"), ("phone", "+14155550123")}


def test_a_customer_staff_entered_without_identifier_gets_the_ticket(api) -> None:  # type: ignore[no-untyped-def]
    from crm.models import Customer

    entered = Customer.objects.create(name="Ana (entered by staff)", email="ana.diaz@example.com")
    response = submit(api)

    assert response.status_code == 201
    assert Ticket.objects.get(reference=response.json()["ticket_id"]).customer == entered
    assert Customer.objects.count() == 1


@pytest.mark.parametrize(
    "change, field",
    [
        ({"email": "not-an-email"}, "email"),
        ({"name": ""}, "name"),
        ({"subject": "hi"}, "subject"),
        ({"message": "too short"}, "message"),
        ({"message": "x" * 5001}, "message"),
        ({"category": "pricing"}, "category"),
        ({"priority": "urgent"}, "priority"),
        ({"phone": "12"}, "phone"),
        ({"name": "<script>alert(1)</script>"}, "name"),
        ({"subject": 'Help <img src=x onerror="alert(1)">'}, "subject"),
        ({"message": "Hello there \u0000 null byte inside"}, "message"),
        ({"name": 0}, "name"),  # DRF's CharField would take the number as the name "0"
        ({"message": 12345678901}, "message"),
    ],
)
def test_invalid_fields_are_400_per_field_and_store_nothing(api, change, field) -> None:  # type: ignore[no-untyped-def]
    response = submit(api, {**VALID, **change})

    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "Some fields need attention."
    assert field in body["fields"]
    assert Message.objects.count() == 0 and Ticket.objects.count() == 0


@pytest.mark.parametrize("field", ["category", "priority"])
def test_a_lone_surrogate_in_a_choice_is_a_json_400_not_a_500(api, field) -> None:  # type: ignore[no-untyped-def]
    # "not a valid choice" echoes the input; a lone surrogate cannot be encoded as UTF-8.
    body = json.dumps({**VALID, field: "\ud800"}).encode()
    response = api.post("/support/submit", data=body, content_type="application/json")

    assert response.status_code == 400
    response.content.decode("utf-8")  # strict: the body is valid UTF-8
    assert field in response.json()["fields"]
    assert Message.objects.count() == 0


def test_missing_fields_are_listed(api) -> None:  # type: ignore[no-untyped-def]
    response = submit(api, {})
    assert response.status_code == 400
    assert {"name", "email", "subject", "category", "message"} <= set(response.json()["fields"])


@pytest.mark.parametrize(
    "body, content_type, status",
    [
        (b'{"name": "Ana", "email": ', "application/json", 400),  # malformed JSON
        (b"[1, 2, 3]", "application/json", 400),  # JSON, but not an object
        (b'{"name": "\xff\xfe\xfa"}', "application/json", 400),  # not UTF-8
        (json.dumps({**VALID, "message": "a lone surrogate \ud800 in a message"}).encode(), "application/json", 400),
        # Nested past the decoder's recursion limit (and well under the size limit).
        pytest.param(b"[" * 200_000, "application/json", 400, id="nested-arrays"),
        pytest.param(b'{"a":' * 40_000 + b"1" + b"}" * 40_000, "application/json", 400, id="nested-objects"),
        (b"<xml/>", "application/xml", 415),
        (b"name=Ana", "text/plain", 415),
    ],
)
def test_hostile_bodies_get_4xx_json_and_store_nothing(api, body, content_type, status) -> None:  # type: ignore[no-untyped-def]
    response = api.post("/support/submit", data=body, content_type=content_type)

    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()
    assert Message.objects.count() == 0


@pytest.mark.parametrize("charset", ["latin-1", "punycode", "utf-16", "nonsense"])
def test_a_form_declaring_a_charset_other_than_utf8_is_a_json_400(api, charset) -> None:  # type: ignore[no-untyped-def]
    from urllib.parse import urlencode

    response = api.generic("POST", "/support/submit", data=urlencode(VALID).encode(),
                           content_type=f"application/x-www-form-urlencoded; charset={charset}")

    assert response.status_code == 400
    assert "UTF-8" in response.json()["detail"]
    assert Message.objects.count() == 0


@pytest.mark.parametrize("charset", ["latin-1", "punycode", "utf-16", "utf-8", "nonsense"])
def test_json_is_read_as_utf8_whatever_charset_it_declares(api, charset) -> None:  # type: ignore[no-untyped-def]
    # RFC 8259: JSON is UTF-8; a charset parameter has no meaning for application/json.
    response = api.generic("POST", "/support/submit", data=json.dumps(VALID, ensure_ascii=False).encode(),
                           content_type=f"application/json; charset={charset}")

    assert response.status_code == 201, response.content
    assert Ticket.objects.get(reference=response.json()["ticket_id"]).customer.name == "Ana Díaz"


def test_a_body_over_the_limit_is_413(api, settings) -> None:  # type: ignore[no-untyped-def]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = submit(api, {**VALID, "message": "x" * 20_000})

    assert response.status_code == 413
    assert "too large" in response.json()["detail"] or "larger" in response.json()["detail"]
    assert Message.objects.count() == 0


def test_a_form_with_too_many_fields_is_json_400(api, settings, caplog) -> None:  # type: ignore[no-untyped-def]
    from urllib.parse import urlencode

    body = urlencode(VALID) + "&" + "&".join(f"x{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 100))
    response = api.post("/support/submit", data=body, content_type="application/x-www-form-urlencoded")

    # Django's own answer would be its HTML 400 page.
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": f"Too many fields: send at most {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS}."}
    assert any(r.name == "django.security.TooManyFieldsSent" for r in caplog.records)
    assert Message.objects.count() == 0


def test_a_form_body_over_the_limit_is_json_413(api, settings) -> None:  # type: ignore[no-untyped-def]
    from urllib.parse import urlencode

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = api.post("/support/submit", data=urlencode({**VALID, "message": "x" * 20_000}),
                        content_type="application/x-www-form-urlencoded")

    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is larger than 9 KB."}
    assert Message.objects.count() == 0


def test_html_in_the_message_is_stored_and_returned_as_text(api) -> None:  # type: ignore[no-untyped-def]
    hostile = 'My embed shows <script>alert("x")</script> instead of the board <b>bold</b>'
    reference = submit(api, {**VALID, "message": hostile}).json()["ticket_id"]

    assert Message.objects.get().content == hostile  # stored verbatim, as text
    response = api.get(ticket_url(reference))
    assert response["Content-Type"] == "application/json"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.json()["messages"][0]["content"] == hostile


def test_idempotency_key_returns_the_same_ticket(api) -> None:  # type: ignore[no-untyped-def]
    first = submit(api, HTTP_IDEMPOTENCY_KEY="3f1c2a7e-1111-4c1d-9d5e-123456789abc")
    again = submit(api, HTTP_IDEMPOTENCY_KEY="3f1c2a7e-1111-4c1d-9d5e-123456789abc")

    assert first.status_code == again.status_code == 201
    assert first.json()["ticket_id"] == again.json()["ticket_id"]
    assert Message.objects.count() == 1 and Ticket.objects.count() == 1


def test_the_same_idempotency_key_from_another_email_is_another_ticket(api) -> None:  # type: ignore[no-untyped-def]
    first = submit(api, HTTP_IDEMPOTENCY_KEY="same-key")
    other = submit(api, {**VALID, "email": "someone.else@example.com"}, HTTP_IDEMPOTENCY_KEY="same-key")

    assert first.json()["ticket_id"] != other.json()["ticket_id"]
    assert Ticket.objects.count() == 2


def test_without_a_key_two_submissions_are_two_tickets(api) -> None:  # type: ignore[no-untyped-def]
    submit(api)
    submit(api)
    assert Ticket.objects.count() == 2


def test_a_malformed_idempotency_key_is_400(api) -> None:  # type: ignore[no-untyped-def]
    response = submit(api, HTTP_IDEMPOTENCY_KEY="has spaces in it")
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["fields"]


def test_throttled_per_ip_with_retry_after(api, settings) -> None:  # type: ignore[no-untyped-def]
    settings.WEBFORM_RATE_PER_IP = "3/hour"
    codes = [submit(api, {**VALID, "email": f"person{i}@example.com"}).status_code for i in range(4)]

    assert codes == [201, 201, 201, 429]
    response = submit(api, {**VALID, "email": "person9@example.com"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["retry_after"] == int(response["Retry-After"])
    assert Ticket.objects.count() == 3


def test_throttled_per_email_across_ips(settings) -> None:  # type: ignore[no-untyped-def]
    from django.test import Client

    settings.WEBFORM_RATE_PER_EMAIL = "2/hour"
    codes = [submit(Client(REMOTE_ADDR=f"198.51.100.{i}")).status_code for i in range(3)]
    assert codes == [201, 201, 429]
    # Another address from the same machines is still welcome.
    assert submit(Client(REMOTE_ADDR="198.51.100.1"), {**VALID, "email": "other@example.com"}).status_code == 201


def test_the_email_throttle_key_holds_no_address(settings) -> None:  # type: ignore[no-untyped-def]
    from django.test import RequestFactory
    from rest_framework.request import Request
    from rest_framework.parsers import JSONParser

    from channels_app.throttles import WebFormEmailThrottle

    raw = RequestFactory().post("/support/submit", data={**VALID, "email": "Ana.Silva@Example.com"},
                                content_type="application/json")
    key = WebFormEmailThrottle().get_cache_key(Request(raw, parsers=[JSONParser()]), None)

    assert key is not None and "ana" not in key.lower() and "example" not in key.lower()
    # Case and spacing do not make a second key for the same address.
    raw = RequestFactory().post("/support/submit", data={**VALID, "email": " ana.silva@example.COM "},
                                content_type="application/json")
    assert WebFormEmailThrottle().get_cache_key(Request(raw, parsers=[JSONParser()]), None) == key


def test_a_spoofed_forwarded_for_does_not_escape_the_ip_limit(settings) -> None:  # type: ignore[no-untyped-def]
    from django.test import Client

    settings.WEBFORM_RATE_PER_IP = "2/hour"
    codes = [
        submit(Client(REMOTE_ADDR="203.0.113.50"), {**VALID, "email": f"p{i}@example.com"},
               HTTP_X_FORWARDED_FOR=f"10.0.0.{i}").status_code
        for i in range(3)
    ]
    assert codes == [201, 201, 429]


def test_ticket_status_shows_customer_visible_messages(api) -> None:  # type: ignore[no-untyped-def]
    reference = submit(api).json()["ticket_id"]
    ticket = Ticket.objects.get(reference=reference)
    services.outbound_message_record(ticket=ticket, channel="web_form", content="Hi Ana,\n\nTry this.")
    services.outbound_message_record(ticket=ticket, channel="web_form", content="internal", author=Author.SYSTEM)

    response = api.get(ticket_url(reference.lower()))

    assert response.status_code == 200
    body = response.json()
    assert body["ticket_id"] == reference and body["status"] == TicketStatus.OPEN
    assert [m["author"] for m in body["messages"]] == ["customer", "agent"]
    assert set(body["messages"][0]) == {"id", "author", "channel", "content", "created_at"}
    assert body["messages"][1]["feedback"] is None  # an AI answer the customer has not rated yet
    assert body["status_label"] == "Received"
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("reference", ["TKT-NOPE0000", "<script>", "x" * 40])
def test_unknown_ticket_is_a_json_404(api, reference) -> None:  # type: ignore[no-untyped-def]
    response = api.get(ticket_url(reference))
    assert response.status_code == 404
    assert response.json() == {"detail": "There is no ticket with this reference."}


def test_the_api_ignores_session_cookies_so_csrf_cannot_block_it() -> None:
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.cookies["sessionid"] = "whatever"
    assert submit(client).status_code == 201


def test_support_page_serves_the_bundle_mount_point(api) -> None:  # type: ignore[no-untyped-def]
    response = api.get("/support/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<div id="fte-support-root" data-api-base=""' in html
    assert "/static/support/support-form.js" in html and "/static/support/support-form.css" in html
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_openapi_schema_documents_the_support_api(api) -> None:  # type: ignore[no-untyped-def]
    response = api.get("/api/schema/", HTTP_ACCEPT="application/json")
    schema = json.loads(response.content)
    assert "/support/submit" in schema["paths"] and "/support/ticket/{ticket_id}" in schema["paths"]
    post = schema["paths"]["/support/submit"]["post"]
    assert {"201", "400", "413", "429"} <= set(post["responses"])
