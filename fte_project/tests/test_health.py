from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from fte_project import health

pytestmark = pytest.mark.django_db


def test_health_is_200_with_database_up(client):
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["failing"] == [] and body["degraded"] == []
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["database"]["pgvector"]


def test_health_is_503_naming_the_failing_part(client, monkeypatch):
    def broken():
        raise ConnectionError("connection refused")

    monkeypatch.setitem(health._CHECKS, "kafka", broken)
    response = client.get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing"
    assert body["failing"] == ["kafka"]
    assert "connection refused" in body["checks"]["kafka"]["error"]


def test_a_check_with_warnings_is_degraded_but_still_200(client, monkeypatch):
    """A backlog must not take web pods out of rotation: intake still works (see health.py)."""
    monkeypatch.setitem(health._CHECKS, "queue", lambda: {"ok": True, "warnings": ["2300 messages wait"]})
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["degraded"] == ["queue"] and body["failing"] == []
    assert body["checks"]["queue"]["warnings"] == ["2300 messages wait"]


def test_failing_wins_over_degraded(client, monkeypatch):
    monkeypatch.setitem(health._CHECKS, "queue", lambda: {"ok": True, "warnings": ["behind"]})
    monkeypatch.setitem(health._CHECKS, "kafka", lambda: {"ok": False})
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["status"] == "failing"


def test_health_refuses_post(client):
    assert client.post("/health").status_code == 405


def test_the_admin_shows_the_report_to_staff_only(client, monkeypatch):
    monkeypatch.setitem(health._CHECKS, "queue", lambda: {
        "ok": True, "warnings": ["2300 messages wait"], "unprocessed": 2300,
        "per_channel": {"whatsapp": {"sender": "sandbox"}, "email": {"sender": "gmail"}}})
    assert client.get("/admin/health/").status_code == 302  # to the login page
    staff = get_user_model().objects.create_user("ops", password="pass-word-123", is_staff=True)
    client.force_login(staff)
    page = client.get("/admin/health/").content.decode()
    assert "Operations health" in page and "2300 messages wait" in page
    assert "state-degraded" in page and "sandbox" in page and "per channel" in page
    assert 'href="/admin/health/"' in client.get("/admin/").content.decode()
