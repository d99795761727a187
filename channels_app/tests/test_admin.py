"""Admin pages of the channels' own state render for staff."""
from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from channels_app.gmail.sandbox import deposit
from channels_app.models import GmailMailbox
from channels_app.tests.helpers import make_mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):  # type: ignore[no-untyped-def]
    user = get_user_model().objects.create_superuser("root", "root@loomline.example", "pass-word-123")
    client.force_login(user)
    return client


def test_gmail_mailbox_and_sandbox_mail_pages(admin_client) -> None:  # type: ignore[no-untyped-def]
    GmailMailbox.objects.create(address="support@loomline.example", history_id=42)
    mail = deposit(raw=make_mail(subject="Hello <b>there</b>"))

    assert admin_client.get("/admin/channels_app/gmailmailbox/").status_code == 200
    listing = admin_client.get("/admin/channels_app/sandboxmailmessage/")
    assert listing.status_code == 200
    assert b"Hello &lt;b&gt;there&lt;/b&gt;" in listing.content  # escaped, never rendered
    detail = admin_client.get(f"/admin/channels_app/sandboxmailmessage/{mail.pk}/change/")
    assert detail.status_code == 200 and b"ana.diaz@example.com" in detail.content
