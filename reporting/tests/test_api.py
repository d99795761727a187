"""The management API: tokens, the managers-only rule, throttling, and each endpoint's answers."""
from __future__ import annotations

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from crm.tests.factories import UserFactory
from reporting.tests import scenario

pytestmark = pytest.mark.django_db


@pytest.fixture
def day(settings):  # type: ignore[no-untyped-def]
    settings.MODEL_PRICES_USD_PER_MTOK = scenario.PRICES
    return scenario.build()


def client_for(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def test_without_a_token_401_and_for_staff_403() -> None:
    assert APIClient().get("/metrics/channels").status_code == 401
    staff = client_for(UserFactory(username="plain"))
    response = staff.get("/metrics/channels")
    assert response.status_code == 403 and "Support managers" in response.json()["detail"]
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert bad.get("/customers/lookup?email=a@b.example").status_code == 401


def test_channel_metrics(day) -> None:  # type: ignore[no-untyped-def]
    response = client_for(scenario.manager()).get("/metrics/channels?hours=24")
    assert response.status_code == 200, response.content
    rows = {r["channel"]: r for r in response.json()["channels"]}
    assert rows["email"]["messages"] == 6 and rows["email"]["inbound_messages"] == 3
    assert rows["email"]["conversations"] == 3 and rows["email"]["escalations"] == 1
    assert rows["email"]["escalation_rate"] == pytest.approx(1 / 3)
    assert rows["whatsapp"]["ai_resolved"] == 1  # B confirmed
    assert rows["email"]["ai_resolved"] == 1  # A assumed (F still pending)
    assert 30 <= rows["email"]["first_response_p50_seconds"] <= 30 * 1.05
    assert rows["email"]["average_sentiment"] == pytest.approx((0.5 - 0.5 + 0.4) / 3)
    longer = client_for(scenario.manager("boss2")).get("/metrics/channels?hours=72")
    assert longer.status_code == 200 and longer.json()["hours"] == 72


@pytest.mark.parametrize("hours", ["0", "-1", "abc", "100000", "1.5"])
def test_channel_metrics_bad_hours_400(hours: str) -> None:
    response = client_for(scenario.manager()).get(f"/metrics/channels?hours={hours}")
    assert response.status_code == 400 and "hours" in response.json()["fields"]


def test_conversation(day) -> None:  # type: ignore[no-untyped-def]
    client = client_for(scenario.manager())
    conversation = day.tickets["C"].conversation
    body = client.get(f"/conversations/{conversation.pk}").json()
    assert body["customer"]["email"] == "cat@example.com"
    assert [m["author"] for m in body["messages"]] == ["customer", "agent", "customer"]
    assert [t["reference"] for t in body["tickets"]] == [day.tickets["C"].reference]
    assert client.get("/conversations/999999999").status_code == 404
    for bad in ("abc", "0", "99999999999999999999999"):
        response = client.get(f"/conversations/{bad}")
        assert response.status_code == 400, (bad, response.content)


def test_customer_lookup_by_email_and_normalised_phone(day) -> None:  # type: ignore[no-untyped-def]
    client = client_for(scenario.manager())
    by_email = client.get("/customers/lookup?email= ANN@Example.com ")
    assert by_email.status_code == 200
    assert [t["reference"] for t in by_email.json()["tickets"]] == [day.tickets["A"].reference]
    by_phone = client.get("/customers/lookup", {"phone": "whatsapp:+1 415-555-0001"})
    assert by_phone.status_code == 200, by_phone.content
    assert {"kind": "phone", "value": "+14155550001"} in by_phone.json()["identifiers"]
    assert client.get("/customers/lookup?email=nobody@example.com").status_code == 404
    for query in ("", "?email=a@b.example&phone=%2B14155550001", "?email=not-an-email", "?phone=12",
                  "?phone=%F0%9F%98%80", "?email=" + "a" * 400):
        response = client.get(f"/customers/lookup{query}")
        assert response.status_code == 400, (query, response.content)
        assert response.json()["detail"]


def test_rate_limited(settings) -> None:  # type: ignore[no-untyped-def]
    from rest_framework.throttling import ScopedRateThrottle

    ScopedRateThrottle.THROTTLE_RATES = {"management": "3/minute"}
    try:
        client = client_for(scenario.manager())
        codes = [client.get("/customers/lookup?email=x@example.com").status_code for _ in range(4)]
    finally:
        ScopedRateThrottle.THROTTLE_RATES = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert codes == [404, 404, 404, 429]


def test_create_api_token_command(capsys) -> None:  # type: ignore[no-untyped-def]
    boss = scenario.manager()
    call_command("create_api_token", "boss")
    key = capsys.readouterr().out.strip()
    assert Token.objects.get(user=boss).key == key
    call_command("create_api_token", "boss")
    assert capsys.readouterr().out.strip() == key
    call_command("create_api_token", "boss", "--reset")
    assert capsys.readouterr().out.strip() != key


def test_the_schema_documents_the_management_api(client) -> None:  # type: ignore[no-untyped-def]
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert {"/metrics/channels", "/conversations/{conversation_id}", "/customers/lookup"} <= set(schema["paths"])
