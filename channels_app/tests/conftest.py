"""Fixtures for the channel tests: local fake providers and signed-request helpers."""
from __future__ import annotations

import base64
import json
import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from django.core.cache import cache
from django.test import Client

from channels_app.tasks import gmail_mailbox_sync_task
from channels_app.tests.fakes.gmail_api import FakeGmail
from channels_app.tests.fakes.google_oidc import FakeGoogleCerts
from channels_app.tests.fakes.twilio_api import FakeTwilio
from channels_app.tests.helpers import TEST_ACCOUNT_SID, gmail_push
from fte_project.celery import app as celery_app


@pytest.fixture(autouse=True)
def _fresh_cache(request: pytest.FixtureRequest) -> Iterator[None]:
    # Throttle counters live in the cache; every test starts with none. The cache is a
    # table in the test database, so only a test that may use the database clears it.
    uses_db = request.node.get_closest_marker("django_db") is not None or bool(
        {"db", "transactional_db", "live_server"} & set(request.fixturenames))
    if uses_db:
        cache.clear()
    yield
    if uses_db:
        cache.clear()


@pytest.fixture
def api() -> Client:
    return Client(REMOTE_ADDR="203.0.113.10")


@pytest.fixture
def fake_twilio(settings) -> Iterator[FakeTwilio]:  # type: ignore[no-untyped-def]
    fake = FakeTwilio(account_sid=TEST_ACCOUNT_SID, auth_token=settings.TWILIO_AUTH_TOKEN).start()
    settings.TWILIO_ACCOUNT_SID = TEST_ACCOUNT_SID
    settings.TWILIO_API_BASE_URL = fake.url
    yield fake
    fake.stop()


@pytest.fixture
def fake_gmail(settings) -> Iterator[FakeGmail]:  # type: ignore[no-untyped-def]
    fake = FakeGmail(address=settings.GMAIL_ADDRESS).start()
    settings.GMAIL_API_ENDPOINT = fake.url
    settings.GMAIL_CREDENTIALS_FILE = ""
    yield fake
    fake.stop()


@pytest.fixture
def google_certs(settings) -> Iterator[FakeGoogleCerts]:  # type: ignore[no-untyped-def]
    from channels_app.gmail import push

    # The process-wide certificate cache is keyed by URL, and a later fake may get an
    # earlier one's port (with other keys): every fake starts with an empty cache.
    push._cert_request = None
    fake = FakeGoogleCerts().start()
    settings.GMAIL_PUSH_AUDIENCE = "https://support.loomline.example/webhooks/gmail"
    settings.GMAIL_PUSH_SERVICE_ACCOUNT = "gmail-push@loomline-prod.iam.gserviceaccount.com"
    settings.GMAIL_PUSH_CERTS_URL = fake.certs_url
    yield fake
    fake.stop()
    push._cert_request = None




class GmailSyncQueue:
    """The Gmail sync tasks the push view queued, read back from the real broker.

    The test has a queue of its own on the test Redis; no worker consumes it, so the test
    decides when the queued syncs run, in-process, as a worker would run them.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.redis = redis.Redis.from_url(os.environ["CELERY_BROKER_URL"])

    @property
    def queued(self) -> list[tuple[str, int]]:
        """The (address, history id) of each sync task on the queue, oldest first."""
        found = []
        for raw in reversed(self.redis.lrange(self.name, 0, -1)):  # kombu pushes on the left
            envelope = json.loads(raw)
            assert envelope["headers"]["task"] == gmail_mailbox_sync_task.name
            args, _kwargs, _embed = json.loads(base64.b64decode(envelope["body"]))
            found.append((args[0], args[1]))
        return found

    def deliver_again(self) -> None:
        """Every queued task once more, after the others (a worker died after running them, before the ack)."""
        for raw in reversed(self.redis.lrange(self.name, 0, -1)):
            self.redis.lpush(self.name, raw)

    def run(self) -> list[dict[str, Any]]:
        """Take what was queued and run it, in order, as a worker would (retries included); their results."""
        queued = self.queued
        self.redis.delete(self.name)
        # throw=False: a retry must reach apply(), which runs it at once; .get() raises
        # whatever the last attempt raised.
        return [gmail_mailbox_sync_task.apply(args=[address, history_id], throw=False).get()
                for address, history_id in queued]


@pytest.fixture
def gmail_sync_queue() -> Iterator[GmailSyncQueue]:
    queue = GmailSyncQueue(f"gmail-sync-test-{uuid.uuid4().hex[:8]}")
    previous = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue.name
    try:
        yield queue
    finally:
        celery_app.conf.task_default_queue = previous
        queue.redis.delete(queue.name)
        queue.redis.close()


@pytest.fixture
def broker_unreachable(monkeypatch) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """The Celery broker refuses connections (a port nothing listens on) until the test ends."""

    def forget_connections() -> None:
        # The app keeps its producer pool, made for the broker of the time; kombu's registry
        # (kombu.pools.producers) keeps one per broker, so the real one is there again after.
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    forget_connections()
    # Celery reads the broker from the environment before its configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
    try:
        yield
    finally:
        monkeypatch.undo()
        forget_connections()


@pytest.fixture
def gmail_push_synced(api: Client, gmail_sync_queue: GmailSyncQueue) -> Callable[..., dict[str, Any]]:
    """POST a push as Pub/Sub does, then run the sync it queued as a worker would: the sync's result."""

    def push(body: bytes, **auth: str) -> dict[str, Any]:
        response = gmail_push(api, body, **auth)
        assert response.status_code == 202, response.content
        [result] = gmail_sync_queue.run()
        return result

    return push
