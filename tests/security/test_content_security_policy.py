"""Content-Security-Policy on every page, and pages that keep to it: no inline script, no
asset from another origin (Swagger UI included)."""
from __future__ import annotations

import re

import pytest
from django.test import Client

from crm.tests.factories import TicketFactory
from desk.tests.test_admin import escalated_ticket

pytestmark = pytest.mark.django_db

_SCRIPT = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
_ASSET = re.compile(r"<(?:script|link|img)\b[^>]*?\b(?:src|href)=\"([^\"]+)\"", re.IGNORECASE)


def policy(response) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    header = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


def assert_strict_scripts(response) -> None:  # type: ignore[no-untyped-def]
    directives = policy(response)
    assert directives["script-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"] and directives["base-uri"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    html = response.content.decode()
    # Every script comes from a file: an inline one would be refused by the browser.
    assert all("src=" in attrs for attrs in _SCRIPT.findall(html)), _SCRIPT.findall(html)
    # Nothing from another origin.
    assert [url for url in _ASSET.findall(html) if re.match(r"(https?:)?//", url)] == []


@pytest.fixture
def staff_client(admin_user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(admin_user)
    return client


def test_the_admin_login_page() -> None:
    response = Client().get("/admin/login/")
    assert response.status_code == 200
    assert_strict_scripts(response)


@pytest.mark.parametrize("path", ["/admin/", "/admin/auth/user/", "/admin/auth/user/add/", "/admin/crm/ticket/",
                                  "/admin/crm/ticket/{ticket}/change/", "/admin/crm/knowledgearticle/add/",
                                  "/admin/crm/escalatedticket/", "/admin/crm/escalatedticket/{escalated}/change/"])
def test_admin_pages(staff_client, path) -> None:  # type: ignore[no-untyped-def]
    ticket, escalated = TicketFactory(), escalated_ticket()
    # A ticket's own admin page leads to the desk view (never the raw model form).
    response = staff_client.get(path.format(ticket=ticket.pk, escalated=escalated.pk), follow=True)
    assert response.status_code == 200
    assert_strict_scripts(response)


def test_the_support_page_allows_no_inline_style_either() -> None:
    response = Client().get("/support/")
    assert response.status_code == 200
    assert_strict_scripts(response)
    assert policy(response)["style-src"] == ["'self'"]
    assert "<style" not in response.content.decode()


def test_the_api_docs_serve_swagger_ui_from_our_own_static_files() -> None:
    client = Client()
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert_strict_scripts(response)
    html = response.content.decode()
    assets = _ASSET.findall(html)
    assert any(url.endswith("swagger-ui-bundle.js") for url in assets)
    for url in assets:
        served = client.get(url)
        assert served.status_code == 200, url
        b"".join(served.streaming_content) if served.streaming else served.content  # noqa: B018 - read it
    # The page's own start-up script is a file too, served by the same view.
    init = next(url for url in assets if "script" in url and "swagger-ui" not in url)
    assert client.get(init)["Content-Type"].startswith("application/javascript")
    # The online validator badge would send our schema's URL to a third party.
    assert '"validatorUrl": null' in client.get(init).content.decode()


def test_json_answers_carry_the_policy_too() -> None:
    response = Client().get("/support/ticket/TKT-NOTHERE1")
    assert response.status_code == 403  # no signed token: refused, as JSON
    assert policy(response)["default-src"] == ["'self'"]
