"""The support desk in a real browser: staff answer from the admin home, the layouts at
1280 and 390 px, and the warning when a colleague has the same ticket open.

Headless Chromium (Debian's ``chromium``, ``scripts/browser-deps``) driven by Playwright
against a live server. Staff log in through the admin's login page. Celery runs eagerly in
the server's thread, so a reply is delivered (web form) before the page comes back.

While Playwright's sync API is open the test thread counts as running an event loop, so the
ORM is used only before the browser starts. Screenshots go to ``test-artifacts/desk/``.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.processes import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = ROOT / "test-artifacts" / "desk"
PASSWORD = "pass-word-123"  # crm.tests.factories.UserFactory's


@pytest.fixture
def desk_data(celery_eager):  # type: ignore[no-untyped-def]
    """A desk with work on it: six tickets in different states, two staff, a canned reply."""
    from crm import services
    from desk.models import CannedReply
    from desk.tests.test_admin import escalated_ticket, member

    maya = member(username="maya", first_name="Maya", last_name="Ortiz")
    leo = member(username="leo", first_name="Leo", last_name="Brandt")
    now = timezone.now()
    target = escalated_ticket(channel="web_form", name="Dana Reyes", email="dana.reyes@example.com",
                              content="I was charged twice for March. Please refund the duplicate payment of "
                                      "$49 to the card ending 4242.", urgency="high",
                              at=now - timedelta(minutes=20))
    for i, (channel, reason, urgency, minutes) in enumerate([
        ("email", "security_incident", "urgent", 50), ("whatsapp", "negative_sentiment", "high", 200),
        ("email", "pricing_inquiry", "normal", 600), ("web_form", "knowledge_not_found", "low", 30),
    ]):
        ticket = escalated_ticket(channel=channel, reason=reason, urgency=urgency, name=f"Customer {i} Longname",
                                  content="A question the help centre could not answer, with some detail.",
                                  at=now - timedelta(minutes=minutes))
        if i == 1:
            services.ticket_assign(ticket=ticket, assignee=leo)
        if i == 2:
            services.ticket_assign(ticket=ticket, assignee=maya)
    CannedReply.objects.create(title="Refund issued",
                               body="I've refunded the duplicate charge, {first_name}. It shows within 5 days.")
    return {"maya": maya, "leo": leo, "target": target.reference, "target_id": target.pk}


@pytest.fixture
def browser():  # type: ignore[no-untyped-def]
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run scripts/browser-deps (make test runs it)")
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="fte-desk-chromium-")
    try:
        with sync_playwright() as pw:
            instance = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                yield instance
            finally:
                instance.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def _page(browser, live_server, username: str, width: int, height: int, problems: list[str]):  # type: ignore
    context = browser.new_context(viewport={"width": width, "height": height}, locale="en-US", timezone_id="UTC")
    context.set_default_timeout(20_000)
    page = context.new_page()
    # The admin has no favicon; the browser's own request for one is not the page's error.
    page.on("console", lambda m: problems.append(f"console.{m.type}: {m.text} ({m.location.get('url')})")
            if m.type == "error" and not m.location.get("url", "").endswith("/favicon.ico") else None)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    return page


def shot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def _no_sideways_scroll(page) -> None:  # type: ignore[no-untyped-def]
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport + 1, f"the page scrolls sideways: {width}px wide in a {viewport}px window"


@pytest.mark.timeout(180)
def test_staff_answer_from_the_home_page_in_three_clicks(desk_data, live_server, browser):
    from playwright.sync_api import expect

    problems: list[str] = []
    page = _page(browser, live_server, "maya", 1280, 800, problems)

    # The home: the counts, each a link to the queue filtered the same way.
    expect(page.locator("#fte-card-unassigned .fte-count")).to_have_text("3")
    expect(page.locator("#fte-card-mine .fte-count")).to_have_text("1")
    expect(page.locator("#fte-badge .fte-badge-count")).to_have_text("4")
    shot(page, "1280-1-home")

    page.click("#fte-card-unassigned")  # 1
    expect(page.locator("#fte-total")).to_have_text("3 tickets of 5")
    # The key columns fit: the table is no wider than its box (nothing scrolled off to the right).
    overflow = page.evaluate("(() => { const r = document.querySelector('.results');"
                             " return r.scrollWidth - r.clientWidth; })()")
    assert overflow <= 0, f"the queue table is {overflow}px wider than its box"
    expect(page.locator("#result_list thead th").last).to_have_text("Waiting")
    expect(page.locator("#result_list thead th").last).to_be_in_viewport()
    _no_sideways_scroll(page)
    shot(page, "1280-2-queue")

    page.get_by_role("link", name=desk_data["target"]).click()  # 2
    # The conversation and the reply box are above the fold.
    expect(page.locator("#fte-conversation")).to_contain_text("charged twice for March")
    box = page.locator("#fte-send").bounding_box()
    assert box is not None and box["y"] + box["height"] <= 800, f"the send button is below the fold: {box}"
    expect(page.locator("#fte-packet")).to_contain_text("Refund request — Billing Operations")
    _no_sideways_scroll(page)
    page.select_option("#fte-macro", label="Refund issued")
    expect(page.locator("#fte-reply-text")).to_have_value(
        "I've refunded the duplicate charge, Dana. It shows within 5 days.")
    shot(page, "1280-3-ticket")

    page.click("#fte-send")  # 3
    # Emailed to the form's address ("Sent"); "Delivered" once the customer's page has shown it.
    expect(page.locator(".messagelist")).to_contain_text("Reply sent by Web form (Sent)")
    expect(page.locator(".fte-status")).to_have_text("Waiting on customer")
    expect(page.locator("#fte-conversation")).to_contain_text("refunded the duplicate charge, Dana")
    shot(page, "1280-4-replied")
    assert not problems, problems


@pytest.mark.timeout(180)
def test_the_desk_on_a_phone(desk_data, live_server, browser):
    from playwright.sync_api import expect

    problems: list[str] = []
    page = _page(browser, live_server, "maya", 390, 844, problems)
    expect(page.locator("#fte-card-unassigned .fte-count")).to_have_text("3")
    _no_sideways_scroll(page)
    shot(page, "390-1-home")

    page.click("#fte-card-unassigned")
    expect(page.locator("#fte-total")).to_have_text("3 tickets of 5")
    shot(page, "390-2-queue")

    page.goto(f"{live_server.url}/admin/crm/escalatedticket/{desk_data['target_id']}/change/")
    expect(page.locator("#fte-conversation")).to_contain_text("charged twice for March")
    _no_sideways_scroll(page)
    shot(page, "390-3-ticket")
    page.locator("#fte-reply").scroll_into_view_if_needed()
    shot(page, "390-4-reply")
    assert not problems, problems


@pytest.mark.timeout(180)
def test_a_colleague_with_the_ticket_open_is_shown_and_their_typing_too(desk_data, live_server, browser):
    from playwright.sync_api import expect

    problems: list[str] = []
    url = f"{live_server.url}/admin/crm/escalatedticket/{desk_data['target_id']}/change/"
    maya = _page(browser, live_server, "maya", 1280, 800, problems)
    leo = _page(browser, live_server, "leo", 1280, 800, problems)
    maya.goto(url)
    leo.goto(url)
    expect(leo.locator("#fte-presence")).to_contain_text("Maya Ortiz has this ticket open", timeout=25_000)

    maya.fill("#fte-reply-text", "")
    maya.type("#fte-reply-text", "Hello Dana")
    expect(leo.locator("#fte-presence")).to_contain_text("Maya Ortiz is typing a reply", timeout=25_000)
    shot(leo, "1280-5-collision")
    assert not problems, problems
