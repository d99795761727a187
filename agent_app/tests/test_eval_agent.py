"""``manage.py eval_agent``: its summary keys, the per-case details file, and how it reads a fact.

The cases are written for these tests (not from a training or evaluation set) and run through
the real pipeline with the offline model against the real Help Centre.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from agent_app.evaluation import CaseResult, normalised_case

CASES = [
    {"id": "how-to", "channel": "web_form", "customer_email": "ines.okafor@eval-tests.example",
     "content": "Forgot my password\nHow do I reset my password? I forgot it.", "expected_action": "resolve",
     "expected_article": "reset-password", "expected_fact": "Send reset link"},
    {"id": "refund", "channel": "email", "customer_email": "ines.okafor@eval-tests.example",
     "subject": "Charged twice", "content": "We were charged twice for March. I want a refund for the second charge.",
     "expected_action": "escalate", "escalation_reason": "refund_request"},
    {"id": "thanks", "channel": "whatsapp", "customer_phone": "+15550104477", "content": "that worked, thanks!",
     "expected_action": "resolve", "kind": "thanks"},
]


def _result(fact: str, reply: str) -> CaseResult:
    return CaseResult(id="x", expected_action="resolve", action="resolve", expected_reason=None, reason=None,
                      expected_article=None, articles=[], ms=1.0, expected_fact=fact, reply=reply)


def test_a_fact_is_found_in_the_reply_as_the_customer_reads_it() -> None:
    # Markdown is the Help Centre's, not the fact's: a reply shows whsec_ where the docs write `whsec_`,
    # and "Send reset link" where they write **Send reset link**.
    assert _result("The signing secret (it starts with `whsec_`) is shown once",
                   "Hi,\n\nThe signing secret (it starts with whsec_) is shown once; copy it now.").fact_in_reply
    assert _result("Send reset link", "Click **Send reset link** and check your inbox.").fact_in_reply
    assert _result("Make sure the new owner is already an Admin",
                   "Make sure the new Owner is\nalready an Admin.").fact_in_reply
    assert not _result("The link works for 7 days", "The link works for 3 days.").fact_in_reply
    assert _result("the \u201cExport\u201d button", 'Click the "Export" button.').fact_in_reply
    assert not _result("", "anything").fact_in_reply
    assert not _result("**", "anything").fact_in_reply  # a fact that is only markup is no fact


@pytest.mark.django_db
@pytest.mark.usefixtures("help_centre")
def test_eval_agent_reports_its_keys_and_writes_each_case(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from crm.models import Message

    dataset, details = tmp_path / "cases.json", tmp_path / "details.json"
    dataset.write_text(json.dumps(CASES))
    before = Message.objects.count()
    call_command("eval_agent", dataset=str(dataset), json=True, details=str(details))
    summary = json.loads(capsys.readouterr().out)
    rows = {r["id"]: r for r in json.loads(details.read_text())}

    assert {"cases", "escalation_precision", "escalation_recall", "escalation_rate", "reason_accuracy",
            "article_hit_at_3", "answer_hit_at_1", "fact_in_reply", "p50_ms", "p95_ms", "errors"} <= set(summary)
    assert summary["cases"] == 3 and summary["errors"] == 0
    assert set(rows) == {"how-to", "refund", "thanks"}
    for row in rows.values():
        assert {"action", "reason", "articles", "answered_article", "reply", "why", "fact_in_reply"} <= set(row)
    assert rows["how-to"]["action"] == "resolve" and rows["how-to"]["answered_article"] == "reset-password"
    assert rows["how-to"]["fact_in_reply"] is True and "reset-password" in rows["how-to"]["articles"]
    assert (rows["refund"]["action"], rows["refund"]["reason"]) == ("escalate", "refund_request")
    assert rows["thanks"]["action"] == "resolve" and rows["thanks"]["fact_in_reply"] is None
    assert summary["answer_hit_at_1"] == 1.0 and summary["fact_in_reply"] == 1.0
    assert summary["escalation_precision"] == summary["escalation_recall"] == summary["reason_accuracy"] == 1.0
    # The run is rolled back: the database is as it was.
    assert Message.objects.count() == before


@pytest.mark.django_db
def test_eval_agent_refuses_a_dataset_it_cannot_read(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"channel": "fax", "content": "hello", "expected_action": "resolve"}]))
    with pytest.raises(CommandError, match="needs a channel"):
        call_command("eval_agent", dataset=str(bad))
    bad.write_text(json.dumps([{"channel": "email", "content": "hello", "expected_action": "escalate",
                                "escalation_reason": "weather"}]))
    with pytest.raises(CommandError, match="escalation_reason 'weather'"):
        call_command("eval_agent", dataset=str(bad))
    with pytest.raises(CommandError, match="no such file"):
        call_command("eval_agent", dataset=str(tmp_path / "missing.json"))


def test_another_teams_spelling_of_a_case_is_read_as_ours() -> None:
    theirs = {"id": 7, "channel": "Web Form", "message": "Can I get a quote for 40 seats?", "expected_escalation": True,
              "expected_reason": "pricing", "customer": {"email": "a@b.example", "name": "Ana"}}
    assert normalised_case(theirs) == {**theirs, "channel": "web_form", "content": theirs["message"],
                                       "expected_action": "escalate", "escalation_reason": "pricing_inquiry",
                                       "customer_email": "a@b.example", "customer_name": "Ana"}
    assert normalised_case({"channel": "gmail", "body": "hi", "action": "answered", "reason": "none"}) == {
        "channel": "email", "body": "hi", "content": "hi", "action": "answered", "expected_action": "resolve",
        "reason": "none"}
    assert normalised_case({"channel": "WhatsApp", "expected_action": "escalated",
                            "escalation_reason": "security-breach"})["escalation_reason"] == "security_incident"
    # A code is read whole: another team's "security_question" is not a security incident.
    assert normalised_case({"escalation_reason": "security_question"})["escalation_reason"] == "security_question"
    # What is already ours is untouched, in every committed set.
    root = Path(__file__).resolve().parents[2] / "context"
    for case in [*CASES, *(c for name in ("sample-tickets.json", "eval/heldout-tickets.json", "eval/fresh-tickets.json",
                                        "eval/fresh2-tickets.json")
                           for c in json.loads((root / name).read_text()))]:
        assert normalised_case(case) == case, case.get("id")
    assert normalised_case({"channel": "fax", "escalation_reason": "weather"}) == {
        "channel": "fax", "escalation_reason": "weather"}


def test_a_dataset_wrapped_in_an_object_is_read(tmp_path: Path) -> None:
    from agent_app.evaluation import load_dataset

    wrapped = tmp_path / "wrapped.json"
    wrapped.write_text(json.dumps({"tickets": [{"channel": "whatsapp", "text": "thanks!", "should_escalate": False}]}))
    assert load_dataset(wrapped)[0]["expected_action"] == "resolve"
