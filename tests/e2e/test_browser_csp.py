"""The Content-Security-Policy in a real browser: every page we serve works under it.

The header tests (fte_project/tests/test_content_security_policy.py) check what we send;
this one checks what Chromium does with it: no directive refuses anything on the support
page, the admin (signed in through the login form) or Swagger UI, and no request leaves
our origin.
"""
from __future__ import annotations

import pytest

from crm.tests.factories import UserFactory
from desk.tests.test_admin import escalated_ticket
from tests.e2e.test_browser import chromium  # noqa: F401 - the fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-admin-password-1"


@pytest.fixture
def ticket_id(settings) -> int:  # type: ignore[no-untyped-def]
    """A superuser and an escalated ticket, made before the browser starts (the ORM refuses to run while it is open)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    UserFactory(username="root", is_superuser=True, password=PASSWORD)
    return escalated_ticket().pk


@pytest.mark.timeout(180)
def test_pages_work_under_the_policy(ticket_id, live_server, chromium) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from playwright.sync_api import expect

    page = chromium.pages[0] if chromium.pages else chromium.new_page()
    refused: list[str] = []
    elsewhere: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("request", lambda r: elsewhere.append(r.url)
            if not r.url.startswith((live_server.url, "data:", "blob:")) else None)

    page.goto(f"{live_server.url}/support/")
    expect(page.get_by_role("heading", name="Contact support", exact=True)).to_be_visible()

    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Log out").or_(page.get_by_role("button", name="Log out"))).to_be_visible()
    for path in ("/admin/crm/ticket/", f"/admin/crm/ticket/{ticket_id}/change/", "/admin/crm/escalatedticket/",
                 f"/admin/crm/escalatedticket/{ticket_id}/change/", "/admin/auth/user/add/",
                 "/admin/crm/knowledgearticle/add/"):
        response = page.goto(f"{live_server.url}{path}", wait_until="load")
        assert response is not None and response.status == 200, path
    # A script of the admin's ran: the knowledge article's slug is filled in from its title.
    page.locator("#id_title").fill("Two factor sign in")
    page.locator("#id_title").blur()
    expect(page.locator("#id_slug")).to_have_value("two-factor-sign-in")

    page.goto(f"{live_server.url}/api/docs/")
    expect(page.get_by_text("/support/submit", exact=True).first).to_be_visible(timeout=20_000)

    assert refused == [], refused
    assert elsewhere == [], elsewhere
