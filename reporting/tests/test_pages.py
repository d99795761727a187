"""The report pages: who may see them, the range and channel filter, tables, CSV exports, drafts."""
from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from crm.tests.factories import UserFactory
from reporting.models import ArticleDraft
from reporting.tests import scenario

pytestmark = pytest.mark.django_db
PAGES = ["reporting:overview", "reporting:gaps", "reporting:people", "reporting:cost", "reporting:daily_list"]


@pytest.fixture
def day(settings):  # type: ignore[no-untyped-def]
    settings.MODEL_PRICES_USD_PER_MTOK = scenario.PRICES
    return scenario.build()


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_go_to_login_staff_get_403(client, name: str) -> None:  # type: ignore[no-untyped-def]
    response = client.get(reverse(name))
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    client.force_login(UserFactory(username="staffer"))
    assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", PAGES)
def test_managers_and_superusers_see_every_page(client, day, name: str) -> None:  # type: ignore[no-untyped-def]
    client.force_login(scenario.manager())
    for query in ("", "?range=today", "?range=30d&channel=email", "?range=custom&start=2026-01-01&end=2026-01-31",
                  "?range=nonsense&channel=pigeon&start=x"):
        response = client.get(reverse(name) + query)
        assert response.status_code == 200, (query, response.content[:300])
    client.force_login(UserFactory(username="root", is_superuser=True))
    assert client.get(reverse(name)).status_code == 200


def test_the_overview_shows_figures_charts_and_tables(client, day) -> None:  # type: ignore[no-untyped-def]
    client.force_login(scenario.manager())
    html = client.get(reverse("reporting:overview") + "?range=7d").content.decode()
    assert "reporting/vendor/chart.umd.min.js" in html and "reporting/reports.js" in html
    assert html.count('<canvas data-chart=') == 8
    assert 'id="chart-escalation-rate" type="application/json"' in html
    assert "33.3 %" in html  # the AI resolution and escalation rates
    assert "<script>" not in html  # only external scripts and JSON data blocks (CSP)
    assert 'style="' not in html.split("<body", 1)[1]


def test_csv_exports_every_table_and_the_tickets(client, day) -> None:  # type: ignore[no-untyped-def]
    client.force_login(scenario.manager())
    for name in ("messages-per-day", "conversations-per-day", "ai-resolution", "escalation-rate",
                 "escalation-reasons", "response-times", "sla", "sentiment", "knowledge-gaps", "people",
                 "cost-per-day", "cost-by-model", "cost-summary"):
        response = client.get(reverse("reporting:export", args=[name]) + "?range=7d")
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv"), name
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert len(rows) >= 2, name
    people = list(csv.reader(io.StringIO(b"".join(client.get(
        reverse("reporting:export", args=["people"]) + "?range=7d").streaming_content).decode())))
    assert people[1][:3] == ["Sam Rivera", "2", "1"]
    tickets = list(csv.reader(io.StringIO(b"".join(client.get(
        reverse("reporting:export", args=["tickets"]) + "?range=7d").streaming_content).decode())))
    assert len(tickets) == 7 and tickets[0][0] == "reference"
    assert {row[0] for row in tickets[1:]} == {t.reference for t in day.tickets.values()}
    assert client.get(reverse("reporting:export", args=["nope"])).status_code == 404


def test_a_knowledge_gap_cluster_starts_a_draft(client, day) -> None:  # type: ignore[no-untyped-def]
    client.force_login(scenario.manager())
    page = client.get(reverse("reporting:gaps") + "?range=7d").content.decode()
    assert "Can I print my timeline to PDF?" in page and "Save as PDF" in page
    response = client.post(reverse("reporting:draft_start"),
                           {"range": "7d", "ticket": [str(day.tickets["D"].pk)]})
    draft = ArticleDraft.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/reporting/articledraft/{draft.pk}/change/")
    assert draft.status == "draft" and "Save as PDF" in draft.body and draft.source_ticket_ids == [day.tickets["D"].pk]
    assert client.get(response["Location"]).status_code == 200
