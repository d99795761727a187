"""The support page in a real browser, end to end.

Headless Chromium (Debian's ``chromium``, installed by ``scripts/browser-deps``) driven by
Playwright opens ``/support/`` on a live server, fills the React form, submits it, and waits
for the agent's reply to appear on the page. Behind the page run the real pieces: the
outbox relay and a Celery worker as processes sharing this test's database, and the agent
(offline model) answering from the help centre ingested at the start of the test.

Screenshots of the key moments are kept in ``test-artifacts/browser/``.

While Playwright's sync API is open, the test thread counts as running an event loop, so the
ORM (which refuses to run there) is used only before the browser starts: the page is the
only thing the test looks at afterwards.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from fte_project.celery import app as celery_app
from tests.support.processes import ROOT, Proc, service_env, start_manage, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
SCREENSHOTS = ROOT / "test-artifacts" / "browser"
QUESTION = "How do I reset my password? I forgot it."
TICKET_REFERENCE = re.compile(r"^[A-Za-z0-9-]{3,20}$")
# Words of the "Reset your password" help-centre article (context/product-docs.md).
ARTICLE_WORDS = ("reset link", "forgot password", "choose a new password", "reset your loomline password")


@pytest.fixture
def backend(settings):
    """The help centre in the knowledge base, a Celery worker on its own queue and the outbox
    relay, all on this test's database; stopped afterwards."""
    from agent_app.knowledge.ingestion import ingest_paths

    queue = f"fte-browser-{uuid.uuid4().hex[:8]}"
    celery_app.conf.task_default_queue = queue
    env = service_env(CELERY_QUEUE=queue, CELERY_BROKER_URL=os.environ["CELERY_BROKER_URL"],
                      OUTBOX_RELAY_INTERVAL="0.1")
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)  # the relay hands messages straight to Celery
    # The worker boots while the help centre is ingested.
    worker = Proc("browser-worker", ["-m", "celery", "-A", "fte_project", "worker", "-Q", queue, "-c", "1",
                                     "--pool", "prefork", "--without-gossip", "--without-mingle",
                                     "--loglevel", "INFO", "-n", f"browser-{queue}@%h"], env)
    procs = [worker]
    try:
        report = ingest_paths([settings.BASE_DIR / "context" / "product-docs.md"], progress=False)
        assert report.files, report
        wait_until(lambda: "ready" in worker.log() or not worker.alive(), timeout=60, what="the worker to be ready")
        assert worker.alive(), worker.log()
        procs.append(start_manage("browser-relay", "run_outbox_relay", env))
        yield procs
    finally:
        for proc in procs:
            proc.stop()
        celery_app.conf.task_default_queue = settings.CELERY_TASK_DEFAULT_QUEUE


@pytest.fixture
def chromium():
    """A fresh headless Chromium (its own profile), closed afterwards."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run scripts/browser-deps (make test runs it)")
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="fte-chromium-")
    try:
        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                viewport={"width": 1100, "height": 900}, locale="en-US", timezone_id="UTC")
            context.set_default_timeout(20_000)
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def shot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.mark.timeout(180)
def test_a_customer_asks_on_the_support_page_and_sees_the_agents_answer(backend, live_server, chromium):
    from playwright.sync_api import expect

    page = chromium.pages[0] if chromium.pages else chromium.new_page()
    problems: list[str] = []
    static: dict[str, int] = {}

    def on_console(message) -> None:
        # The page has no favicon; the browser's own request for one is not the page's error.
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            problems.append(f"console.error: {message.text} ({message.location.get('url')})")

    def on_response(response) -> None:
        path = response.url.removeprefix(live_server.url)
        if path.startswith("/static/"):
            static[path.removeprefix("/static/")] = response.status
        if response.status >= 400 and path != "/favicon.ico":
            problems.append(f"HTTP {response.status}: {response.request.method} {path}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url} {r.failure}"))
    page.on("response", on_response)

    response = page.goto(f"{live_server.url}/support/", wait_until="load")
    assert response is not None and response.status == 200
    assert static.get("support/support-form.js") == 200, static
    assert static.get("support/support-form.css") == 200, static

    # The bundle replaced the fallback with the form.
    expect(page.get_by_role("heading", name="Contact support", exact=True)).to_be_visible()
    page.get_by_label("Name").fill("Pat Lee")
    page.get_by_label("Email").fill("pat@example.com")
    page.get_by_label("Category").select_option("account")
    page.get_by_label("Subject").fill("Forgot my password")
    page.get_by_label("Priority").select_option("medium")
    page.get_by_label("How can we help?").fill(QUESTION)
    shot(page, "01-form-filled")

    page.get_by_role("button", name="Send request").click()

    # The ticket number is shown at once, with the customer's message and the waiting note.
    ticket_id = page.locator(".fte-sf-ticket-id")
    expect(ticket_id).to_have_text(TICKET_REFERENCE, timeout=20_000)
    reference = ticket_id.inner_text().strip()
    expect(page.locator(".fte-sf-msg--customer .fte-sf-msg-body")).to_have_text(QUESTION)
    shot(page, "02-submitted")

    # The agent's answer arrives through relay → Celery → agent, and the form's polling shows it.
    reply = page.locator(".fte-sf-msg--reply")
    try:
        expect(reply.first).to_be_visible(timeout=90_000)
    except AssertionError:
        shot(page, "03-no-reply")
        logs = "\n\n".join(f"--- {p.name} ---\n{p.log()[-3000:]}" for p in backend)
        raise AssertionError(f"no reply for {reference} on the page after 90s\n{logs}") from None
    expect(reply.first.locator(".fte-sf-msg-author")).to_have_text("Support assistant")
    expect(page.locator(".fte-sf-waiting")).to_have_count(0)
    page.wait_for_timeout(300)  # let the layout settle for the screenshot
    final = shot(page, "03-reply-shown")

    answer = reply.first.locator(".fte-sf-msg-body").inner_text()
    assert any(w in answer.lower() for w in ARTICLE_WORDS), f"the reply does not answer from the article: {answer!r}"
    assert "follow up" not in answer.lower(), f"the agent escalated instead of answering: {answer!r}"
    assert page.locator(".fte-sf-ticket-id").inner_text().strip() == reference
    assert not problems, problems
    assert final.stat().st_size > 10_000

