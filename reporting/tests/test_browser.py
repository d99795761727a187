"""Each report page in headless Chromium, as a manager, under a strict Content-Security-Policy.

The pages are served by a live server over the hand-built scenario; every response gets a
CSP that allows only our own scripts and styles (what the security work puts in front of
admin), so an inline script or style would show up as a console error. Screenshots go to
``test-artifacts/reports/``. The ORM is used only before the browser starts (Playwright's
sync API counts as a running event loop).
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from django.conf import settings

from reporting.tests import scenario

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
SCREENSHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "reports"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
PAGES = {"overview": ("/reports/?range=7d", 8), "gaps": ("/reports/gaps/?range=7d", 1),
         "people": ("/reports/people/?range=7d", 1), "cost": ("/reports/cost/?range=30d&channel=email", 2)}


@pytest.mark.timeout(180)
def test_every_report_page_draws_its_charts(live_server, client) -> None:  # type: ignore[no-untyped-def]
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run scripts/browser-deps")
    settings.MODEL_PRICES_USD_PER_MTOK = scenario.PRICES
    scenario.build()
    client.force_login(scenario.manager())
    session = client.cookies[settings.SESSION_COOKIE_NAME].value

    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="fte-reports-")
    problems: list[str] = []
    drawn: dict[str, int] = {}
    try:
        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True, args=ARGS,
                viewport={"width": 1280, "height": 900}, locale="en-US", timezone_id="UTC")
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session,
                                  "url": live_server.url}])

            def with_csp(route):  # type: ignore[no-untyped-def]
                response = route.fetch()
                route.fulfill(response=response, headers={**response.headers, "content-security-policy": CSP})

            context.route("**/*", with_csp)
            page = context.pages[0] if context.pages else context.new_page()
            page.on("console", lambda m: problems.append(f"console.{m.type}: {m.text}")
                    if m.type == "error" and "favicon" not in (m.location.get("url") or "") else None)
            page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            for name, (path, charts) in PAGES.items():
                response = page.goto(live_server.url + path, wait_until="load")
                assert response is not None and response.status == 200, (name, response and response.status)
                page.wait_for_selector("html[data-charts-drawn]", timeout=15_000)
                drawn[name] = int(page.get_attribute("html", "data-charts-drawn") or 0)
                assert page.locator("canvas[data-chart]").count() == charts, name
                assert page.locator("canvas[data-rendered='true']").count() == charts, name
                # Chart.js sized every canvas: something was drawn, not a zero-size box.
                sizes = page.eval_on_selector_all("canvas[data-chart]", "cs => cs.map(c => c.width * c.height)")
                assert all(size > 10_000 for size in sizes), (name, sizes)
                assert page.locator("table caption").count() >= charts
                page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
            context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert drawn == {name: charts for name, (_path, charts) in PAGES.items()}
    assert not problems, problems
