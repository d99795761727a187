from __future__ import annotations

import pytest

from fte_project import health

pytestmark = pytest.mark.django_db


def test_health_is_200_with_database_up(client):
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["database"]["pgvector"]


def test_health_is_503_naming_the_failing_part(client, monkeypatch):
    def broken():
        raise ConnectionError("connection refused")

    monkeypatch.setitem(health._CHECKS, "kafka", broken)
    response = client.get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["kafka"]
    assert "connection refused" in body["checks"]["kafka"]["error"]


def test_health_refuses_post(client):
    assert client.post("/health").status_code == 405
