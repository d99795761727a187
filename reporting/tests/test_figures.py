"""Every report figure on the hand-built scenario (reporting/tests/scenario.py), live and from rollups."""
from __future__ import annotations

from datetime import timedelta

import pytest

from reporting.figures.cost import cost
from reporting.figures.overview import overview
from reporting.figures.people import people
from reporting.ranges import ReportRange, parse_range
from reporting.rollups import live_rows, rollups_store, stored_rows
from reporting.tests import scenario

pytestmark = pytest.mark.django_db


@pytest.fixture
def day(settings):  # type: ignore[no-untyped-def]
    settings.MODEL_PRICES_USD_PER_MTOK = scenario.PRICES
    settings.ESCALATION_RATE_TARGET = 0.20
    settings.AI_RESOLUTION_QUIET_DAYS = 7
    return scenario.build()


def two_days(s: scenario.Scenario) -> ReportRange:
    rng = parse_range({"range": "7d"}, now=s.now + timedelta(minutes=1))
    return ReportRange("custom", rng.last_day - timedelta(days=1), rng.last_day, now=s.now + timedelta(minutes=1))


@pytest.fixture(params=["live", "rollups"])
def rng(request, day, monkeypatch):  # type: ignore[no-untyped-def]
    """The same two days computed live from the CRM, and read from the stored rollups (as pages
    read any range longer than a day)."""
    r = two_days(day)
    if request.param == "rollups":
        rollups_store(start=r.start - timedelta(days=1), end=r.end)
        assert stored_rows(r.start, r.end), "the rollups were not stored"
    else:
        monkeypatch.setattr("reporting.figures.rows.rows_for", lambda start, end, now=None: live_rows(
            start, end, now=now))
    return r


def _range(rng):  # type: ignore[no-untyped-def]
    return rng


def hourly(start, end):  # type: ignore[no-untyped-def]
    from reporting.models import HourlyRollup
    from reporting.rollups import COUNTERS, MAPS

    return list(HourlyRollup.objects.filter(hour__gte=start, hour__lt=end).order_by("hour", "channel").values(
        "hour", "channel", "sentiment_sum", *COUNTERS, *MAPS))


def test_rollups_equal_the_live_rows_and_add_up_per_day(day) -> None:  # type: ignore[no-untyped-def]
    from reporting.rollups import COUNTERS

    r = two_days(day)
    rollups_store(start=r.start, end=r.end)
    live = live_rows(r.start, r.end, now=r.now)
    assert live and hourly(r.start, r.end) == live
    days = stored_rows(r.start, r.end)
    assert len(days) <= 2 * 3
    for name in COUNTERS:
        assert sum(d[name] for d in days) == sum(h[name] for h in live), name


def test_volumes_per_channel(rng) -> None:  # type: ignore[no-untyped-def]
    ov = overview(_range(rng))
    by = {f.channel: f for f in ov.per_channel}
    assert (by["email"].inbound_messages, by["whatsapp"].inbound_messages, by["web_form"].inbound_messages) == (3, 2, 2)
    assert (by["email"].replies, by["whatsapp"].replies, by["web_form"].replies) == (3, 1, 1)
    assert sum(sum(d.values()) for d in ov.messages_per_day.values()) == 12
    assert {c: sum(d[c] for d in ov.conversations_per_day.values()) for c in ov.channels} == {
        "email": 3, "whatsapp": 2, "web_form": 1}


def test_ai_resolution_confirmed_assumed_reopened(rng) -> None:  # type: ignore[no-untyped-def]
    ov = overview(_range(rng))
    assert (ov.tickets, ov.ai_confirmed, ov.ai_assumed, ov.ai_pending, ov.ai_reopened) == (6, 1, 1, 1, 1)
    assert ov.ai_resolution_rate == pytest.approx(2 / 6)


def test_escalations_overall_by_channel_and_reason(rng) -> None:  # type: ignore[no-untyped-def]
    ov = overview(_range(rng))
    assert (ov.escalated, ov.escalation_rate) == (2, pytest.approx(2 / 6))
    by = {f.channel: f for f in ov.per_channel}
    assert (by["email"].escalation_rate, by["whatsapp"].escalation_rate, by["web_form"].escalation_rate) == (
        pytest.approx(1 / 3), pytest.approx(1 / 2), 0)
    assert by["email"].over_target and by["whatsapp"].over_target and not by["web_form"].over_target
    assert [(code, n) for code, _label, n in ov.escalations_by_reason] == [("knowledge_not_found", 1),
                                                                          ("refund_request", 1)]


def test_response_and_resolution_times(rng) -> None:  # type: ignore[no-untyped-def]
    ov = overview(_range(rng))
    # AI: 30, 45, 60, 90 s; histogram percentiles are at most 5 % above the exact value.
    assert ov.ai_first_response.count == 4
    assert 45 <= ov.ai_first_response.p50 <= 45 * 1.05
    assert 90 <= ov.ai_first_response.p95 <= 90 * 1.05
    assert ov.human_first_response.count == 1
    assert 1800 <= ov.human_first_response.p50 <= 1800 * 1.05
    # Resolved now: A, B, D, F (C was reopened); all opened and resolved within the test.
    assert ov.resolution_time.count == 4
    assert ov.resolution_time.p95 <= 60


def test_sla_sentiment_and_backlog(rng) -> None:  # type: ignore[no-untyped-def]
    ov = overview(_range(rng))
    assert ov.sla == [{"urgency": "high", "met": 0, "breached": 1, "attainment": 0.0},
                      {"urgency": "normal", "met": 1, "breached": 0, "attainment": 1.0}]
    assert ov.sentiment == pytest.approx((0.5 + 0.0 - 0.5 + 0.4) / 4)
    assert ov.backlog.waiting == 1 and ov.backlog.oldest_age_seconds is not None


def test_cost(rng) -> None:  # type: ignore[no-untyped-def]
    c = cost(_range(rng))
    assert c.tokens == 3500
    assert c.cost == pytest.approx(scenario.EXPECTED_COST)
    assert c.cost_per_ai_resolution == pytest.approx(scenario.EXPECTED_COST / 2)
    assert c.yearly_projection == pytest.approx(scenario.EXPECTED_COST / 2 * 365)
    assert {m: t for m, t, _p, _c in c.by_model} == {"gpt-4o": 3000, "gpt-4o-mini": 500, "offline-model": 0} or \
        {m: t for m, t, _p, _c in c.by_model} == {"gpt-4o": 3000, "gpt-4o-mini": 500}


def test_people(rng) -> None:  # type: ignore[no-untyped-def]
    [sam] = people(_range(rng))
    assert (sam.name, sam.claimed, sam.replies, sam.handled, sam.sla_breaches) == ("Sam Rivera", 2, 1, 1, 1)
    assert 3600 <= sam.median_handle_seconds <= 3600 * 1.05


def test_channel_filter(day) -> None:  # type: ignore[no-untyped-def]
    r = two_days(day)
    ov = overview(ReportRange("custom", r.first_day, r.last_day, channel="whatsapp", now=r.now))
    assert (ov.tickets, ov.escalated, ov.ai_confirmed, ov.ai_assumed) == (2, 1, 1, 0)
    assert ov.backlog.waiting == 0
    assert [s.claimed for s in people(ReportRange("custom", r.first_day, r.last_day, channel="web_form",
                                                  now=r.now))] == []
