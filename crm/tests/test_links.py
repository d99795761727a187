"""Links to a ticket in what crm sends staff: its record, or the page an app above registers."""
from __future__ import annotations

import pytest
from django.urls import reverse

from crm import links


@pytest.fixture
def no_registered_page(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(links, "_builder", None)


def test_without_a_registered_page_a_link_goes_to_the_ticket_record(settings, no_registered_page):  # type: ignore
    settings.PUBLIC_BASE_URL = "https://support.loomline.example"
    record = reverse("admin:crm_ticket_change", args=[42])
    assert links.ticket_url(ticket_id=42) == f"https://support.loomline.example{record}"


def test_a_registered_page_is_where_links_go(settings, no_registered_page):  # type: ignore[no-untyped-def]
    settings.PUBLIC_BASE_URL = "https://support.loomline.example"
    links.register_ticket_url(lambda ticket_id: f"/queue/{ticket_id}/")
    assert links.ticket_url(ticket_id=42) == "https://support.loomline.example/queue/42/"
