"""The support page in a real browser, end to end.

Headless Chromium (Debian's ``chromium``, installed by ``scripts/browser-deps``) driven by
Playwright opens ``/support/`` on a live server, fills the React form, submits it, and waits
for the agent's reply to appear on the page. Behind the page run the real pieces: the
outbox relay and a Celery worker as processes sharing this test's database, and the agent
(offline model) answering from the help centre ingested at the start of the test.

Screenshots of the key moments are kept in ``test-artifacts/browser/``, at 1280 and 390 px
wide for the customer's ticket page.

While Playwright's sync API is open, the test thread counts as running an event loop, so the
ORM (which refuses to run there) is used either before the browser starts or from another
thread (``in_thread``), the way a member of staff works in another process.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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
    # Mail goes to files the test reads (the logs redact links' tokens, as they should).
    mail_dir = Path(tempfile.mkdtemp(prefix="fte-mail-"))
    env = service_env(CELERY_QUEUE=queue, CELERY_BROKER_URL=os.environ["CELERY_BROKER_URL"],
                      OUTBOX_RELAY_INTERVAL="0.1", EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
                      EMAIL_FILE_PATH=str(mail_dir))
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
        worker.mail_dir = mail_dir
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


def in_thread(work: Callable[[], Any]) -> Any:
    """Run ORM work outside the thread Playwright holds (see the module's docstring)."""
    from django.db import connection

    def run() -> Any:
        try:
            return work()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result(timeout=60)


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
    page.get_by_label(re.compile(r"^Email")).fill("pat@example.com")
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



STAFF_REPLY = "I have sent a new reset link to pat.lee@example.com; it works for an hour."


def watch_problems(page, live_server) -> list[str]:
    problems: list[str] = []

    def on_console(message) -> None:
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            problems.append(f"console.error: {message.text} ({message.location.get('url')})")

    def on_response(response) -> None:
        path = response.url.removeprefix(live_server.url)
        if response.status >= 400 and path != "/favicon.ico":
            problems.append(f"HTTP {response.status}: {response.request.method} {path}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("response", on_response)
    return problems


def fits_the_width(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at {page.viewport_size['width']}px"


def staff_reply(reference: str) -> None:
    """A member of staff answers the escalated ticket from the desk (the desk's own service)."""
    from django.contrib.auth import get_user_model

    from crm.models import Ticket
    from desk.staff_reply import staff_reply_send

    maya, _ = get_user_model().objects.get_or_create(username="maya", defaults={
        "first_name": "Maya", "is_staff": True, "email": "maya@loomline.example"})
    staff_reply_send(ticket=Ticket.objects.get(reference=reference), user=maya, text=STAFF_REPLY)


def staff_reply_state(reference: str) -> dict[str, Any]:
    from crm.models import Author, Message

    reply = Message.objects.get(ticket__reference=reference, author=Author.STAFF)
    return {"status": reply.delivery_status, "emailed_to": (reply.metadata.get("emailed") or {}).get("to")}


@pytest.mark.timeout(300)
def test_a_customer_says_the_answer_did_not_help_and_sees_the_staff_reply_without_reloading(
        backend, live_server, chromium):
    from playwright.sync_api import expect

    page = chromium.pages[0] if chromium.pages else chromium.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    problems = watch_problems(page, live_server)
    page.goto(f"{live_server.url}/support/", wait_until="load")
    expect(page.get_by_role("heading", name="Contact support", exact=True)).to_be_visible()
    fits_the_width(page)
    shot(page, "customer-390-01-form")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_label("Name").fill("Pat Lee")
    page.get_by_label(re.compile(r"^Email")).fill("pat.lee@example.com")
    page.get_by_label("Category").select_option("account")
    page.get_by_label("Subject").fill("Forgot my password")
    page.get_by_label("Priority").select_option("high")
    page.get_by_label("How can we help?").fill(QUESTION)
    page.get_by_role("button", name="Send request").click()

    ticket_id = page.locator(".fte-sf-ticket-id")
    expect(ticket_id).to_have_text(TICKET_REFERENCE, timeout=20_000)
    reference = ticket_id.inner_text().strip()
    # The address bar is now the ticket's link.
    assert f"ticket={reference}" in page.url and "token=" in page.url

    answer = page.locator(".fte-sf-msg--reply").first
    try:
        expect(answer).to_be_visible(timeout=90_000)
    except AssertionError:
        shot(page, "customer-1280-no-answer")
        logs = "\n\n".join(f"--- {p.name} ---\n{p.log()[-3000:]}" for p in backend)
        raise AssertionError(f"no AI answer for {reference} after 90s\n{logs}") from None
    expect(answer.locator(".fte-sf-msg-author")).to_have_text("Support assistant")
    feedback = page.get_by_role("group", name="Did this answer help?")
    expect(feedback).to_be_visible()
    page.wait_for_timeout(300)
    fits_the_width(page)
    shot(page, "customer-1280-02-ai-answer")

    # No full page load from here on: a marker on window survives only without a reload.
    page.evaluate("window.__sameDocument = true")
    feedback.get_by_role("button", name="This didn’t help").click()
    expect(page.locator(".fte-sf-badge")).to_have_text(re.compile("With our support team"))
    expect(page.get_by_text("A person from our support team now has your request")).to_be_visible()
    shot(page, "customer-1280-03-escalated")

    in_thread(lambda: staff_reply(reference))

    staff = page.locator(".fte-sf-msg--reply", has_text=STAFF_REPLY)
    try:
        expect(staff).to_be_visible(timeout=60_000)
    except AssertionError:
        shot(page, "customer-1280-no-staff-reply")
        logs = "\n\n".join(f"--- {p.name} ---\n{p.log()[-3000:]}" for p in backend)
        raise AssertionError(f"the staff reply on {reference} never reached the open page\n{logs}") from None
    expect(staff.locator(".fte-sf-msg-author")).to_have_text("Support team")
    assert page.evaluate("window.__sameDocument === true"), "the page reloaded to show the staff reply"
    page.wait_for_timeout(300)
    fits_the_width(page)
    shot(page, "customer-1280-04-staff-reply")

    # The reply was also emailed (file backend in the worker) with a link to the ticket page,
    # and the desk sees what really happened: shown on the page ("delivered"), emailed to the form's address.
    worker = backend[0]

    def mailed_lines() -> list[str]:
        return [line.strip() for mail in sorted(worker.mail_dir.glob("*.log"))
                for line in mail.read_text(errors="replace").splitlines()]

    wait_until(lambda: any(f"/support/?ticket={reference}" in line for line in mailed_lines()), timeout=30,
               what="the reply email")
    link = next(line for line in mailed_lines() if f"/support/?ticket={reference}" in line)
    wait_until(lambda: in_thread(lambda: staff_reply_state(reference))["status"] == "delivered", timeout=45,
               what="the staff reply to be marked delivered (shown on the page)")
    assert in_thread(lambda: staff_reply_state(reference))["emailed_to"] == "pat.lee@example.com"

    # A reload opens the same ticket from the address bar; the emailed link does too.
    page.reload(wait_until="load")
    expect(page.get_by_role("heading", name=f"Your request {reference}")).to_be_visible()
    expect(page.locator(".fte-sf-msg--reply", has_text=STAFF_REPLY)).to_be_visible()
    emailed = page.context.new_page()
    emailed.set_viewport_size({"width": 390, "height": 844})
    parts = urlsplit(link)
    emailed.goto(f"{live_server.url}{parts.path}?{parts.query}", wait_until="load")
    expect(emailed.locator(".fte-sf-msg--reply", has_text=STAFF_REPLY)).to_be_visible()
    emailed.wait_for_timeout(300)
    fits_the_width(emailed)
    shot(emailed, "customer-390-05-ticket-from-email-link")
    emailed.close()
    assert not problems, problems
