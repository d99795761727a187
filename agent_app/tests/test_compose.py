"""compose.when: a follow-up time the customer can read against their own clock."""
from __future__ import annotations

from agent_app.compose import compose_escalation_notice, when

DUE = "2026-01-05T14:00:00+00:00"


def test_the_zone_is_always_named() -> None:
    assert when(DUE) == "by Monday 5 January, 14:00 UTC"
    assert when(DUE, "Europe/Madrid") == "by Monday 5 January, 15:00 CET"
    assert when(DUE, "America/Sao_Paulo") == "by Monday 5 January, 11:00 UTC-03"
    assert when(DUE, "Not/AZone") == "by Monday 5 January, 14:00 UTC"
    assert when(None) == "within one business day"


def test_the_escalation_notice_uses_the_customers_zone() -> None:
    notice = compose_escalation_notice(reason="knowledge_not_found", due_iso=DUE, channel="web_form",
                                       zone="Asia/Kolkata")
    assert "by Monday 5 January, 19:30 IST" in notice
