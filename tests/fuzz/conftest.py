"""Fuzzing in the suite: the settings every fuzz test shares, and the channels' fixtures.

Budgets are small and fixed so the fuzz tests stay a part of every ``make test``: about
thirty seconds in all on our machines. Runs are reproducible: ``derandomize`` makes the
examples a function of the test alone, and no example database carries failures from one
run to the next. To look harder for a while, raise ``EXAMPLES`` locally; a failure prints
the smallest input that shows it.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import hypothesis
import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from werkzeug.test import Client as WerkzeugClient

from fte_project.wsgi import application

from channels_app.tests.conftest import (  # noqa: F401 - pytest fixtures
    _fresh_cache,
    gmail_sync_queue,
    google_certs,
)

EXAMPLES = 80


def fuzz_settings(examples: int = EXAMPLES) -> hypothesis.settings:
    return hypothesis.settings(
        max_examples=examples,
        deadline=None,  # a slow example is not a failure here; the budget is max_examples
        derandomize=True,
        database=None,
        print_blob=True,
        # Every example shares the test's database transaction and fixtures, on purpose.
        suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture, hypothesis.HealthCheck.too_slow,
                               hypothesis.HealthCheck.data_too_large, hypothesis.HealthCheck.filter_too_much],
    )


@pytest.fixture
def generous_limits(settings) -> None:  # type: ignore[no-untyped-def]
    """Throttles off in effect: a fuzzer's hundreds of requests should reach the views, not the 429."""
    settings.WEBFORM_RATE_PER_IP = settings.WEBFORM_RATE_PER_EMAIL = settings.WEBFORM_STATUS_RATE = "1000000/hour"


@pytest.fixture
def wsgi_in_test_transaction() -> Iterator[None]:
    """Requests through the real WSGI handler inside the test's transaction.

    The handler closes "old" database connections when a request starts and ends; inside
    the test's transaction that closes the test's own connection. Django's test client
    disconnects the same signal handlers for the same reason.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@dataclass
class Answer:
    status_code: int
    headers: dict[str, str]
    content: bytes

    def __getitem__(self, name: str) -> str:
        return self.headers[name]

    def json(self) -> Any:
        return json.loads(self.content)


class WSGIClient:
    """Requests straight into ``fte_project.wsgi.application``, as gunicorn makes them.

    Not Django's test client: that one builds its own request objects and re-raises a
    view's exception, while this is the path a request from outside takes (our request
    class included), and a 5xx comes back as the answer it would be.
    """

    def __init__(self) -> None:
        self._client = WerkzeugClient(application)

    def request(self, method: str, path: str, *, body: bytes = b"", content_type: str | None = None,
                query: str = "", headers: dict[str, str] | None = None) -> Answer:
        headers = dict(headers or {})
        if content_type is not None:
            headers["Content-Type"] = content_type
        response = self._client.open(path, method=method, data=body, query_string=query, headers=headers,
                                     environ_base={"REMOTE_ADDR": "203.0.113.10"})
        return Answer(response.status_code, dict(response.headers), response.get_data())


@pytest.fixture
def wsgi(wsgi_in_test_transaction) -> WSGIClient:  # type: ignore[no-untyped-def]
    return WSGIClient()
