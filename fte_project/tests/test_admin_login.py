"""Staff sign-in throttling (django-axes): guessing an admin password stops after a few tries."""
from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "the-right-password-42"


@pytest.fixture(autouse=True)
def fast_hasher(settings):  # type: ignore[no-untyped-def]
    # The default hasher takes a noticeable fraction of a second per check; these tests check many.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def root():  # type: ignore[no-untyped-def]
    return get_user_model().objects.create_superuser("root", "root@loomline.example", PASSWORD)


def sign_in(client: Client, password: str, username: str = "root"):  # type: ignore[no-untyped-def]
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"})


def signed_in(client: Client) -> bool:
    return client.get("/admin/").status_code == 200


def test_the_right_password_is_refused_after_too_many_wrong_ones_from_that_address(root, settings) -> None:
    guesser = Client(REMOTE_ADDR="198.51.100.7")
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(guesser, f"guess-{attempt}").status_code == 200  # the form again, with an error
    locked = sign_in(guesser, "guess-last")
    assert locked.status_code == 429
    assert locked["Retry-After"] == str(15 * 60)
    page = locked.content.decode()
    assert "Too many failed sign-ins for “root”" in page and "locked for 15 minutes" in page
    assert "axes_reset_username" in page

    assert sign_in(guesser, PASSWORD).status_code == 429
    assert not signed_in(guesser)


def test_the_owner_still_signs_in_from_another_address(root, settings) -> None:
    guesser = Client(REMOTE_ADDR="198.51.100.7")
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        sign_in(guesser, f"guess-{attempt}")

    owner = Client(REMOTE_ADDR="203.0.113.20")
    assert sign_in(owner, PASSWORD).status_code == 302
    assert signed_in(owner)


def test_a_forged_forwarded_for_header_does_not_reset_the_count(root, settings) -> None:
    guesser = Client(REMOTE_ADDR="198.51.100.7")
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        guesser.post(LOGIN, {"username": "root", "password": f"guess-{attempt}"},
                     HTTP_X_FORWARDED_FOR=f"10.0.0.{attempt}")
    assert sign_in(guesser, PASSWORD).status_code == 429


def test_a_successful_sign_in_starts_the_count_again(root, settings) -> None:
    client = Client(REMOTE_ADDR="203.0.113.20")
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, f"typo-{attempt}")
    assert sign_in(client, PASSWORD).status_code == 302
    client.logout()
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, f"typo-again-{attempt}")
    assert sign_in(client, PASSWORD).status_code == 302


def test_the_lock_lifts_after_the_cool_off_or_with_axes_reset(root, settings) -> None:
    guesser = Client(REMOTE_ADDR="198.51.100.7")
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        sign_in(guesser, f"guess-{attempt}")
    assert sign_in(guesser, PASSWORD).status_code == 429

    out = StringIO()
    call_command("axes_reset", stdout=out)
    assert "attempts removed" in out.getvalue()
    assert sign_in(guesser, PASSWORD).status_code == 302

    guesser.logout()
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        sign_in(guesser, f"guess-{attempt}")
    assert sign_in(guesser, PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))
    assert sign_in(guesser, PASSWORD).status_code == 302


def test_behind_a_proxy_the_address_it_appended_counts_and_garbage_is_no_500(root, settings) -> None:
    settings.USE_X_FORWARDED_HOST = True
    guesser = Client(REMOTE_ADDR="10.0.0.2")  # the proxy
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        # The client's own entries come first; the proxy appends the address it saw.
        guesser.post(LOGIN, {"username": "root", "password": f"guess-{attempt}"},
                     HTTP_X_FORWARDED_FOR=f"10.9.9.{attempt}, 198.51.100.7")
    assert guesser.post(LOGIN, {"username": "root", "password": PASSWORD},
                        HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429
    assert guesser.post(LOGIN, {"username": "root", "password": PASSWORD},
                        HTTP_X_FORWARDED_FOR="203.0.113.20").status_code == 302

    odd = Client(REMOTE_ADDR="10.0.0.2")
    assert odd.post(LOGIN, {"username": "root", "password": "nope"}, HTTP_X_FORWARDED_FOR="not-an-address").status_code == 200
    assert odd.post(LOGIN, {"username": "root", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="not-an-address").status_code == 302
