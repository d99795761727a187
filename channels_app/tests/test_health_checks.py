"""/health's channel entries: how each channel sends, the Gmail watch, the last inbound message,
the cache, and the bridge's lag as a warning rather than a failure."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from channels_app import bridge, kafka_io
from channels_app.models import GmailMailbox
from crm import services
from crm.models import Channel

pytestmark = pytest.mark.django_db


def _channels(client) -> dict:
    return client.get("/health").json()["checks"]["channels"]


def test_each_channel_reports_its_sender_and_last_inbound(client):
    services.inbound_message_accept(channel=Channel.WHATSAPP, provider_id="SM" + "a" * 32, content="Hi there",
                                    phone="+14155550100", received_at=timezone.now() - timedelta(minutes=3))
    check = _channels(client)
    assert check["ok"] and check["warnings"] == []  # development mode: the sandbox is expected
    whatsapp, email = check["channels"]["whatsapp"], check["channels"]["email"]
    assert whatsapp["sender"] == "sandbox" and email["sender"] == "sandbox"
    assert 170 <= whatsapp["last_inbound_age_s"] <= 240 and whatsapp["last_inbound_at"]
    assert email["last_inbound_at"] is None and check["channels"]["web_form"]["last_inbound_at"] is None
    assert whatsapp["ai_replies"] == "on"


def test_outside_development_a_sandbox_channel_is_degraded(client, settings):
    settings.DEV_MODE = False
    settings.TWILIO_ACCOUNT_SID = ""
    body = client.get("/health").json()
    assert body["status"] == "degraded" and "channels" in body["degraded"]
    assert any("WhatsApp replies are recorded, not sent" in w for w in body["checks"]["channels"]["warnings"])
    settings.TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    assert _channels(client)["channels"]["whatsapp"]["sender"] == "twilio"


def test_a_gmail_watch_about_to_lapse_warns(client, settings):
    settings.GMAIL_API_ENDPOINT = "http://127.0.0.1:9/"  # a real Gmail client: not the sandbox
    settings.HEALTH_GMAIL_WATCH_MIN_HOURS = 24
    assert any("no Pub/Sub watch" in w for w in _channels(client)["warnings"])
    GmailMailbox.objects.create(address=settings.GMAIL_ADDRESS.lower(),
                                watch_expiration=timezone.now() + timedelta(hours=5))
    check = _channels(client)
    assert 4.9 <= check["channels"]["email"]["watch_expires_in_h"] <= 5.0
    assert any("lapses in" in w and "threshold 24 h" in w for w in check["warnings"])
    GmailMailbox.objects.update(watch_expiration=timezone.now() + timedelta(days=6))
    assert _channels(client)["warnings"] == []


def test_the_cache_check_round_trips(client):
    check = client.get("/health").json()["checks"]["cache"]
    assert check == {**check, "ok": True, "backend": "DatabaseCache", "warnings": []}


def test_an_unreachable_cache_degrades_but_does_not_fail(client, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}
    response = client.get("/health")
    assert response.status_code == 200
    check = response.json()["checks"]["cache"]
    assert check["ok"] and "rate limits are not enforced" in check["warnings"][0]


def test_bridge_lag_over_its_threshold_warns_instead_of_failing(client, settings, monkeypatch):
    settings.HEALTH_MAX_BRIDGE_LAG = 10
    monkeypatch.setattr(kafka_io, "kafka_enabled", lambda: True)
    monkeypatch.setattr(bridge, "consumer_lag", lambda: {"group": "g", "total": 2300, "partitions": {"0": 2300}})
    monkeypatch.setattr(bridge, "topic_records", lambda topic: 4)
    check = client.get("/health").json()["checks"]["bridge_lag"]
    assert check["ok"] and check["total"] == 2300 and check["dlq_topic_records"] == 4
    assert "2300 records behind" in check["warnings"][0]
